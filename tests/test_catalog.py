"""Catalog unit tests: ModelInfo, ranking, local search, schema cache and its TTL (no network)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from faltui.core import bundled
from faltui.core.catalog import FEATURED, Catalog, ModelInfo, rank, score
from faltui.core.config import Paths, Settings
from faltui.core.errors import (
    ApiError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
)


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


# -- against the emulator (real loopback HTTP) -----------------------------------------------


def recording_http(seen: list[httpx.Request]) -> httpx.AsyncClient:
    """An AsyncClient that remembers every request it sends."""

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    return httpx.AsyncClient(event_hooks={"request": [hook]}, timeout=10)


async def test_list_models_pages_filters_and_sends_the_key(emulator, emu_settings) -> None:
    seen: list[httpx.Request] = []
    async with recording_http(seen) as http:
        catalog = Catalog(emu_settings, http)
        first, page2 = await catalog.list_models(limit=7)
        assert len(first) == 7 and page2
        second, _ = await catalog.list_models(limit=7, cursor=page2)
        assert not {x.endpoint_id for x in first} & {x.endpoint_id for x in second}
        tts, _ = await catalog.list_models(category="text-to-speech", limit=100)
        assert tts and all(x.category == "text-to-speech" for x in tts)
        found, cursor = await catalog.list_models(q="whisper", status="active", limit=100)
        assert "fal-ai/whisper" in {x.endpoint_id for x in found} and cursor is None
        ids = ["fal-ai/flux/dev", "openrouter/router"]
        picked, _ = await catalog.list_models(endpoint_ids=ids)
        assert [x.endpoint_id for x in picked] == ids
    assert emulator.counters["models"] == 5
    assert all(r.headers["authorization"] == f"Key {emu_settings.key}" for r in seen)
    assert seen[-1].url.params.get_list("endpoint_id") == ids
    assert seen[1].url.params["cursor"] == page2
    assert seen[0].url.params["limit"] == "7"


async def test_list_models_expand_caches_openapi_and_models(emulator, emu_settings) -> None:
    async with httpx.AsyncClient() as http:
        catalog = Catalog(emu_settings, http)
        models, _ = await catalog.list_models(
            endpoint_ids=["fal-ai/trellis", "fal-ai/whisper"], expand=["openapi-3.0"]
        )
        assert {x.endpoint_id for x in models} == {"fal-ai/trellis", "fal-ai/whisper"}
        assert "openapi" in models[0].raw
        before = emulator.counters["openapi"]
        doc = await catalog.get_openapi("fal-ai/trellis")  # from the cache written by expand
        assert doc == bundled.bundled_openapi("fal-ai/trellis")
        assert emulator.counters["openapi"] == before
        # A model without a document gets {"error": …} under "openapi": nothing is cached.
        no_doc, _ = await catalog.list_models(
            endpoint_ids=["xai/grok-imagine-image"], expand=["openapi-3.0"]
        )
        assert "error" in no_doc[0].raw["openapi"]
        assert catalog.cached_openapi("xai/grok-imagine-image") is None
    cached = json.loads(catalog.models_cache_file.read_text())
    assert all("openapi" not in obj for obj in cached["models"])


async def test_iter_models_local_first_then_new_live_pages(emulator, emu_settings) -> None:
    async with httpx.AsyncClient() as http:
        catalog = Catalog(emu_settings, http)
        pages = [page async for page in catalog.iter_models()]
    local = catalog.search("")
    # The emulator serves the bundled catalog plus its own workflows/ and comfy/ endpoints:
    # live pages add only those, and they were read.
    new = {x.endpoint_id for page in pages[1:] for x in page}
    assert new == {"comfy/faltui-demo/upscale-image", "workflows/faltui-demo/sticker-flow"}
    assert [x.endpoint_id for x in pages[0]] == [
        x.endpoint_id for x in local if x.endpoint_id not in new
    ]
    assert emulator.counters["models"] >= 2
    assert len({x.endpoint_id for page in pages for x in page}) == sum(len(p) for p in pages)


async def test_iter_models_without_key_stays_local(emulator, emu_settings) -> None:
    settings = dataclasses.replace(emu_settings, key=None)
    catalog = Catalog(settings)
    pages = [page async for page in catalog.iter_models(q="flux")]
    assert len(pages) == 1 and pages[0][0].endpoint_id.startswith("fal-ai/flux")
    assert emulator.counters["models"] == 0
    await catalog.aclose()


async def test_iter_models_merges_new_live_models_and_caches_them(own_emulator, tmp_path) -> None:
    # Its own emulator: the catalog it changes is not part of what reset() restores.
    emulator, emu_settings = own_emulator, own_emulator.settings(tmp_path / "home")
    extra = {
        "endpoint_id": "newco/fresh-model",
        "metadata": {"display_name": "Fresh", "category": "text-to-image", "tags": []},
    }
    emulator.catalog.add_model(extra)
    async with httpx.AsyncClient() as http:
        catalog = Catalog(emu_settings, http)
        pages = [page async for page in catalog.iter_models(category="text-to-image")]
    live_ids = {x.endpoint_id for page in pages[1:] for x in page}
    # The emulator's own workflows/ endpoint is a text-to-image model that is not bundled either.
    assert live_ids == {"newco/fresh-model", "workflows/faltui-demo/sticker-flow"}
    # Next start, offline: the live model is known from the cache.
    offline = Catalog(offline_settings(tmp_path / "x"))
    offline_cache = offline.models_cache_file
    offline_cache.parent.mkdir(parents=True)
    offline_cache.write_bytes(catalog.models_cache_file.read_bytes())
    assert offline.search("fresh")[0].endpoint_id == "newco/fresh-model"


async def test_list_models_maps_platform_errors(emulator, emu_settings) -> None:
    async with httpx.AsyncClient() as http:
        bad = Catalog(dataclasses.replace(emu_settings, key="wrong:key"), http)
        with pytest.raises(UnauthorizedError) as info:
            await bad.list_models()
        assert info.value.error_type == "authorization_error"
        catalog = Catalog(emu_settings, http)
        with pytest.raises(ApiError) as info:
            await catalog.list_models(cursor="not a cursor!")
        assert info.value.status == 400 and info.value.error_type == "validation_error"
        emulator.chaos.fail_next("models", 429)
        with pytest.raises(RateLimitedError):
            await catalog.list_models()


async def test_get_schema_live_then_cache_then_stale_when_emulator_stops(
    own_emulator, tmp_path
) -> None:
    emulator, emu_settings = own_emulator, own_emulator.settings(tmp_path)
    clock = FakeClock()
    settings = dataclasses.replace(emu_settings, catalog_ttl=100.0)
    seen: list[httpx.Request] = []
    async with recording_http(seen) as http:
        catalog = Catalog(settings, http, clock=clock)
        schema = await catalog.get_schema("fal-ai/flux/dev")
        assert any(f.name == "prompt" for f in schema.input)
        assert emulator.counters["openapi"] == 1
        assert seen[0].url.params["endpoint_id"] == "fal-ai/flux/dev"
        await catalog.get_schema("fal-ai/flux/dev")  # fresh cache: no request
        assert emulator.counters["openapi"] == 1
        clock.now += 101  # stale: asks again
        await catalog.get_openapi("fal-ai/flux/dev")
        assert emulator.counters["openapi"] == 2
        with pytest.raises(NotFoundError):  # the live 404, nothing local
            await catalog.get_openapi("nobody/nothing")
        emulator.stop()
        clock.now += 101
        doc = await catalog.get_openapi("fal-ai/flux/dev")  # stale cache, network down
        assert doc["info"]["x-fal-metadata"]["endpointId"] == "fal-ai/flux/dev"
        assert (await catalog.get_openapi("fal-ai/whisper")) == bundled.bundled_openapi(
            "fal-ai/whisper"
        )  # never cached: bundled copy
        with pytest.raises(TransportError):  # unknown anywhere and fal unreachable
            await catalog.get_openapi("nobody/else")


async def test_openapi_without_key_still_fetches_from_emulator_without_auth(
    emulator, emu_settings
) -> None:
    seen: list[httpx.Request] = []
    async with recording_http(seen) as http:
        catalog = Catalog(dataclasses.replace(emu_settings, key=None), http)
        await catalog.get_openapi("fal-ai/whisper")
    assert emulator.counters["openapi"] == 1
    assert "authorization" not in seen[0].headers


async def test_key_not_sent_to_a_foreign_openapi_host(emulator, emu_settings) -> None:
    # The OpenAPI URL points at a different origin than the keyed services.
    foreign = emulator.urls["openapi"].replace("127.0.0.1", "localhost")
    settings = emu_settings.with_urls(openapi=foreign)
    seen: list[httpx.Request] = []
    async with recording_http(seen) as http:
        await Catalog(settings, http).get_openapi("fal-ai/trellis")
    assert seen and "authorization" not in seen[0].headers


#: Queries a user types → the model they expect first (bundled catalog).
FIRST_HITS = {
    "lora": "lora",
    "flux dev": "fal-ai/flux/dev",
    "whisper": "fal-ai/whisper",
    "kokoro": "fal-ai/kokoro/american-english",
    "remove background": "fal-ai/bria/background/remove",
    "flux schnell": "fal-ai/flux/schnell",
    "kling": "kling",
    "upscale": "upscale",
    "veo": "veo",
}


@pytest.mark.parametrize("query", sorted(FIRST_HITS))
def test_search_puts_the_expected_model_first_even_with_recents(query: str) -> None:
    from faltui.core.bundled import bundled_models

    models = [ModelInfo.from_api(m) for m in bundled_models()]
    # A user who recently used a TTS model and a video model: recency breaks ties only.
    recents = {"fal-ai/kokoro/american-english": 1, "fal-ai/vidu/q3/text-to-video": 1}
    first = rank(models, query, prefer=recents)[0].endpoint_id
    assert FIRST_HITS[query] in first, (query, first)


@pytest.mark.parametrize("query", ["flux dev", "flux", "lora"])
def test_search_hits_match_every_word_within_a_segment(query: str) -> None:
    from faltui.core.bundled import bundled_models

    models = [ModelInfo.from_api(m) for m in bundled_models()]
    hits = {m.endpoint_id for m in rank(models, query)}
    assert "fal-ai/vidu/q3/text-to-video" not in hits
    assert "fal-ai/hunyuan-video-v1.5/text-to-video" not in hits
    if query == "lora":
        assert "fal-ai/kokoro/american-english" not in hits
