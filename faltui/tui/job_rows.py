"""The job list's rows, without any widget: their texts, order, cursor and marks.

``JobRows`` is what the jobs pane shows, computed once per change rather than per frame: a
``RowTexts`` per job (what each column says), which jobs the filter and the search let through
and in which order, the job under the cursor and the marked jobs. ``JobList`` draws it line by
line; ``JobTable`` turns keys into calls on it.

Jobs of one ×N batch (or a sweep) share their model and prompt; ``Siblings`` finds what tells
them apart (``seed 1234``, ``guidance_scale 3.5``, else ``#3/8``) so every row says it.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len, get_character_cell_size

from faltui.core.job import Job, JobState
from faltui.tui.format import (
    elapsed_seconds,
    file_name,
    format_duration,
    is_url,
    last_log,
    one_line,
    prompt_snippet,
    short_model,
    state_label,
)

#: States whose rows tick (elapsed) and that the "active" filter shows.
ACTIVE_STATES = frozenset({JobState.pending, JobState.queued, JobState.running})
#: The filters ``f`` cycles through: (name, states or None for all).
FILTER_CYCLE: tuple[tuple[str, frozenset[JobState] | None], ...] = (
    ("all", None),
    ("active", ACTIVE_STATES),
    ("done", frozenset({JobState.done})),
    ("failed", frozenset({JobState.failed})),
)

#: The columns after the mark gutter: (key, header title).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("model", "Model"),
    ("prompt", "Prompt"),
    ("state", "State"),
    ("elapsed", "Elapsed"),
    ("progress", "Progress"),
    ("log", "Last log"),
)
#: What ``s`` cycles through; ``created`` is the order jobs were made in.
SORT_COLUMNS = ("created", "model", "prompt", "state", "elapsed", "progress", "log")
#: Sort order of states: live first, then problems, then the finished.
STATE_RANK = {
    JobState.running: 0,
    JobState.queued: 1,
    JobState.pending: 2,
    JobState.unknown: 3,
    JobState.failed: 4,
    JobState.lost: 5,
    JobState.cancelled: 6,
    JobState.done: 7,
}
#: States whose row shows the job's error instead of its last log line.
PROBLEM_STATES = frozenset({JobState.failed, JobState.lost, JobState.unknown})

#: Widths the columns start from; the log column takes what is left.
PREFERRED: dict[str, int] = {
    "model": 22,
    "prompt": 30,
    "state": 10,
    "elapsed": 7,
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
    ("model", 8),
)
_JUMPY = frozenset({"progress", "elapsed"})
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


def column_widths(total: int) -> dict[str, int]:
    """Widths of the columns of a list ``total`` cells wide (gutter and gaps included).

    The log column takes what is left; while it has less than ``LOG_WANTED`` the others shrink
    step by step (``SHRINK_STEPS``); with room to spare the prompt column grows first. A
    column of width 0 is not shown (nor its gap).
    """
    widths = dict(PREFERRED)

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


@functools.lru_cache(maxsize=4096)
def _names(endpoint_id: str, request_id: str | None) -> tuple[str, str, str]:
    """(model column, endpoint id, request id) made literal, for a row and its search text."""
    return short_model(endpoint_id), one_line(endpoint_id), one_line(request_id or "")


def row_texts(job: Job, tag: str, prompt: str | None = None) -> RowTexts:
    """The texts of a job's row (``tag``: what tells it apart from its siblings; ``prompt``:
    its ``prompt_snippet`` when already known)."""
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
    state_text = state_label(job)
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
    )


# -- siblings -------------------------------------------------------------------------------

#: Longest value shown in a sibling tag.
TAG_VALUE_CELLS = 14
#: Most differing keys named in a tag.
TAG_KEYS = 2
_MISSING = "\x00missing"


def _fingerprint(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, int | float):  # bool is an int
        return repr(value)
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def tag_value(value: Any) -> str:
    """A short, literal rendering of an input value for a tag."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = file_name(value) if is_url(value) else value
    elif isinstance(value, dict) and {"width", "height"} <= value.keys():
        text = f"{value['width']}×{value['height']}"
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        text = ", ".join(file_name(v) if is_url(v) else v for v in value)
    else:
        text = _fingerprint(value)
    return fit(one_line(text), TAG_VALUE_CELLS)


