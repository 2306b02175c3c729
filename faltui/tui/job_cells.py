"""What each column of the job list says about a job, and how wide each column is.

``row_texts`` turns a job into a ``RowTexts`` (literal, one-line texts: server text is data,
control and bidi characters removed); ``column_widths`` shares a width out between the
columns; ``fit`` cuts a text to a number of cells, never mid-character, with ``…``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size

from faltui.core.job import Job, JobState
from faltui.core.spend import CostKind, JobCost
from faltui.tui.format import (
    last_log,
    one_line,
    prompt_snippet,
    short_model,
    state_label,
)

#: States whose rows tick (elapsed) and that the "active" filter shows.
ACTIVE_STATES = frozenset({JobState.pending, JobState.queued, JobState.running})
#: The columns after the mark gutter: (key, header title).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("model", "Model"),
    ("prompt", "Prompt"),
    ("state", "State"),
    ("elapsed", "Elapsed"),
    ("cost", "Cost"),
    ("progress", "Progress"),
    ("log", "Last log"),
)
#: States whose row shows the job's error instead of its last log line.
PROBLEM_STATES = frozenset({JobState.failed, JobState.lost, JobState.unknown})

#: Widths the columns start from; the log column takes what is left.
PREFERRED: dict[str, int] = {
    "model": 22,
    "prompt": 30,
    "state": 10,
    "elapsed": 7,
    "cost": 7,
    "progress": 9,
}
#: The order in which columns give up room (column, width it shrinks to at this step) while
#: the log column has less than ``LOG_WANTED``. The progress and elapsed columns go straight
#: to their floor (a counter cut in half says nothing); 0 hides a column.
SHRINK_STEPS = (
    ("model", 16),
    ("prompt", 24),
    ("progress", 5),
    ("model", 12),
    ("elapsed", 6),
    ("progress", 0),
    ("prompt", 16),
    ("prompt", 12),
    ("cost", 0),
    ("model", 8),
)
_JUMPY = frozenset({"progress", "elapsed", "cost"})
LOG_WANTED = 14
#: A log column narrower than this is dropped and its room given to the prompt.
LOG_MIN = 8
#: A log column narrower than ``LOG_WANTED`` is dropped too while the prompt is narrower than
#: this (the prompt says which job it is; the log's latest line is in Results).
PROMPT_BEFORE_LOG = 20
#: Past this width of the log column, the prompt column takes half of the extra room.
LOG_ROOMY = 40
PROMPT_MAX = 60
#: Cells taken by the mark gutter (left) and after each column.
GUTTER = 2
GAP = 1

#: Most log lines looked at (newest first) for a progress figure.
PROGRESS_LOOKBACK = 4
_STEPS = re.compile(r"(?<![\d/.])(\d{1,7})\s*/\s*(\d{1,7})(?![\d/]|\.\d)")
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
#: Longest server text kept per cell before it is made one line (a cell shows far less).
_CELL_SOURCE_LIMIT = 600


def column_widths(total: int, *, cost: bool = True) -> dict[str, int]:
    """Widths of the columns of a list ``total`` cells wide (gutter and gaps included).

    ``cost`` False leaves the cost column out (a list that is told no costs).

    The log column takes what is left; while it has less than ``LOG_WANTED`` the others shrink
    step by step (``SHRINK_STEPS``); with room to spare the prompt column grows first. A
    column of width 0 is not shown (nor its gap).
    """
    widths = dict(PREFERRED)
    if not cost:
        widths["cost"] = 0

    def left() -> int:
        used = sum(width + GAP for width in widths.values() if width)
        return total - GUTTER - used - GAP

    for column, floor in SHRINK_STEPS:
        excess = LOG_WANTED - left()
        if excess > 0 and widths[column] > floor:
            if column in _JUMPY:
                widths[column] = floor
            else:
                widths[column] = max(floor, widths[column] - excess)
    log = left()
    if log > LOG_ROOMY:
        grow = min(PROMPT_MAX - widths["prompt"], (log - LOG_ROOMY) // 2)
        if grow > 0:
            widths["prompt"] += grow
            log -= grow
    short = PROMPT_BEFORE_LOG - widths["prompt"]
    if short > 0 and log - short >= LOG_WANTED:
        widths["prompt"] += short
        log -= short
    elif log < LOG_MIN or short > 0:
        widths["prompt"] = max(1, widths["prompt"] + log + GAP)
        log = 0
    widths["log"] = log
    return widths


def fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells; a longer text is cut and ends with ``…``."""
    if width <= 0:
        return ""
    if text.isascii():
        return text if len(text) <= width else text[: width - 1] + "…"
    if cell_len(text) <= width:
        return text
    room = width - 1
    used = 0
    out: list[str] = []
    for char in text:
        size = get_character_cell_size(char)
        if used + size > room:
            break
        out.append(char)
        used += size
    return "".join(out) + " " * (room - used) + "…"


