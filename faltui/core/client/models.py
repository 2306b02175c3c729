"""Plain data of the queue API: handles, statuses, log lines (fal-protocol §4.1, §4.2, §4.7).

Re-exported by ``faltui.core.client``; import them from there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

IN_QUEUE = "IN_QUEUE"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
STATES = (IN_QUEUE, IN_PROGRESS, COMPLETED)


@dataclass(frozen=True)
class LogLine:
    """One log entry of a request."""

    message: str
    timestamp: str
    level: str = "INFO"

    @classmethod
    def from_api(cls, item: Any) -> LogLine:
        """Parse one ``logs`` item; a ``{"traceback": …}`` message is unwrapped to its text."""
        if not isinstance(item, dict):
            return cls(str(item), "")
        message = item.get("message")
        message = "" if message is None else str(message)
        if message.startswith('{"traceback"'):
            try:
                decoded = json.loads(message)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict) and isinstance(decoded.get("traceback"), str):
                message = decoded["traceback"].rstrip("\n")
        timestamp = item.get("timestamp")
        level = item.get("level")
        return cls(message, "" if timestamp is None else str(timestamp), str(level or "INFO"))


def parse_logs(raw: Any) -> list[LogLine]:
    """``logs`` of a status body (``null`` or a list) as ``LogLine`` objects."""
    if not isinstance(raw, list):
        return []
    return [LogLine.from_api(item) for item in raw]


class LogDeduper:
    """Remembers the log lines already seen.

    Polling returns a sliding window of log lines and streams send only new ones, so lines are
    told apart by ``(timestamp, message)``, never by position (fal-protocol §4.7).
    """

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def new(self, lines: Iterable[LogLine]) -> list[LogLine]:
        """The lines not seen before, in order (each returned once)."""
        fresh: list[LogLine] = []
        for line in lines:
            key = (line.timestamp, line.message)
            if key in self._seen:
                continue
            self._seen.add(key)
            fresh.append(line)
        return fresh

    def __len__(self) -> int:
        return len(self._seen)


@dataclass
class QueueHandle:
    """Everything needed to follow a queued request; persisted by the journal."""

    endpoint_id: str
    request_id: str
    status_url: str
    response_url: str
    cancel_url: str
    queue_position: int | None = None
    status: str = IN_QUEUE

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``from_dict`` reverses it)."""
        return {
            "endpoint_id": self.endpoint_id,
            "request_id": self.request_id,
            "status_url": self.status_url,
            "response_url": self.response_url,
            "cancel_url": self.cancel_url,
            "queue_position": self.queue_position,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueHandle:
        """Rebuild a handle saved with ``to_dict``."""
        position = data.get("queue_position")
        return cls(
            endpoint_id=str(data["endpoint_id"]),
            request_id=str(data["request_id"]),
            status_url=str(data["status_url"]),
            response_url=str(data["response_url"]),
            cancel_url=str(data["cancel_url"]),
            queue_position=position if isinstance(position, int) else None,
            status=str(data.get("status") or IN_QUEUE),
        )

    @property
    def status_stream_url(self) -> str:
        """The server-sent-events variant of ``status_url``."""
        base, sep, query = self.status_url.partition("?")
        return base.rstrip("/") + "/stream" + (sep + query if sep else "")


@dataclass
class Status:
    """One status answer (poll or stream event)."""

    state: str
    request_id: str = ""
    queue_position: int | None = None
    logs: list[LogLine] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """The request finished (successfully or not)."""
        return self.state == COMPLETED

    @property
    def failed(self) -> bool:
        """The request finished with an error (failure, cancellation, timeout)."""
        return self.state == COMPLETED and bool(self.error or self.error_type)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Status:
        """Parse a status body; unknown states are kept verbatim (never raise)."""
        position = body.get("queue_position")
        metrics = body.get("metrics")
        error = body.get("error")
        error_type = body.get("error_type")
        return cls(
            state=str(body.get("status") or ""),
            request_id=str(body.get("request_id") or ""),
            queue_position=position if isinstance(position, int) else None,
            logs=parse_logs(body.get("logs")),
            metrics=metrics if isinstance(metrics, dict) else {},
            error=None if error is None else str(error),
            error_type=None if error_type is None else str(error_type),
            raw=body,
        )


#: The response header carrying what fal billed for a request (fal-protocol §4.9).
BILLABLE_UNITS_HEADER = "x-fal-billable-units"


def parse_billable_units(headers: Mapping[str, str]) -> float | None:
    """The ``x-fal-billable-units`` of a result answer, or None when absent or unreadable.

    Absent means unknown, not zero: the caller must not count it as free.
    """
    raw = headers.get(BILLABLE_UNITS_HEADER)
    if raw is None:
        return None
    try:
        units = float(str(raw).strip())
    except ValueError:
        return None
    return units if math.isfinite(units) and units >= 0 else None


@dataclass(frozen=True)
class ResultAnswer:
    """A result (queue ``GET …/requests/{id}`` or a sync run) with what fal billed for it."""

    output: dict[str, Any]
    #: ``x-fal-billable-units``, in the endpoint's pricing unit; None = not said (unknown).
    billable_units: float | None = None
    request_id: str | None = None


#: ``HistoryItem.json_input`` when the history did not include the input (deleted, not kept).
NO_PAYLOAD: Any = type("NoPayload", (), {"__repr__": lambda self: "NO_PAYLOAD"})()


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 time (``Z``, an offset, or naive = UTC); None if unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class HistoryItem:
    """One request of fal's request history (fal-protocol §9.4)."""

    request_id: str
    endpoint_id: str
    sent_at: float | None
    started_at: float | None = None
    ended_at: float | None = None
    status: str | None = None
    #: The input fal stored, or ``NO_PAYLOAD`` when the answer has none (not asked for,
    #: deleted, or never stored: ``X-Fal-Store-IO: 0``).
    json_input: Any = NO_PAYLOAD
    json_output: Any = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_input(self) -> bool:
        """True when the stored input came with the item (it can be compared)."""
        return self.json_input is not NO_PAYLOAD

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> HistoryItem | None:
        """Parse one ``items`` entry; None without a request id."""
        request_id = item.get("request_id")
        if not isinstance(request_id, str) or not request_id:
            return None
        stored = item.get("json_input", NO_PAYLOAD)
        status = item.get("status")
        return cls(
            request_id=request_id,
            endpoint_id=str(item.get("endpoint_id") or ""),
            sent_at=parse_time(item.get("sent_at")),
            started_at=parse_time(item.get("started_at")),
            ended_at=parse_time(item.get("ended_at")),
            status=str(status) if status is not None else None,
            json_input=NO_PAYLOAD if stored is None else stored,
            json_output=item.get("json_output"),
            raw=item,
        )
