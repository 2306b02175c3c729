"""Plain data of the queue API: handles, statuses, log lines (fal-protocol §4.1, §4.2, §4.7).

Re-exported by ``faltui.core.client``; import them from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
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
