"""fal's queue and sync APIs: the client (``api``), its HTTP plumbing (``http``), the value
types it returns (``models``) and how error answers become exceptions (``errors``).

Names are imported on first use, so importing the value types (``models``: the job and the
journal need them) does not pull in httpx; the TUI's first frame needs neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faltui.core.lazy import lazy_names

if TYPE_CHECKING:
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

_WHERE = {
    **dict.fromkeys(("USER_AGENT", "FalClient", "WaitTimeout"), "faltui.core.client.api"),
    **dict.fromkeys(
        ("PRIORITIES", "RetryPolicy", "make_http_client", "parse_retry_after", "submit_headers"),
        "faltui.core.client.http",
    ),
    **dict.fromkeys(
        (
            "BILLABLE_UNITS_HEADER",
            "COMPLETED",
            "IN_PROGRESS",
            "IN_QUEUE",
            "NO_PAYLOAD",
            "HistoryItem",
            "LogDeduper",
            "LogLine",
            "QueueHandle",
            "ResultAnswer",
            "Status",
            "parse_billable_units",
        ),
        "faltui.core.client.models",
    ),
}

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


__getattr__ = lazy_names(__name__, _WHERE)
