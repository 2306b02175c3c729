"""The bundled offline catalog: complete, well-formed, loadable from the installed package."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
from importlib import resources
from pathlib import Path

from faltui.core import bundled
from faltui.core.endpoints import EndpointId

DATA = Path(__file__).resolve().parent / "data"
#: The seed skill whose model tables the catalog was built from (a copy of the reference).
SEED = DATA / "seed-fal-generate.md"
#: ``sha256sum`` of every reference OpenAPI document the bundle must hold byte for byte.
SCHEMA_DIGESTS = DATA / "fal-schemas.sha256"
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


def test_every_seed_catalog_endpoint_is_bundled() -> None:
    ids = seed_catalog_ids()
    assert len(ids) > 100  # the parser really found the tables
    assert {"openrouter/router", "openrouter/router/openai/v1/embeddings"} <= ids
    missing = ids - by_id().keys()
    assert not missing, sorted(missing)


def reference_digests() -> dict[str, str]:
    """File name → sha256 of each reference OpenAPI document."""
    lines = SCHEMA_DIGESTS.read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def test_every_reference_schema_is_bundled_byte_for_byte() -> None:
    digests = reference_digests()
    assert len(digests) >= 70
    folder = resources.files("faltui") / "data" / "schemas"
    shipped = {e.name for e in folder.iterdir() if e.name.endswith(".json")}
    assert shipped == digests.keys()
    models = by_id()
    for name, digest in digests.items():
        raw = (folder / name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == digest, name
        endpoint_id = json.loads(raw)["info"]["x-fal-metadata"]["endpointId"]
        assert name == endpoint_id.replace("/", "__") + ".json"
        assert bundled.bundled_openapi(endpoint_id) == json.loads(raw)
        assert endpoint_id in models, endpoint_id
    assert len(bundled.bundled_schema_ids()) == len(digests)


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


def test_builder_reproduces_the_committed_data(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "build_catalog.py"
    spec = importlib.util.spec_from_file_location("build_catalog", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The builder's input folder, laid out like the reference one: the seed and the documents
    # (the bundled copies, whose bytes the digest test ties to the reference).
    source = tmp_path / "reference"
    (source / "fal-schemas").mkdir(parents=True)
    shutil.copy(SEED, source / "seed-fal-generate.md")
    data = resources.files("faltui") / "data"
    for entry in (data / "schemas").iterdir():
        (source / "fal-schemas" / entry.name).write_bytes(entry.read_bytes())
    out = tmp_path / "out"
    module.build(source, out)
    assert (out / "catalog.json").read_text() == (data / "catalog.json").read_text()
    built = sorted(p.name for p in (out / "schemas").iterdir())
    assert built == sorted(e.name for e in (data / "schemas").iterdir())
