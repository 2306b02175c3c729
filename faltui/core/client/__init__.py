"""fal's queue and sync APIs: the client (``api``), its HTTP plumbing (``http``), the value
types it returns (``models``) and how error answers become exceptions (``errors``)."""

from faltui.core.client.api import USER_AGENT, FalClient, WaitTimeout
from faltui.core.client.http import (
    PRIORITIES,
    RetryPolicy,
    make_http_client,
    parse_retry_after,
    submit_headers,
)
from faltui.core.client.models import (
    COMPLETED,
    IN_PROGRESS,
    IN_QUEUE,
    NO_PAYLOAD,
    HistoryItem,
    LogDeduper,
    LogLine,
    QueueHandle,
    Status,
)

__all__ = [
    "COMPLETED",
    "IN_PROGRESS",
    "IN_QUEUE",
    "NO_PAYLOAD",
    "PRIORITIES",
    "USER_AGENT",
    "FalClient",
    "HistoryItem",
    "LogDeduper",
    "LogLine",
    "QueueHandle",
    "RetryPolicy",
    "Status",
    "WaitTimeout",
    "make_http_client",
    "parse_retry_after",
    "submit_headers",
]