@dataclass
class _Group:
    members: list[str] = field(default_factory=list)
    values: dict[str, Counter[str]] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)
    key_order: list[str] = field(default_factory=list)

    def add(self, job_id: str, payload: dict[str, Any]) -> None:
        prints = {str(k): _fingerprint(v) for k, v in payload.items()}
        self.members.append(job_id)
        self.fingerprints[job_id] = prints
        for key, fingerprint in prints.items():
            if key not in self.values:
                self.values[key] = Counter()
                self.key_order.append(key)
            self.values[key][fingerprint] += 1

    def discard(self, job_id: str) -> None:
        prints = self.fingerprints.pop(job_id, None)
        if prints is None:
            return
        self.members.remove(job_id)
        for key, fingerprint in prints.items():
            counter = self.values[key]
            counter[fingerprint] -= 1
            if counter[fingerprint] <= 0:
                del counter[fingerprint]

    def differing(self) -> list[str]:
        """Input keys whose value is not the same in every member (seed last)."""
        count = len(self.members)
        keys = [
            key
            for key in self.key_order
            if (counter := self.values[key]) and (len(counter) > 1 or counter.total() < count)
        ]
        keys.sort(key=lambda k: k == "seed")
        return keys


class Siblings:
    """Jobs sharing a model and a prompt, and the tag that tells each of them apart."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], _Group] = {}
        self._group_of: dict[str, tuple[str, str]] = {}
        self._inputs: dict[str, int] = {}
        self._payloads: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, str] = {}
        #: Each job's ``prompt_snippet`` (computed again only when its input is replaced).
        self.prompts: dict[str, str] = {}

    def update(self, jobs: Iterable[Job]) -> set[str]:
        """Place new jobs (and jobs whose input was replaced) in their groups; returns the ids
        whose tag changed (new jobs included)."""
        dirty: set[tuple[str, str]] = set()
        for job in jobs:
            known = self._inputs.get(job.id)
            if known == id(job.input):
                continue
            if known is not None:
                dirty.add(self._leave(job.id))
            prompt = prompt_snippet(job)
            self.prompts[job.id] = prompt
            key = (job.endpoint_id, prompt)
            group = self._groups.setdefault(key, _Group())
            group.add(job.id, job.input)
            self._group_of[job.id] = key
            self._inputs[job.id] = id(job.input)
            self._payloads[job.id] = job.input
            dirty.add(key)
        return self._retag(dirty)

    def discard(self, job_ids: Iterable[str]) -> set[str]:
        """Forget jobs; returns the ids of the remaining jobs whose tag changed."""
        dirty = {self._leave(job_id) for job_id in job_ids if job_id in self._group_of}
        return self._retag(dirty)

    def _leave(self, job_id: str) -> tuple[str, str]:
        key = self._group_of.pop(job_id)
        self._inputs.pop(job_id, None)
        self._payloads.pop(job_id, None)
        self.tags.pop(job_id, None)
        self.prompts.pop(job_id, None)
        group = self._groups[key]
        group.discard(job_id)
        if not group.members:
            del self._groups[key]
        return key

    def _retag(self, keys: set[tuple[str, str]]) -> set[str]:
        changed: set[str] = set()
        for key in keys:
            group = self._groups.get(key)
            if group is None:
                continue
            members = group.members
            differing = group.differing()[:TAG_KEYS] if len(members) > 1 else []
            for number, job_id in enumerate(members, 1):
                if len(members) < 2:
                    tag = ""
                elif differing:
                    payload = self._payloads[job_id]
                    tag = " · ".join(
                        f"{k} {tag_value(payload[k])}" if k in payload else f"no {k}"
                        for k in differing
                    )
                else:
                    tag = f"#{number}/{len(members)}"
                if self.tags.get(job_id) != tag:
                    self.tags[job_id] = tag
                    changed.add(job_id)
        return changed


# -- the rows -------------------------------------------------------------------------------


@dataclass
class RowChanges:
    """What an update did to the list, so the view repaints no more than that."""

    changed: set[str] = field(default_factory=set)  # shown rows whose line changed
    reordered: bool = False  # rows moved: repaint every visible line
    appended: int = 0  # rows added at the end (nothing else moved)
    cursor_moved: bool = False  # the cursor is on another job than before

    def merge(self, other: RowChanges) -> None:
        """Add ``other``'s changes to these."""
        self.changed |= other.changed
        self.reordered |= other.reordered
        self.appended += other.appended
        self.cursor_moved |= other.cursor_moved


