"""The job list's rows, without any widget: which jobs show, in which order, the cursor
and the marks.

``JobRows`` is what the jobs pane shows, computed once per change rather than per frame: a
``RowTexts`` per job (``faltui.tui.job_cells``), which jobs the filter and the search let
through and in which order, the job under the cursor and the marked jobs. ``JobList`` draws it
line by line; ``JobTable`` turns keys into calls on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from faltui.core import text as core_text
from faltui.core.job import Job, JobState
from faltui.tui.format import elapsed_seconds, format_duration
from faltui.tui.job_cells import ACTIVE_STATES, RowTexts, row_texts
from faltui.tui.job_siblings import Siblings

#: The filters ``f`` cycles through: (name, states or None for all).
FILTER_CYCLE: tuple[tuple[str, frozenset[JobState] | None], ...] = (
    ("all", None),
    ("active", ACTIVE_STATES),
    ("done", frozenset({JobState.done})),
    ("failed", frozenset({JobState.failed})),
    ("unknown", frozenset({JobState.unknown})),
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
        #: Whether fal's request history is being searched for a job (by local id) right now;
        #: the owner sets it and passes the job in again when that changes.
        self.reconciling: Callable[[str], bool] = lambda _job_id: False
        #: What a job cost, for its row (None: the list shows no cost column).
        self.cost_of: Callable[[Job], str] | None = None

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

    def retext(self) -> RowChanges:
        """Re-make every row's texts (e.g. costs, once prices arrived); only rows whose
        texts changed are repainted."""
        return self._take(set(self.jobs), [])

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
            job = self.jobs[job_id]
            cost = self.cost_of(job) if self.cost_of is not None else ""
            texts = row_texts(
                job,
                tags.get(job_id, ""),
                prompts.get(job_id),
                cost,
                reconciling=self.reconciling(job_id),
            )
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
        """Show only jobs whose prompt, model, request id or state contain every word.

        The words are compared as the rows show text (control and bidi characters made
        visible), so a pasted request id holding them still finds its job."""
        self.query = query
        self._words = [word.casefold() for word in core_text.safe_text(query).split()]
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
