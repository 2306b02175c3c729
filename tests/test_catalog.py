"""Catalog unit tests: ModelInfo, ranking, local search, schema cache and its TTL (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faltui.core import bundled
from faltui.core.catalog import FEATURED, Catalog, ModelInfo, rank, score
from faltui.core.config import Paths, Settings
from faltui.core.errors import NotFoundError


class FakeClock:
    """A settable clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def offline_settings(tmp_path: Path, **kw: object) -> Settings:
    """Settings pointing at fal's real URLs with no key: the catalog must not go online."""
    paths = Paths(tmp_path / "config", tmp_path / "cache", tmp_path / "data", tmp_path / "dl")
    return Settings(key=None, paths=paths, **kw)  # type: ignore[arg-type]


def m(
    endpoint_id: str, name: str = "", category: str = "", tags: tuple[str, ...] = ()
) -> ModelInfo:
    return ModelInfo(endpoint_id, name or endpoint_id, category, "", tags)


# -- ModelInfo -------------------------------------------------------------------------------


def test_model_info_from_api_full_and_sparse() -> None:
    obj = {
        "endpoint_id": "fal-ai/flux/dev",
        "metadata": {
            "display_name": "FLUX.1 [dev]",
            "category": "text-to-image",
            "description": "Fast",
            "status": "active",
            "tags": ["fast", "pro"],
        },
    }
    info = ModelInfo.from_api(obj)
    assert info == ModelInfo(
        "fal-ai/flux/dev", "FLUX.1 [dev]", "text-to-image", "Fast", ("fast", "pro")
    )
    assert info.raw is obj
    hash(info)  # frozen and hashable although raw is a dict
    sparse = ModelInfo.from_api({"endpoint_id": "nobody/nothing", "metadata": {"tags": None}})
    assert sparse.display_name == "nobody/nothing"
    assert (sparse.category, sparse.tags, sparse.status) == ("", (), "active")
    with pytest.raises(ValueError):
        ModelInfo.from_api({"metadata": {}})


# -- ranking ---------------------------------------------------------------------------------


def test_rank_orders_exact_then_prefix_then_substring_then_subsequence() -> None:
    models = [
        m("other/flx-thing"),  # subsequence of "flux"? no: needs f-l-u-x in order
        m("acme/superflux-app"),  # substring
        m("fal-ai/fluxish", "Fluxish"),  # app prefix
        m("fal-ai/f-l-u-x"),  # subsequence only
        m("flux/exact"),
    ]
    ids = [x.endpoint_id for x in rank(models, "flux")]
    assert ids[0] == "flux/exact"
    assert ids.index("fal-ai/fluxish") < ids.index("acme/superflux-app")
    assert ids.index("acme/superflux-app") < ids.index("fal-ai/f-l-u-x")
    assert "other/flx-thing" not in ids
    exact = [m("fal-ai/flux/dev-extra"), m("fal-ai/flux/dev")]
    assert rank(exact, "fal-ai/flux/dev")[0].endpoint_id == "fal-ai/flux/dev"


def test_rank_needs_every_token_and_searches_name_category_tags() -> None:
    models = [
        m("a/one", "Kling Video", "text-to-video", ("pro",)),
        m("a/two", "Kling Image", "text-to-image", ()),
        m("a/three", "Other", "text-to-video", ("fast",)),
    ]
    assert [x.endpoint_id for x in rank(models, "kling video")] == ["a/one"]
    assert [x.endpoint_id for x in rank(models, "video fast")] == ["a/three"]
    assert [x.endpoint_id for x in rank(models, "kling pro")] == ["a/one"]
    assert rank(models, "kling nothing-like-this") == []
    assert score(models[0], "zzz") == 0


def test_rank_category_filter_and_empty_query_puts_featured_first() -> None:
    models = [m("z/last", category="llm"), m(FEATURED[1], category="text-to-image"), m(FEATURED[0])]
    assert [x.endpoint_id for x in rank(models, "")] == [FEATURED[0], FEATURED[1], "z/last"]
    assert [x.endpoint_id for x in rank(models, "", "LLM")] == ["z/last"]
    assert rank(models, "last", "text-to-image") == []


