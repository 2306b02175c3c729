"""Unit prices from fal's Platform API (fal-protocol.md §9.2) and simple cost estimates.

``GET {platform}/models/pricing?endpoint_id=a&endpoint_id=b`` needs the API key and answers
``{"prices": [{endpoint_id, unit_price, unit, currency}], "next_cursor", "has_more"}``. The
``unit`` is a free string (``image``, ``video_second``, ``megapixel``…): show it verbatim.

**Concrete and vague units.** A unit is *concrete* when it names a quantity the user can see:
images, megapixels, seconds or minutes *of video or audio*, videos, requests, characters,
tokens. Then ``x-fal-billable-units × unit_price`` is the billed cost (§4.9) and an estimate
can be made from the input. A unit is *vague* when it does not say what is counted — ``unit``/
``units``, ``credit``/``credits``, compute, GPU or machine time, or a bare ``second``/``minute``
that names no media (fal bills such endpoints by compute time): faltui then says "price
varies" and never invents a number (``is_vague_unit``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from faltui.core.catalog import platform_error
from faltui.core.config import Settings, origin
from faltui.core.errors import ApiError, TransportError

if TYPE_CHECKING:  # imported when prices are fetched (not on the TUI's first frame)
    import httpx

#: fal accepts up to 50 endpoint ids per request.
MAX_IDS_PER_REQUEST = 50
#: Safety stop when following ``next_cursor``.
MAX_PAGES = 50


@dataclass(frozen=True)
class Price:
    """The price of one unit of an endpoint's output."""

    endpoint_id: str
    unit_price: float
    unit: str
    currency: str = "USD"

    @classmethod
    def from_api(cls, obj: dict[str, Any]) -> Price:
        """Build from one item of the ``prices`` list (raises ValueError when malformed)."""
        try:
            return cls(
                endpoint_id=str(obj["endpoint_id"]),
                unit_price=float(obj["unit_price"]),
                unit=str(obj.get("unit") or "unit"),
                currency=str(obj.get("currency") or "USD"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed price entry: {obj!r}") from exc

    def describe(self) -> str:
        """``0.025 USD per image``."""
        return f"{self.unit_price:g} {self.currency} per {self.unit}"


#: Words that make a unit vague: it does not say what is counted.
_VAGUE_WORDS = frozenset({"unit", "credit", "compute", "gpu", "cpu", "machine", "processing"})
#: Time words: concrete only next to a media word (``video_second``), vague alone.
_TIME_WORDS = frozenset({"second", "sec", "minute", "min", "hour"})
_MEDIA_WORDS = frozenset({"video", "audio", "speech", "music", "sound"})
_WORD = re.compile(r"[a-z]+")

#: What faltui says instead of a number for an endpoint priced in a vague unit.
PRICE_VARIES = "price varies"


@functools.lru_cache(maxsize=256)
def unit_words(unit: str) -> frozenset[str]:
    """The words of a unit, lower-case and singular: ``"1000_Tokens"`` → ``{"token"}``."""
    words = set()
    for word in _WORD.findall(unit.lower()):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


@functools.lru_cache(maxsize=256)
def is_vague_unit(unit: str) -> bool:
    """True when ``unit`` does not say what is counted (see the module docstring).

    ``units``, ``credits``, ``compute_seconds``, ``gpu_second``, ``second`` (alone): vague.
    ``image``, ``megapixel``, ``video_second``, ``audio_minute``, ``request``,
    ``1000_characters``, ``1m_tokens``: concrete. An empty unit is vague.
    """
    words = unit_words(unit)
    if not words or words & _VAGUE_WORDS:
        return True
    return bool(words & _TIME_WORDS) and not words & _MEDIA_WORDS


def billed_cost(price: Price, billable_units: float | None) -> float | None:
    """``billable_units × unit_price`` (fal-protocol §4.9), or None when it cannot be said.

    None when the units are unknown (the header was absent: unknown, not zero) or the price's
    unit is vague ("price varies").
    """
    if billable_units is None or is_vague_unit(price.unit):
        return None
    return billable_units * price.unit_price


def estimate(price: Price, quantity: float = 1) -> float:
    """Cost of ``quantity`` units (e.g. 4 images, 8 video seconds) at ``price``."""
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    return price.unit_price * quantity


def units_for(price: Price, payload: dict[str, Any]) -> float | None:
    """How many billing units one job with ``payload`` uses, when the unit says how.

    Per image: ``num_images`` (default 1). Per second of output: a numeric ``duration``.
    Per request/call/generation: 1. ``None`` when the unit depends on something unknown
    before the job runs (megapixels, tokens…) and for vague units ("price varies").
    """
    if is_vague_unit(price.unit):
        return None
    unit = price.unit.lower()
    if "image" in unit:
        count = payload.get("num_images", 1)
        return float(count) if _is_number(count) else 1.0
    if "second" in unit:
        duration = payload.get("duration")
        if isinstance(duration, str):
            duration = duration.rstrip("s")
            try:
                duration = float(duration)
            except ValueError:
                return None
        return float(duration) if _is_number(duration) else None
    if unit in ("request", "call", "generation", "video", "run", "job"):
        return 1.0
    return None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def describe_cost(price: Price, payload: dict[str, Any], count: int = 1) -> str:
    """``≈ 0.10 USD for 4 jobs`` when the units are known, else the unit price.

    An endpoint priced in a vague unit says ``price varies (0.0011 USD per compute_second)``.
    """
    if is_vague_unit(price.unit):
        return f"{PRICE_VARIES} ({price.describe()})"
    units = units_for(price, payload)
    if units is None:
        return f"{price.describe()} (total depends on the output)"
    total = estimate(price, units * count)
    jobs = f"{count} job{'s' if count != 1 else ''}"
    return f"≈ {total:.4g} {price.currency} for {jobs} ({price.describe()})"


def _http_of(client_or_http: Any) -> httpx.AsyncClient | None:
    import httpx

    if client_or_http is None or isinstance(client_or_http, httpx.AsyncClient):
        return client_or_http
    http = getattr(client_or_http, "http", None)
    if isinstance(http, httpx.AsyncClient):
        return http
    raise TypeError("expected an httpx.AsyncClient, an object with .http, or None")


async def _fetch(
    http: httpx.AsyncClient, settings: Settings, ids: Sequence[str]
) -> list[dict[str, Any]]:
    import httpx

    url = settings.urls["platform"].rstrip("/") + "/models/pricing"
    headers = {"Accept": "application/json"}
    key = settings.require_key()
    if settings.may_send_key(url):
        headers["Authorization"] = f"Key {key}"
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        params = [("endpoint_id", i) for i in ids]
        if cursor:
            params.append(("cursor", cursor))
        try:
            # A tuple: httpx types a list of pairs as list[tuple[str, str | int | …]] (invariant).
            response = await http.get(url, params=tuple(params), headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"could not reach {origin(url)}: {exc}") from exc
        if response.status_code >= 400:
            raise platform_error(response, "pricing")
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError("pricing: the answer was not JSON", status=response.status_code) from exc
        if not isinstance(body, dict) or not isinstance(body.get("prices"), list):
            raise ApiError("pricing: unexpected answer (no prices list)", status=200, body=body)
        items.extend(p for p in body["prices"] if isinstance(p, dict))
        next_cursor = body.get("next_cursor")
        if not body.get("has_more") or not isinstance(next_cursor, str) or next_cursor == cursor:
            break
        cursor = next_cursor
    return items


async def get_prices(
    client_or_http: Any, settings: Settings, endpoint_ids: Sequence[str]
) -> list[Price]:
    """Unit prices of ``endpoint_ids`` (order of the answer; unknown ids are simply absent).

    ``client_or_http`` is an ``httpx.AsyncClient``, anything with an ``.http`` client (e.g.
    ``FalClient``, ``Catalog``), or None (a client is created and closed here). Needs the key:
    ``MissingKeyError`` without one.
    """
    settings.require_key()
    ids = list(dict.fromkeys(i.strip() for i in endpoint_ids if i and i.strip()))
    if not ids:
        return []
    http = _http_of(client_or_http)
    owned = http is None
    if http is None:
        import httpx

        http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        )
    try:
        prices: dict[str, Price] = {}
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            for obj in await _fetch(http, settings, ids[start : start + MAX_IDS_PER_REQUEST]):
                try:
                    price = Price.from_api(obj)
                except ValueError:
                    continue
                prices.setdefault(price.endpoint_id, price)
        return list(prices.values())
    finally:
        if owned:
            await http.aclose()
