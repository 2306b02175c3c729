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
    BILLABLE_UNITS_HEADER,
    COMPLETED,
    IN_PROGRESS,
    IN_QUEUE,
    NO_PAYLOAD,
    HistoryItem,
    LogDeduper,
    LogLine,
    QueueHandle,
    ResultAnswer,
    Status,
    parse_billable_units,
)

__all__ = [
    "BILLABLE_UNITS_HEADER",
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
    "ResultAnswer",
    "RetryPolicy",
    "Status",
    "WaitTimeout",
    "make_http_client",
    "parse_billable_units",
    "parse_retry_after",
    "submit_headers",
]
