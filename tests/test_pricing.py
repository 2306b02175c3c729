"""Pricing: Price parsing, estimates, and GET /v1/models/pricing against the emulator."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from faltui.core.catalog import Catalog
from faltui.core.errors import LockedError, MissingKeyError, RateLimitedError, UnauthorizedError
from faltui.core.pricing import Price, estimate, get_prices


def test_price_from_api_and_estimate() -> None:
    price = Price.from_api(
        {"endpoint_id": "fal-ai/flux/dev", "unit_price": 0.025, "unit": "image", "currency": "USD"}
    )
    assert price == Price("fal-ai/flux/dev", 0.025, "image", "USD")
    assert estimate(price, 4) == pytest.approx(0.1)
    assert estimate(price) == pytest.approx(0.025)
    assert price.describe() == "0.025 USD per image"
    with pytest.raises(ValueError):
        estimate(price, -1)
    with pytest.raises(ValueError):
        Price.from_api({"endpoint_id": "x/y", "unit_price": "cheap"})


async def test_get_prices_from_emulator(emulator, emu_settings) -> None:
    seen: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    ids = ["fal-ai/flux/dev", "fal-ai/whisper", "nobody/unknown", "fal-ai/flux/dev"]
    async with httpx.AsyncClient(event_hooks={"request": [hook]}) as http:
        prices = await get_prices(http, emu_settings, ids)
    assert [p.endpoint_id for p in prices] == ["fal-ai/flux/dev", "fal-ai/whisper"]
    assert all(p.unit_price > 0 and p.unit and p.currency == "USD" for p in prices)
    assert emulator.counters["pricing"] == 1
    assert seen[0].headers["authorization"] == f"Key {emu_settings.key}"
    assert seen[0].url.params.get_list("endpoint_id") == ids[:3]  # de-duplicated


async def test_get_prices_accepts_objects_with_http_or_none(emulator, emu_settings) -> None:
    catalog = Catalog(emu_settings)
    via_catalog = await get_prices(catalog, emu_settings, ["fal-ai/trellis"])
    await catalog.aclose()
    own = await get_prices(None, emu_settings, ["fal-ai/trellis"])
    assert via_catalog == own and len(own) == 1
    assert await get_prices(None, emu_settings, []) == []


async def test_get_prices_errors(emulator, emu_settings) -> None:
    with pytest.raises(MissingKeyError):
        await get_prices(None, dataclasses.replace(emu_settings, key=None), ["fal-ai/flux/dev"])
    assert emulator.counters["pricing"] == 0
    with pytest.raises(UnauthorizedError) as info:
        await get_prices(None, dataclasses.replace(emu_settings, key="bad:key"), ["fal-ai/x"])
    assert info.value.error_type == "authorization_error"
    from faltui.emulator import LOCKED_KEY

    with pytest.raises(LockedError):
        await get_prices(None, dataclasses.replace(emu_settings, key=LOCKED_KEY), ["fal-ai/x"])
    emulator.chaos.fail_next("pricing", 429)
    with pytest.raises(RateLimitedError):
        await get_prices(None, emu_settings, ["fal-ai/flux/dev"])


def test_cost_estimates_follow_the_unit() -> None:
    from faltui.core.pricing import Price, describe_cost, units_for

    image = Price("fal-ai/flux/dev", 0.025, "image")
    assert units_for(image, {"num_images": 4}) == 4
    assert describe_cost(image, {"num_images": 2}, count=10) == (
        "≈ 0.5 USD for 10 jobs (0.025 USD per image)"
    )
    video = Price("fal-ai/kling-video/v3/pro/text-to-video", 0.1, "video_second")
    assert units_for(video, {"duration": "5"}) == 5
    assert units_for(video, {}) is None
    assert "depends on the output" in describe_cost(video, {}, count=3)
    assert units_for(Price("x/y", 1.0, "megapixel"), {}) is None