def fit_end(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, keeping its end (``…4567``): where siblings'
    seeds and numbers differ."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    kept: list[str] = []
    used = 0
    for char in reversed(text):
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "…" + "".join(reversed(kept))


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``fit`` then padded with spaces to exactly ``width`` cells."""
    text = fit(text, width)
    gap = width - (len(text) if text.isascii() else cell_len(text))
    if gap <= 0:
        return text
    return " " * gap + text if right else text + " " * gap


def progress_of(job: Job) -> tuple[str, float] | None:
    """``("2/4", 0.5)`` from the newest log line with a step counter or a percentage.

    Only for jobs still in flight (a finished job's state says more than its last step).
    """
    if job.state not in ACTIVE_STATES:
        return None
    for line in reversed(job.logs[-PROGRESS_LOOKBACK:]):
        message = line.message[:_CELL_SOURCE_LIMIT]
        steps = _STEPS.search(message)
        if steps is not None:
            done, total = int(steps.group(1)), int(steps.group(2))
            if total > 0 and done <= total:
                return f"{done}/{total}", done / total
        percent = _PERCENT.search(message)
        if percent is not None:
            value = float(percent.group(1))
            if value <= 100:
                return f"{value:.0f}%", value / 100
    return None


def _amount(amount: float, currency: str) -> str:
    text = f"{amount:.3f}".rstrip("0").rstrip(".") if amount >= 0.001 else f"{amount:.1g}"
    return f"${text}" if currency == "USD" else f"{text} {currency}"


def cost_cell(cost: JobCost) -> str:
    """A job's cost in a few cells: ``$0.025`` billed, ``≈$0.1`` estimated (not billed yet,
    or fal sent no units), ``varies`` (a vague unit), ``—`` nothing spent, ``?`` unknown."""
    if cost.kind is CostKind.billed and cost.billed is not None:
        return _amount(cost.billed, cost.currency)
    if cost.kind is CostKind.price_varies:
        return "varies"
    if cost.kind in (CostKind.not_sent, CostKind.not_billed):
        return "—"
    if cost.estimate is not None:
        return "≈" + _amount(cost.estimate, cost.currency)
    return "" if cost.kind is CostKind.pending else "?"


@dataclass(frozen=True, slots=True)
class RowTexts:
    """What one job's row says; rows are re-drawn only when this changes."""

    state: JobState
    model: str
    prompt: str
    tag: str
    state_text: str
    progress: str
    fraction: float | None
    log: str
    haystack: str
    #: The job's billed cost or estimate (``0.025 USD``, ``≈0.1 USD``, ``price varies``).
    cost: str = ""


@functools.lru_cache(maxsize=4096)
def _names(endpoint_id: str, request_id: str | None) -> tuple[str, str, str]:
    """(model column, endpoint id, request id) made literal, for a row and its search text."""
    return short_model(endpoint_id), one_line(endpoint_id), one_line(request_id or "")


def row_texts(
    job: Job, tag: str, prompt: str | None = None, cost: str = "", *, reconciling: bool = False
) -> RowTexts:
    """The texts of a job's row (``tag``: what tells it apart from its siblings; ``prompt``:
    its ``prompt_snippet`` when already known; ``cost``: what it cost; ``reconciling``: fal's
    request history is being searched for it now)."""
    state = job.state
    problem = state in PROBLEM_STATES or (state is JobState.cancelled and not job.logs)
    if problem and job.error:
        log = one_line(job.error[:_CELL_SOURCE_LIMIT])
    else:
        log = (
            last_log(job)
            if len(job.last_log) <= _CELL_SOURCE_LIMIT
            else one_line(job.last_log[:_CELL_SOURCE_LIMIT])
        )
    progress = progress_of(job)
    if prompt is None:
        prompt = prompt_snippet(job)
    state_text = state_label(job, reconciling=reconciling, short=True)
    model, endpoint, request = _names(job.endpoint_id, job.request_id)
    haystack = " ".join((prompt, tag, endpoint, request, state_text)).casefold()
    return RowTexts(
        state=state,
        model=model,
        prompt=prompt,
        tag=tag,
        state_text=state_text,
        progress=progress[0] if progress else "",
        fraction=progress[1] if progress else None,
        log=log,
        haystack=haystack,
        cost=cost,
    )
