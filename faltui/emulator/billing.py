"""What the emulator charges: a price per endpoint and the billable units of each request.

The price (``GET /v1/models/pricing``) comes from the endpoint's category; the units of a
finished request (``x-fal-billable-units``, usage) are counted in that price's unit, so
``billed cost = units × unit_price`` holds for every request (fal-protocol.md §4.9, §9.2).
Only successful requests are billed (fal charges for successful outputs only).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from faltui.emulator.catalog import EmulatorCatalog

#: Emulated prices by category: (unit price, unit).
PRICES: dict[str, tuple[float, str]] = {
    "text-to-image": (0.025, "image"),
    "image-to-image": (0.03, "image"),
    "text-to-video": (0.1, "video_second"),
    "image-to-video": (0.1, "video_second"),
    "video-to-video": (0.08, "video_second"),
    "text-to-speech": (0.05, "1000_characters"),
    "text-to-audio": (0.02, "audio_second"),
    "speech-to-text": (0.001, "audio_second"),
    "image-to-3d": (0.3, "request"),
    "text-to-3d": (0.4, "request"),
    "llm": (0.002, "1000_tokens"),
}
DEFAULT_PRICE = (0.01, "request")
#: Video seconds billed when the input names no duration.
DEFAULT_VIDEO_SECONDS = 5
#: Audio seconds billed per generated or transcribed clip (the emulator's clips are this long).
AUDIO_SECONDS = 0.4
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s?\s*$")


@dataclass(frozen=True)
class Price:
    """An endpoint's unit price."""

    endpoint_id: str
    unit_price: float
    unit: str
    currency: str = "USD"

    def as_dict(self) -> dict[str, Any]:
        """The ``prices[]`` item of ``GET /v1/models/pricing``."""
        return {
            "endpoint_id": self.endpoint_id,
            "unit_price": self.unit_price,
            "unit": self.unit,
            "currency": self.currency,
        }


def price_for(catalog: EmulatorCatalog, endpoint_id: str) -> Price:
    """The emulated price of an endpoint (``catalog.set_price`` first, else its category)."""
    unit_price, unit = catalog.prices.get(endpoint_id) or PRICES.get(
        catalog.category(endpoint_id), DEFAULT_PRICE
    )
    return Price(endpoint_id, unit_price, unit)


def _files(value: Any, prefix: str) -> list[dict[str, Any]]:
    """File objects in an output whose ``content_type`` starts with ``prefix``."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        content_type = value.get("content_type")
        if isinstance(value.get("url"), str) and isinstance(content_type, str):
            if content_type.startswith(prefix):
                found.append(value)
            return found
        for item in value.values():
            found.extend(_files(item, prefix))
    elif isinstance(value, list):
        for item in value:
            found.extend(_files(item, prefix))
    return found


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        match = _NUMBER.match(value)
        if match:
            return float(match.group(1))
    return None


def _text(payload: dict[str, Any]) -> str:
    for key in ("text", "prompt", "input"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    return ""


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_words(v) for v in value.values())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    return 0


def billable_units(unit: str, payload: Any, output: Any) -> float:
    """Units of one successful request, in ``unit`` (rounded to 6 decimals)."""
    payload = payload if isinstance(payload, dict) else {}
    if unit == "image":
        units: float = max(1, len(_files(output, "image/")))
    elif unit == "megapixel":
        pixels = sum(
            int(f.get("width") or 0) * int(f.get("height") or 0) for f in _files(output, "image/")
        )
        units = max(pixels / 1_000_000, 0.000001)
    elif unit == "video_second":
        units = _seconds(payload.get("duration")) or DEFAULT_VIDEO_SECONDS
    elif unit == "audio_second":
        units = max(1, len(_files(output, "audio/"))) * AUDIO_SECONDS
    elif unit == "1000_characters":
        units = max(1, len(_text(payload))) / 1000
    elif unit == "1000_tokens":
        units = max(1, _words(output)) / 1000
    else:
        units = 1
    return round(float(units), 6)


def format_units(units: float) -> str:
    """Header form of a quantity: ``2`` for whole numbers, else up to 6 decimals."""
    if math.isclose(units, round(units)):
        return str(round(units))
    return f"{units:.6f}".rstrip("0").rstrip(".")