class JobRows:
    """Every job given, the shown ones in order, the cursor and the marks."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.jobs: dict[str, Job] = {}
        self.texts: dict[str, RowTexts] = {}
        self.versions: dict[str, int] = {}
        self.arrival: dict[str, int] = {}
        self.siblings = Siblings()
        self.states: frozenset[JobState] | None = None
        self.query = ""
        self._words: list[str] = []
        self.sort = "created"
        self.descending = False
        self.order: list[str] = []
        self.index: dict[str, int] = {}
        self.marked: set[str] = set()
        self.cursor_id: str | None = None
        self._cursor_hint = 0
        self._arrivals = 0

    # -- queries ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.order)

    @property
    def cursor_index(self) -> int | None:
        """The cursor's row (``None`` when nothing is shown)."""
        if self.cursor_id is None:
            return None
        return self.index.get(self.cursor_id)

    def shows(self, job_id: str) -> bool:
        """Whether the filter and the search let a job through."""
        texts = self.texts[job_id]
        if self.states is not None and texts.state not in self.states:
            return False
        return all(word in texts.haystack for word in self._words)

    def elapsed_text(self, job_id: str) -> str:
        """The elapsed column of a job at ``now``."""
        return format_duration(elapsed_seconds(self.jobs[job_id], self.now))

    def marked_shown(self) -> list[str]:
        """Marked jobs the list shows, top to bottom."""
        if not self.marked:
            return []
        return [job_id for job_id in self.order if job_id in self.marked]

    # -- changes ---------------------------------------------------------------------------

    def upsert(self, jobs: Iterable[Job], now: float | None = None) -> RowChanges:
        """Add new jobs and take in changed ones."""
        if now is not None:
            self.now = now
        batch = {job.id: job for job in jobs}
        if not batch:
            return RowChanges()
        new = [job_id for job_id in batch if job_id not in self.jobs]
        for job_id, job in batch.items():
            self.jobs[job_id] = job
        for job_id in new:
            self.arrival[job_id] = self._arrivals
            self._arrivals += 1
        retagged = self.siblings.update(batch.values())
        changed_ids = set(batch) | retagged
        return self._take(changed_ids, new)

    def _take(self, changed_ids: set[str], new: list[str]) -> RowChanges:
        before_cursor = self.cursor_id
        at_end = before_cursor is None or self.index.get(before_cursor) == len(self.order) - 1
        changes = RowChanges()
        entering: list[str] = []
        leaving = False
        moved = False
        tags = self.siblings.tags
        prompts = self.siblings.prompts
        for job_id in changed_ids:
            old = self.texts.get(job_id)
            texts = row_texts(self.jobs[job_id], tags.get(job_id, ""), prompts.get(job_id))
            if old == texts:
                continue
            self.texts[job_id] = texts
            self.versions[job_id] = self.versions.get(job_id, 0) + 1
            was_shown = job_id in self.index
            now_shown = self.shows(job_id)
            if was_shown and now_shown:
                changes.changed.add(job_id)
                if old is not None and self.sort != "created":
                    moved = moved or self._sort_key_of(old, job_id) != self._sort_key(job_id)
            elif now_shown:
                entering.append(job_id)
            elif was_shown:
                leaving = True
        if leaving or moved:
            self._rebuild()
            changes.reordered = True
        elif entering:
            entering.sort(key=self._sort_key, reverse=self.descending)
            if self.order and not self._after_last(entering[0]):
                self._rebuild()
                changes.reordered = True
            else:
                start = len(self.order)
                self.order.extend(entering)
                for offset, job_id in enumerate(entering):
                    self.index[job_id] = start + offset
                changes.appended = len(entering)
        newly_shown = [job_id for job_id in new if job_id in self.index]
        if at_end and newly_shown:
            # The cursor was on the last row (or there was none): follow the new rows (to the
            # lowest of them: the last row when sorted by time).
            self.cursor_id = max(newly_shown, key=self.index.__getitem__)
        self._settle_cursor()
        changes.cursor_moved = self.cursor_id != before_cursor
        return changes

    def _after_last(self, job_id: str) -> bool:
        last = self._sort_key(self.order[-1])
        key = self._sort_key(job_id)
        return key >= last if not self.descending else key <= last

    def remove(self, job_ids: Iterable[str]) -> RowChanges:
        """Take jobs off the list (marks included)."""
        gone = [job_id for job_id in job_ids if job_id in self.jobs]
        if not gone:
            return RowChanges()
        before_cursor = self.cursor_id
        for job_id in gone:
            self.jobs.pop(job_id)
            self.texts.pop(job_id, None)
            self.versions.pop(job_id, None)
            self.arrival.pop(job_id, None)
            self.marked.discard(job_id)
        retagged = self.siblings.discard(gone) - set(gone)
        self._rebuild()
        changes = self._take(retagged, [])
        changes.reordered = True
        changes.cursor_moved = self.cursor_id != before_cursor
        return changes

    def tick(self, now: float) -> None:
        """Move the clock (elapsed times); a sort by elapsed time is redone."""
        self.now = now

    def resort_if_live(self) -> bool:
        """Sorted by elapsed time, live rows move as time passes: sort again; True if moved."""
        if self.sort != "elapsed":
            return False
        before = list(self.order)
        self._rebuild()
        return self.order != before

    # -- filter, search, sort ----------------------------------------------------------------

    def set_states(self, states: frozenset[JobState] | None) -> RowChanges:
        """Show only jobs in these states (``None``: all)."""
        self.states = states
        return self._reorder()

    def set_query(self, query: str) -> RowChanges:
        """Show only jobs whose prompt, model, request id or state contain every word."""
        self.query = query
        self._words = [word.casefold() for word in query.split()]
        return self._reorder()

    def set_sort(self, column: str, descending: bool = False) -> RowChanges:
        """Order the rows by a column of ``SORT_COLUMNS``."""
        if column not in SORT_COLUMNS:
            raise ValueError(f"unknown sort column {column!r}")
        self.sort = column
        self.descending = descending
        return self._reorder()

    def _reorder(self) -> RowChanges:
        before = self.cursor_id
        self._rebuild()
        self._settle_cursor()
        return RowChanges(reordered=True, cursor_moved=self.cursor_id != before)

    def _sort_key(self, job_id: str) -> tuple[Any, ...]:
        return self._sort_key_of(self.texts[job_id], job_id)

    def _sort_key_of(self, texts: RowTexts, job_id: str) -> tuple[Any, ...]:
        job = self.jobs[job_id]
        arrival = self.arrival.get(job_id, 0)
        column = self.sort
        if column == "model":
            return (texts.model.casefold(), job.created_at, arrival)
        if column == "prompt":
            return (texts.prompt.casefold(), texts.tag, job.created_at, arrival)
        if column == "state":
            return (STATE_RANK.get(texts.state, 9), job.created_at, arrival)
        if column == "elapsed":
            return (elapsed_seconds(job, self.now) or 0.0, job.created_at, arrival)
        if column == "progress":
            fraction = -1.0 if texts.fraction is None else texts.fraction
            return (fraction, job.created_at, arrival)
        if column == "log":
            return (texts.log.casefold(), job.created_at, arrival)
        return (job.created_at, arrival)

    def _rebuild(self) -> None:
        shown = [job_id for job_id in self.texts if self.shows(job_id)]
        shown.sort(key=self._sort_key, reverse=self.descending)
        self.order = shown
        self.index = {job_id: row for row, job_id in enumerate(shown)}

    # -- cursor and marks ----------------------------------------------------------------------

    def _settle_cursor(self) -> None:
        """Keep the cursor on its job; if that job left the view, on the row where it was."""
        if self.cursor_id is not None and self.cursor_id in self.index:
            self._cursor_hint = self.index[self.cursor_id]
            return
        if not self.order:
            self.cursor_id = None
            return
        row = min(self._cursor_hint, len(self.order) - 1)
        self.cursor_id = self.order[row]
        self._cursor_hint = row

    def move_cursor(self, row: int) -> bool:
        """Put the cursor on a row (clamped); True if it is on another job now."""
        if not self.order:
            return False
        row = max(0, min(row, len(self.order) - 1))
        job_id = self.order[row]
        self._cursor_hint = row
        if job_id == self.cursor_id:
            return False
        self.cursor_id = job_id
        return True

    def select(self, job_id: str) -> bool:
        """Put the cursor on a job's row; False when the job is not shown."""
        row = self.index.get(job_id)
        if row is None:
            return False
        self.move_cursor(row)
        return True

    def toggle_mark(self, job_id: str) -> bool:
        """Mark or unmark a job; returns whether it is marked now."""
        if job_id in self.marked:
            self.marked.discard(job_id)
            return False
        self.marked.add(job_id)
        return True

    def mark_all_shown(self) -> bool:
        """Mark every shown job, or unmark them all if they already are; True if marked."""
        shown = set(self.order)
        if shown and shown <= self.marked:
            self.marked -= shown
            return False
        self.marked |= shown
        return True
