"""Reading a moment the way people write it on a command line (``--since``).

``today``, ``yesterday``, ``30d`` / ``12h`` / ``45m`` / ``2w`` (that long ago), a date
``2026-05-01`` (local midnight) or an ISO-8601 date-time (``2026-05-01T09:30``, local time
unless it names an offset or ``Z``).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$", re.IGNORECASE)
_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}

SINCE_HELP = "today, yesterday, 30d, 12h, 2w, a date (2026-05-01) or an ISO date-time"


def parse_since(text: str, now: float | None = None) -> float:
    """Epoch seconds of ``text`` (see the module docstring); ValueError says what is accepted."""
    now = time.time() if now is None else now
    value = (text or "").strip()
    lowered = value.lower()
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if lowered == "today":
        return midnight.timestamp()
    if lowered == "yesterday":
        return (midnight - timedelta(days=1)).timestamp()
    match = _AGO.match(lowered)
    if match:
        return now - float(match.group(1)) * _SECONDS[match.group(2).lower()]
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a moment: use {SINCE_HELP}") from None
    return moment.timestamp()  # naive: local time


def day_text(ts: float) -> str:
    """``2026-05-01 09:30`` in local time."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