def test_featured_ids_are_all_bundled() -> None:
    ids = {o["endpoint_id"] for o in bundled.bundled_models()}
    assert set(FEATURED) <= ids


def test_search_over_bundled_snapshot(tmp_path: Path) -> None:
    catalog = Catalog(offline_settings(tmp_path))
    assert len(catalog.local_models()) == len(bundled.bundled_models())
    assert catalog.search("flux/dev")[0].endpoint_id == "fal-ai/flux/dev"
    assert catalog.search("fal-ai/flux/schnell")[0].endpoint_id == "fal-ai/flux/schnell"
    assert catalog.search("whisper")[0].endpoint_id == "fal-ai/whisper"
    assert catalog.search("kling v3 text video")[0].endpoint_id.startswith("fal-ai/kling-video/v3")
    tts = catalog.search("", "text-to-speech")
    assert tts and all(x.category == "text-to-speech" for x in tts)
    routers = catalog.search("openrouter vision")
    assert routers[0].endpoint_id == "openrouter/router/vision"


def test_local_models_merge_cached_live_models(tmp_path: Path) -> None:
    catalog = Catalog(offline_settings(tmp_path))
    path = catalog.models_cache_file
    path.parent.mkdir(parents=True)
    live = [
        {"endpoint_id": "fal-ai/flux/dev", "metadata": {"display_name": "Renamed live"}},
        {"endpoint_id": "newco/brand-new", "metadata": {"display_name": "Brand new"}},
    ]
    path.write_text(json.dumps({"saved_at": 0, "models": live}))
    by_id = {x.endpoint_id: x for x in catalog.local_models()}
    assert by_id["fal-ai/flux/dev"].display_name == "Renamed live"
    assert by_id["newco/brand-new"].display_name == "Brand new"
    path.write_text("{not json")  # a corrupt cache is ignored
    assert len(Catalog(offline_settings(tmp_path)).local_models()) == len(bundled.bundled_models())


# -- schema cache ----------------------------------------------------------------------------


async def test_offline_get_openapi_uses_bundled_then_not_found(tmp_path: Path) -> None:
    catalog = Catalog(offline_settings(tmp_path))
    doc = await catalog.get_openapi("fal-ai/flux/dev")
    assert doc == bundled.bundled_openapi("fal-ai/flux/dev")
    with pytest.raises(NotFoundError) as info:
        await catalog.get_openapi("nobody/nothing")
    assert "nobody/nothing" in str(info.value)
    assert catalog._http is None  # never went online


async def test_cache_is_preferred_and_kept_when_stale_offline(tmp_path: Path) -> None:
    clock = FakeClock()
    catalog = Catalog(offline_settings(tmp_path, catalog_ttl=60.0), clock=clock)
    mine = {"openapi": "3.0.4", "paths": {"/x": {}}, "info": {"title": "cached"}}
    catalog._store_openapi("fal-ai/flux/dev", mine)
    assert catalog.openapi_cache_file("fal-ai/flux/dev").name == "fal-ai__flux__dev.json"
    assert (await catalog.get_openapi("fal-ai/flux/dev"))["info"]["title"] == "cached"
    clock.now += 61  # stale: no way to refresh offline, so the stale copy still wins
    cached = catalog.cached_openapi("fal-ai/flux/dev")
    assert cached is not None and cached[1] == pytest.approx(61)
    assert (await catalog.get_openapi("fal-ai/flux/dev"))["info"]["title"] == "cached"
    # A corrupt cache file falls through to the bundled document.
    catalog.openapi_cache_file("fal-ai/flux/dev").write_text("garbage")
    assert (await catalog.get_openapi("fal-ai/flux/dev")) == bundled.bundled_openapi(
        "fal-ai/flux/dev"
    )


async def test_get_schema_parses_bundled_document(tmp_path: Path) -> None:
    pytest.importorskip("faltui.core.schema")
    schema = await Catalog(offline_settings(tmp_path)).get_schema("fal-ai/flux/dev")
    assert schema.endpoint_id == "fal-ai/flux/dev"
    assert any(f.name == "prompt" for f in schema.input)
