"""The bundled offline catalog: complete, well-formed, loadable from the installed package."""

from __future__ import annotations

import importlib.util
import json
import re
from importlib import resources
from pathlib import Path

import pytest

from faltui.core import bundled
from faltui.core.endpoints import EndpointId

SHARED = Path("/work/shared")
SEED = SHARED / "seed-fal-generate.md"
SCHEMAS = SHARED / "fal-schemas"
REQUIRED_METADATA = {
    "display_name", "category", "description", "status", "tags", "updated_at",
    "is_favorited", "thumbnail_url", "model_url", "date", "highlighted", "pinned",
}  # fmt: skip


def seed_catalog_ids() -> set[str]:
    """Endpoint ids in the seed's model tables (from "## Model Catalog" on)."""
    text = SEED.read_text(encoding="utf-8")
    catalog = text[text.index("## Model Catalog") :]
    return set(re.findall(r"^\|\s*`([^`\s]+/[^`\s]+)`\s*\|", catalog, flags=re.M))


def by_id() -> dict[str, dict]:
    return {m["endpoint_id"]: m for m in bundled.bundled_models()}


@pytest.mark.skipif(not SEED.exists(), reason="shared seed not available")
def test_every_seed_catalog_endpoint_is_bundled() -> None:
    ids = seed_catalog_ids()
    assert len(ids) > 100  # the parser really found the tables
    assert {"openrouter/router", "openrouter/router/openai/v1/embeddings"} <= ids
    missing = ids - by_id().keys()
    assert not missing, sorted(missing)


@pytest.mark.skipif(not SCHEMAS.exists(), reason="shared schemas not available")
def test_every_shared_schema_is_bundled_byte_for_byte() -> None:
    files = sorted(SCHEMAS.glob("*.json"))
    assert len(files) >= 70
    models = by_id()
    for path in files:
        endpoint_id = json.loads(path.read_text())["info"]["x-fal-metadata"]["endpointId"]
        assert endpoint_id in bundled.bundled_schema_ids()
        assert bundled.bundled_openapi(endpoint_id) == json.loads(path.read_text())
        assert endpoint_id in models, endpoint_id
    assert len(bundled.bundled_schema_ids()) == len(files)


def test_models_are_platform_api_shaped_and_ids_parse() -> None:
    models = bundled.bundled_models()
    assert len(models) == len(by_id())  # no duplicates
    for model in models:
        assert EndpointId.parse(model["endpoint_id"]).full == model["endpoint_id"]
        meta = model["metadata"]
        assert meta.keys() >= REQUIRED_METADATA, model["endpoint_id"]
        assert meta["status"] in {"active", "deprecated"}
        assert meta["is_favorited"] is False
        assert meta["display_name"].strip() and meta["category"].strip()
        assert isinstance(meta["tags"], list)


def test_categories_use_fals_names() -> None:
    models = by_id()
    assert models["fal-ai/flux/dev"]["metadata"]["category"] == "text-to-image"
    assert models["fal-ai/whisper"]["metadata"]["category"] == "speech-to-text"
    assert models["fal-ai/trellis"]["metadata"]["category"] == "image-to-3d"
    assert models["openrouter/router"]["metadata"]["category"] == "llm"
    assert models["openrouter/router/vision"]["metadata"]["category"] == "vision"
    assert models["fal-ai/kling-video/v3/pro/text-to-video"]["metadata"]["category"] == (
        "text-to-video"
    )
    assert models["fal-ai/turbo-flux-trainer"]["metadata"]["category"] == "training"


def test_unknown_schema_is_none_and_copies_are_independent() -> None:
    assert bundled.bundled_openapi("fal-ai/does-not-exist") is None
    first = bundled.bundled_models()
    first[0]["metadata"]["display_name"] = "changed"
    assert bundled.bundled_models()[0]["metadata"]["display_name"] != "changed"
    doc = bundled.bundled_openapi("fal-ai/flux/dev")
    assert doc is not None
    doc["info"] = None
    assert bundled.bundled_openapi("fal-ai/flux/dev")["info"] is not None


def test_snapshot_date() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", bundled.BUNDLED_SNAPSHOT_DATE)


@pytest.mark.skipif(not SEED.exists(), reason="shared seed not available")
def test_builder_reproduces_the_committed_data(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "build_catalog.py"
    spec = importlib.util.spec_from_file_location("build_catalog", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(SHARED, tmp_path)
    data = resources.files("faltui") / "data"
    assert (tmp_path / "catalog.json").read_text() == (data / "catalog.json").read_text()
    built = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert built == sorted(e.name for e in (data / "schemas").iterdir())
