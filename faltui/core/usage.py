"""fal's billed usage — ``GET {platform}/models/usage`` (fal-protocol §9.5), Admin-scope keys only.

Asks for ``expand=summary`` (one line per endpoint and unit: ``{endpoint_id, unit,
unit_price, quantity, cost}``) and, per day, ``expand=time_series`` with ``timeframe=day``
(buckets of such lines), paged to the end. An ordinary key gets 401/403: ``UsageUnavailable``
says so, and callers fall back to the local sum of per-request billed costs (§4.9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faltui.core.errors import ApiError, FaltuiError

if TYPE_CHECKING:
    from faltui.core.client import FalClient

#: Safety stop when following ``next_cursor``.
MAX_PAGES = 100

#: What to tell the user when the key may not read usage.
NEEDS_ADMIN = "billed totals need an admin key; showing the local sum of per-request billed costs"


class UsageUnavailable(FaltuiError):
    """The Usage API cannot be read with this key (or at all); ``message`` says why."""


@dataclass(frozen=True)
class UsageLine:
    """Billed usage of one endpoint in one unit (over a bucket or the whole range)."""

    endpoint_id: str
    unit: str
    quantity: float | None
    unit_price: float | None
    cost: float
    currency: str = "USD"

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> UsageLine | None:
        """Parse one ``summary``/``results`` item; None when it has no endpoint or cost."""
        endpoint_id = item.get("endpoint_id")
        if not isinstance(endpoint_id, str) or not endpoint_id:
            return None
        quantity = _number(item.get("quantity"))
        unit_price = _number(item.get("unit_price"))
        cost = _number(item.get("cost"))
        if cost is None and quantity is not None and unit_price is not None:
            cost = quantity * unit_price
        if cost is None:
            return None
        currency = item.get("currency")
        return cls(
            endpoint_id,
            str(item.get("unit") or ""),
            quantity,
            unit_price,
            cost,
            currency if isinstance(currency, str) and currency else "USD",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "endpoint_id": self.endpoint_id,
            "unit": self.unit,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "cost": round(self.cost, 6),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class UsageReport:
    """fal's billed usage between ``start`` and ``end``."""

    start: float
    end: float
    #: One line per endpoint and unit over the whole range.
    summary: list[UsageLine] = field(default_factory=list)
    #: ``YYYY-MM-DD`` → lines of that day (asked for with ``by_day``).
    days: dict[str, list[UsageLine]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """The billed cost over the range."""
        return sum(line.cost for line in self.summary)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "total": round(self.total, 6),
            "summary": [line.to_dict() for line in self.summary],
            "days": {day: [line.to_dict() for line in lines] for day, lines in self.days.items()},
        }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _local_zone() -> str:
    """The IANA name of the local time zone when it can be told, else ``UTC``."""
    zone = datetime.now().astimezone().tzinfo
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) and key else "UTC"


async def fetch_usage(
    client: FalClient,
    start: float,
    end: float,
    *,
    by_day: bool = False,
    endpoint_ids: list[str] | None = None,
    timezone: str | None = None,
) -> UsageReport:
    """fal's billed usage from ``start`` to ``end`` (epoch seconds).

    Raises ``UsageUnavailable`` when the key may not read it (401/403: "needs an admin key")
    or fal's answer cannot be used; other ``FaltuiError`` for a transport failure.
    """
    url = client.settings.urls["platform"].rstrip("/") + "/models/usage"
    expand = ["summary", "time_series"] if by_day else ["summary"]
    params: dict[str, str] = {
        "start": _iso(start),
        "end": _iso(end),
        "expand": ",".join(expand),
        "timezone": timezone or _local_zone(),
    }
    if by_day:
        params["timeframe"] = "day"
    if endpoint_ids:
        params["endpoint_id"] = ",".join(endpoint_ids)
    summary: list[UsageLine] = []
    days: dict[str, list[UsageLine]] = {}
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        query = {**params, "cursor": cursor} if cursor else params
        try:
            response = await client.request(
                "GET", url, retry="idempotent", action="usage", params=query
            )
        except ApiError as exc:
            if exc.status in (401, 403):
                raise UsageUnavailable(NEEDS_ADMIN) from exc
            raise UsageUnavailable(f"fal's usage could not be read ({exc})") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise UsageUnavailable("fal's usage answer is not JSON") from exc
        if not isinstance(body, dict):
            raise UsageUnavailable("fal's usage answer is not an object")
        if not summary:
            summary = [
                line
                for item in body.get("summary") or []
                if isinstance(item, dict) and (line := UsageLine.from_api(item)) is not None
            ]
        for bucket in body.get("time_series") or []:
            if not isinstance(bucket, dict):
                continue
            day = str(bucket.get("bucket") or "")[:10]
            lines = [
                line
                for item in bucket.get("results") or []
                if isinstance(item, dict) and (line := UsageLine.from_api(item)) is not None
            ]
            if day and lines:
                days.setdefault(day, []).extend(lines)
        next_cursor = body.get("next_cursor")
        if not by_day or not body.get("has_more") or not isinstance(next_cursor, str):
            break
        if next_cursor == cursor:
            break
        cursor = next_cursor
    return UsageReport(start, end, summary, days)
