"""The jobs pane: a bar, the job list (``JobList``), a search box; the keys that act on jobs.

``upsert(jobs)`` takes the jobs that changed (the main screen batches them at 10 Hz); only the
lines of rows whose text changed are repainted. The cursor is the one answer to "which job":
``Highlighted`` is posted whenever it lands on another job, and every key acts on that job —
or, when jobs are marked (``space``), on the marked ones, as the notification says. When the
cursor is on the last row new rows are followed; otherwise the cursor stays where it is.

Requests that need the session (cancel, re-run, download, remove) are messages to the main
screen; copying URLs and exporting JSON Lines happen here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from faltui.core.job import Job, JobState
from faltui.core.job_export import write_jobs_jsonl
from faltui.core.outputs import find_outputs
from faltui.tui.clipboard import copy_text, describe
from faltui.tui.format import one_line
from faltui.tui.job_cells import ACTIVE_STATES, COLUMNS, column_widths
from faltui.tui.job_rows import FILTER_CYCLE, SORT_COLUMNS, JobRows, RowChanges
from faltui.tui.widgets.job_list import JobList
from faltui.tui.widgets.safe_editors import SafeInput

Clock = Callable[[], float]

__all__ = [
    "ACTIVE_STATES",
    "COLUMNS",
    "FILTER_CYCLE",
    "JobList",
    "JobSearch",
    "JobTable",
    "column_widths",
]

_SORT_TITLES = {"created": "time", **{key: title.lower() for key, title in COLUMNS}}


class JobSearch(SafeInput):
    """The job search box: filters as you type; ``enter`` keeps the search, ``esc`` clears."""

    def on_key(self, event: events.Key) -> None:
        # Keys come to the box one by one from its queue; the focus must move at once on
        # enter or esc, and a key queued for the box after those is meant for the list: it is
        # sent round again (the app delivers it to the focus as it is now).
        table = self.parent
        if not isinstance(table, JobTable):
            return
        if self.screen.focused is not self:
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
        elif event.key == "enter":
            event.stop()
            event.prevent_default()
            table.keep_search()
        elif table.bound_here(event.key, "clear"):
            event.stop()
            event.prevent_default()
            table.close_search()


def removable(job: Job) -> bool:
    """Whether a job may leave the list: finished, and not of unknown outcome (fal may still
    have it; ``faltui reconcile`` settles it)."""
    return job.final and job.state is not JobState.unknown


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class JobTable(Widget):
    """Every job with its model, prompt, state, elapsed time, progress and latest log line."""

    DEFAULT_CSS = """
    JobTable { layout: vertical; height: 1fr; }
    JobTable #jobs-bar { height: 1; padding: 0 1; color: $text-muted;
        text-wrap: nowrap; text-overflow: ellipsis; }
    JobTable #jobs-list { height: 1fr; }
    JobTable #jobs-empty { display: none; padding: 1 2; color: $text-muted; height: auto; }
    JobTable.-empty #jobs-list { height: 1; }
    JobTable.-empty #jobs-empty { display: block; }
    JobTable #jobs-search { display: none; height: 1; border: none; padding: 0 1;
        background: $boost; }
    JobTable.-searching #jobs-search { display: block; }
    """

    BINDINGS: ClassVar = [
        Binding("enter", "details", "Details", id="jobs.details"),
        Binding("x", "cancel_jobs", "Cancel", id="jobs.cancel"),
        Binding("r", "rerun_jobs", "Re-run", id="jobs.rerun"),
        Binding("R", "reconcile_jobs", "Reconcile", id="jobs.reconcile"),
        Binding("slash,ctrl+f", "search", "Search jobs", id="jobs.search"),
        Binding("space", "toggle_mark", "Mark", id="jobs.mark"),
        Binding("s", "cycle_sort", "Sort", id="jobs.sort"),
        Binding("f", "cycle_filter", "Filter", id="jobs.filter"),
        # Without marks these act on the highlighted job's selected output (via Results).
        Binding("c,y", "copy", "Copy URL", id="jobs.copy"),
        Binding("o", "result('open')", "Open", show=False, id="jobs.open"),
        Binding("d", "download('download')", "Download", show=False, id="jobs.download"),
        Binding(
            "D", "download('download_all')", "Download all", show=False, id="jobs.download_all"
        ),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="jobs.sort_reverse"),
        Binding("a", "mark_all", "Mark/unmark all shown", show=False, id="jobs.mark_all"),
        Binding("delete", "remove_jobs", "Remove from list", show=False, id="jobs.remove"),
        Binding("e", "export", "Export JSONL", show=False, id="jobs.export"),
        Binding("C", "compare", "Compare marked", show=False, id="jobs.compare"),
        Binding("escape", "clear", "Clear search, then marks", show=False, id="jobs.clear"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="jobs.down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="jobs.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="jobs.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="jobs.page_up"),
        Binding("home,g", "first", "First job", show=False, id="jobs.first"),
        Binding("end,G", "last", "Last job", show=False, id="jobs.last"),
    ]

    class _JobMessage(Message):
        def __init__(
            self, table: JobTable, job_id: str, job_ids: Iterable[str] | None = None
        ) -> None:
            super().__init__()
            self.table = table
            self.job_id = job_id
            #: Every job the request is about (the marked ones, else just ``job_id``).
            self.job_ids: tuple[str, ...] = tuple(job_ids) if job_ids is not None else (job_id,)

        @property
        def control(self) -> JobTable:
            """The table that sent the message."""
            return self.table

    class Highlighted(Message):
        """The cursor is on another job (``job_id`` ``None``: the list shows no job)."""

        def __init__(self, table: JobTable, job_id: str | None) -> None:
            super().__init__()
            self.table = table
            self.job_id = job_id

        @property
        def control(self) -> JobTable:
            """The table that sent the message."""
            return self.table

    class CancelRequested(_JobMessage):
        """The user asked to cancel jobs (``x``): the marked ones, else the highlighted one."""

    class RerunRequested(_JobMessage):
        """The user asked to run jobs again (``r``)."""

    class ReconcileRequested(_JobMessage):
        """The user asked to look jobs of unknown outcome up in fal's request history (``R``)."""

    class DetailsRequested(_JobMessage):
        """The user asked for a job's details (``enter``)."""

    class DownloadRequested(_JobMessage):
        """The user asked to save every output of the marked jobs (``d``/``D`` with marks)."""

    class RemoveRequested(_JobMessage):
        """The user asked to take finished jobs off the list (the journal keeps them)."""

    class CompareRequested(Message):
        """The user asked to compare the marked jobs (``C``); ``job_ids`` may hold fewer than
        two (the main screen says what is needed)."""

        def __init__(self, table: JobTable, job_ids: Iterable[str]) -> None:
            super().__init__()
            self.table = table
            self.job_ids = tuple(job_ids)

        @property
        def control(self) -> JobTable:
            """The table that sent the message."""
            return self.table

    class ResultRequested(_JobMessage):
        """The user asked to copy, open or download the highlighted job's output."""

        def __init__(self, table: JobTable, job_id: str, action: str) -> None:
            super().__init__(table, job_id)
            self.action = action

    #: Seconds between refreshes of the elapsed column.
    tick_interval: ClassVar[float] = 1.0

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        export_dir: Path | None = None,
        cost_of: Callable[[Job], str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.export_dir = export_dir
        self.rows = JobRows(now=clock())
        self.rows.cost_of = cost_of
        self._filter_name = "all"
        self._bar_text = ""
        # Empty until jobs are added; classed so before mounting, where it costs no restyle.
        self.add_class("-empty")

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="jobs-bar", markup=False)
        yield JobList(self.rows, id="jobs-list")
        yield Static(self._empty_message(), id="jobs-empty", markup=False)
        yield JobSearch(
            placeholder="search prompt, model, request id, state · enter keeps · esc clears",
            id="jobs-search",
            # Keys typed right after "/" may already be in it when it gets the focus.
            select_on_focus=False,
        )

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.set_interval(self.tick_interval, self.tick)
        self._update_chrome()

    @property
    def job_list(self) -> JobList:
        """The list of rows (the focusable part)."""
        return self.query_one(JobList)

    @property
    def search_box(self) -> JobSearch:
        """The search box under the list."""
        return self.query_one(JobSearch)

    # -- public API ------------------------------------------------------------------

    @property
    def selected_job_id(self) -> str | None:
        """The id of the job under the cursor (``None`` when the list shows none)."""
        return self.rows.cursor_id

    @property
    def filter_name(self) -> str:
        """The active filter's name (``"all"``, ``"active"``, a state…)."""
        return self._filter_name

    @property
    def shown_ids(self) -> list[str]:
        """Ids of the rows, top to bottom."""
        return list(self.rows.order)

    @property
    def marked_ids(self) -> list[str]:
        """Ids of the marked rows the list shows, top to bottom."""
        return self.rows.marked_shown()

    @property
    def search_text(self) -> str:
        """The current search text."""
        return self.rows.query

    def job(self, job_id: str) -> Job | None:
        """The latest object the table was given for a job."""
        return self.rows.jobs.get(job_id)

    def upsert(self, jobs: Iterable[Job]) -> None:
        """Add new jobs and take in changed ones; only changed lines are repainted."""
        old_row = self.rows.cursor_index
        changes = self.rows.upsert(jobs, now=self.clock())
        self._apply(changes, old_row)

    def refresh_costs(self) -> None:
        """Re-read every job's cost (prices arrived or changed)."""
        if self.rows.cost_of is not None:
            old_row = self.rows.cursor_index
            self._apply(self.rows.retext(), old_row)

    def remove_jobs(self, job_ids: Iterable[str]) -> None:
        """Take jobs off the list (the main screen archives them in the journal first)."""
        old_row = self.rows.cursor_index
        self._apply(self.rows.remove(job_ids), old_row)

    def set_filter(self, states: str | Iterable[str] | None) -> None:
        """Show only jobs in these states (a state name, several, or ``None`` for all).

        Raises ``ValueError`` for a name that is not a job state.
        """
        if states is None:
            wanted: frozenset[JobState] | None = None
        elif isinstance(states, str):
            wanted = frozenset({JobState(states)})
        else:
            wanted = frozenset(JobState(s) for s in states)
        self._filter_name = self._name_of(wanted)
        old_row = self.rows.cursor_index
        self._apply(self.rows.set_states(wanted), old_row)

    def cycle_filter(self) -> None:
        """Switch to the next filter of ``FILTER_CYCLE`` and say which one is active."""
        names = [name for name, _ in FILTER_CYCLE]
        index = names.index(self._filter_name) if self._filter_name in names else -1
        name, states = FILTER_CYCLE[(index + 1) % len(FILTER_CYCLE)]
        self.set_filter(states)
        self.notify(f"Jobs: {name} · {len(self.rows)} shown", markup=False, timeout=2)

    def set_query(self, query: str) -> None:
        """Show only jobs whose prompt, model, request id or state contain every word."""
        if query == self.rows.query:
            return
        old_row = self.rows.cursor_index
        self._apply(self.rows.set_query(query), old_row)

    def sort_by(self, column: str, descending: bool = False) -> None:
        """Order the rows by a column of ``SORT_COLUMNS`` (``created``: as submitted)."""
        old_row = self.rows.cursor_index
        self._apply(self.rows.set_sort(column, descending), old_row)
        self.job_list.refresh_header()

    def select_job(self, job_id: str) -> bool:
        """Move the cursor to a job's row; ``False`` when the job is not shown."""
        old_row = self.rows.cursor_index
        before = self.rows.cursor_id
        if not self.rows.select(job_id):
            return False
        self._cursor_moved(old_row, before)
        return True

    def move_cursor(self, row: int) -> None:
        """Put the cursor on a row (clamped to the list)."""
        old_row = self.rows.cursor_index
        before = self.rows.cursor_id
        self.rows.move_cursor(row)
        self._cursor_moved(old_row, before)

    def request(self, kind: type[JobTable._JobMessage]) -> None:
        """Post a request message about the job under the cursor (if any)."""
        job_id = self.selected_job_id
        if job_id is None:
            self.notify("No job selected.", markup=False, timeout=2)
            return
        self.post_message(kind(self, job_id))

    def tick(self) -> None:
        """Move the clock: repaint the elapsed times on screen (runs every ``tick_interval``)."""
        self.rows.tick(self.clock())
        old_row = self.rows.cursor_index
        if self.rows.resort_if_live():
            self._apply(RowChanges(reordered=True), old_row)
        else:
            self.job_list.tick()

    # -- applying changes ------------------------------------------------------------

    def _apply(self, changes: RowChanges, old_row: int | None) -> None:
        self.job_list.apply(changes, old_row)
        if changes.cursor_moved:
            self.post_message(self.Highlighted(self, self.rows.cursor_id))
        self._update_chrome()

    def _cursor_moved(self, old_row: int | None, before: str | None) -> None:
        if self.rows.cursor_id == before:
            return
        listing = self.job_list
        if old_row is not None:
            listing.refresh_row(old_row)
        new_row = self.rows.cursor_index
        if new_row is not None:
            listing.refresh_row(new_row)
        listing.scroll_to_cursor()
        self.post_message(self.Highlighted(self, self.rows.cursor_id))

    # -- keys: moving ----------------------------------------------------------------

    def _row(self) -> int:
        row = self.rows.cursor_index
        return -1 if row is None else row

    def action_cursor(self, step: int) -> None:
        """One row down (``1``) or up (``-1``)."""
        self.move_cursor(max(0, self._row() + step))

    def action_page(self, direction: int) -> None:
        """One screen of rows down or up."""
        self.move_cursor(max(0, self._row() + direction * self.job_list.page_rows))

    def action_first(self) -> None:
        """The first row."""
        self.move_cursor(0)

    def action_last(self) -> None:
        """The last row."""
        self.move_cursor(len(self.rows) - 1)

    @on(JobList.RowClicked)
    def _on_row_clicked(self, message: JobList.RowClicked) -> None:
        message.stop()
        self.move_cursor(message.row)
        if message.chain == 2:
            self.action_details()

    @on(JobList.HeaderClicked)
    def _on_header_clicked(self, message: JobList.HeaderClicked) -> None:
        message.stop()
        rows = self.rows
        descending = not rows.descending if rows.sort == message.column else False
        self.sort_by(message.column, descending)
        self._say_sort()

    # -- keys: search, sort, filter, marks ---------------------------------------------

    def action_search(self) -> None:
        """Open the search box (at once, so keys typed right after land in it)."""
        box = self.search_box
        self.add_class("-searching")
        box.display = True
        self.screen.set_focus(box)

    def on_key(self, event: events.Key) -> None:
        # Keys reach the app's bindings only after bubbling up here, so keys typed in a burst
        # right after "/" would be looked up once the search box has the focus and be lost.
        # The search key is therefore handled as it passes, and printable keys that follow
        # it (queued for the list) are put in the box.
        box = self.search_box
        if self.screen.focused is box:
            # The box consumes the keys sent to it: these were queued for the list.
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                box.insert_text_at_cursor(event.character)
            elif event.key == "enter":
                event.stop()
                event.prevent_default()
                self.keep_search()
            elif self.bound_here(event.key, "clear"):
                event.stop()
                event.prevent_default()
                self.close_search()
            return
        if self.bound_here(event.key, "search"):
            event.stop()
            event.prevent_default()
            self.action_search()

    def bound_here(self, key: str, action: str) -> bool:
        """Whether ``key`` runs this table's ``action`` (the user's keymap applied)."""
        active = self.screen.active_bindings.get(key)
        return active is not None and active.node is self and active.binding.action == action

    @on(Input.Changed, "#jobs-search")
    def _on_search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.set_query(event.value)

    @on(Input.Submitted, "#jobs-search")
    def _on_search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.keep_search()

    def keep_search(self) -> None:
        """Enter: keep the search (close the box if it is empty), back to the list."""
        if not self.search_box.value.strip():
            self.close_search()
        self.screen.set_focus(self.job_list)

    def close_search(self) -> None:
        box = self.search_box
        with box.prevent(Input.Changed):
            box.value = ""
        self.set_query("")
        self.remove_class("-searching")
        box.display = False
        if self.screen.focused is box:
            self.screen.set_focus(self.job_list)

    def action_clear(self) -> None:
        """Esc: clear the search; with none, clear the marks; with neither, not handled."""
        if self.rows.query or self.has_class("-searching"):
            self.close_search()
            return
        if self.rows.marked:
            count = len(self.rows.marked)
            hidden = count - len(self.rows.marked_shown())
            self.rows.marked.clear()
            self.job_list.refresh()
            self._update_chrome()
            note = f" ({hidden} on jobs not shown)" if hidden else ""
            self.notify(f"Cleared {_plural(count, 'mark')}{note}.", markup=False, timeout=2)
            return
        raise SkipAction()

    def action_cycle_sort(self) -> None:
        """Sort by the next column (time → model → prompt → state → elapsed → …)."""
        columns = list(SORT_COLUMNS)
        index = columns.index(self.rows.sort) if self.rows.sort in columns else -1
        self.sort_by(columns[(index + 1) % len(columns)])
        self._say_sort()

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.sort_by(self.rows.sort, not self.rows.descending)
        self._say_sort()

    def _say_sort(self) -> None:
        rows = self.rows
        direction = "descending" if rows.descending else "ascending"
        self.notify(
            f"Sorted by {_SORT_TITLES[rows.sort]}, {direction} (s: next column, S: reverse).",
            markup=False,
            timeout=2,
        )

    def action_cycle_filter(self) -> None:
        """Next filter: all → active → done → failed → all."""
        self.cycle_filter()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted job, then go to the next row."""
        job_id = self.selected_job_id
        if job_id is None:
            self.notify("No job selected.", markup=False, timeout=2)
            return
        self.rows.toggle_mark(job_id)
        row = self._row()
        self.job_list.refresh_row(row)
        self._update_chrome()
        if row < len(self.rows) - 1:
            self.move_cursor(row + 1)

    def action_mark_all(self) -> None:
        """Mark every shown job (or unmark them all when they all are)."""
        marked = self.rows.mark_all_shown()
        self.job_list.refresh()
        self._update_chrome()
        count = len(self.rows)
        what = "Marked" if marked else "Unmarked"
        self.notify(f"{what} {_plural(count, 'shown job')}.", markup=False, timeout=2)

    # -- keys: acting on jobs --------------------------------------------------------------

    def _targets(self) -> tuple[list[str], str]:
        """The marked jobs shown, else the highlighted one; and words that say which."""
        marked = self.rows.marked_shown()
        if marked:
            return marked, _plural(len(marked), "marked job")
        job_id = self.selected_job_id
        if job_id is None:
            return [], ""
        return [job_id], "the highlighted job"

    def _no_target(self) -> None:
        self.notify("No job selected.", markup=False, timeout=2)

    def action_details(self) -> None:
        """Open the detail screen of the highlighted job."""
        self.request(JobTable.DetailsRequested)

    def action_cancel_jobs(self) -> None:
        """Cancel the marked jobs, else the highlighted one (finished ones are said so)."""
        targets, which = self._targets()
        if not targets:
            self._no_target()
            return
        jobs = self.rows.jobs
        live = [job_id for job_id in targets if not jobs[job_id].final]
        if not live:
            if len(targets) == 1:
                state = jobs[targets[0]].state.value
                message = f"This job already finished ({state}) — nothing to cancel."
            else:
                message = f"All {which} already finished — nothing to cancel."
            self.notify(message, title="Nothing to cancel", markup=False)
            return
        finished = len(targets) - len(live)
        note = f"Cancelling {which}"
        if finished:
            note += f" ({finished} already finished, left alone)"
        self.notify(note + "…", markup=False, timeout=3)
        self.post_message(self.CancelRequested(self, live[0], live))

    def action_rerun_jobs(self) -> None:
        """Submit the marked jobs again, else the highlighted one."""
        targets, which = self._targets()
        if not targets:
            self._no_target()
            return
        self.notify(f"Re-running {which}…", markup=False, timeout=3)
        self.post_message(self.RerunRequested(self, targets[0], targets))

    def action_reconcile_jobs(self) -> None:
        """Reconcile the marked jobs, else the highlighted one (jobs of unknown outcome only:
        fal's request history is searched for them; nothing is ever sent again)."""
        targets, which = self._targets()
        if not targets:
            self._no_target()
            return
        jobs = self.rows.jobs
        unknown = [job_id for job_id in targets if jobs[job_id].state is JobState.unknown]
        if not unknown:
            self.notify(
                f"Only a job of unknown outcome (a submit fal may have taken unconfirmed) is "
                f"looked up in fal's request history; {which}: none.",
                title="Nothing to reconcile",
                markup=False,
            )
            return
        self.post_message(self.ReconcileRequested(self, unknown[0], unknown))

    def action_result(self, action: str) -> None:
        """Open (copy, download) the highlighted job's selected output, via the results."""
        job_id = self.selected_job_id
        if job_id is None:
            self._no_target()
            return
        self.post_message(self.ResultRequested(self, job_id, action))

    def action_copy(self) -> None:
        """With marks: copy every output URL of the marked jobs; else the highlighted one's
        selected output (via the results)."""
        marked = self.rows.marked_shown()
        if not marked:
            self.action_result("copy")
            return
        urls = [
            output.url
            for job_id in marked
            if (job := self.rows.jobs[job_id]).result
            for output in find_outputs(job.result)
        ]
        which = _plural(len(marked), "marked job")
        if not urls:
            self.notify(f"The {which} have no output files yet.", markup=False)
            return
        how = copy_text(self.app, "\n".join(urls))
        self.notify(
            f"Copied {_plural(len(urls), 'URL')} of {which} {describe(how)}.",
            title="Copied",
            markup=False,
        )

    def action_download(self, action: str) -> None:
        """With marks: save every output of the marked jobs; else the highlighted job's
        selected output (``d``) or all its outputs (``D``)."""
        marked = self.rows.marked_shown()
        if not marked:
            self.action_result(action)
            return
        self.notify(f"Downloading the outputs of {_plural(len(marked), 'marked job')}…")
        self.post_message(self.DownloadRequested(self, marked[0], marked))

    def action_remove_jobs(self) -> None:
        """Take the marked (else the highlighted) finished jobs off the list."""
        targets, which = self._targets()
        if not targets:
            self._no_target()
            return
        jobs = self.rows.jobs
        finished = [job_id for job_id in targets if removable(jobs[job_id])]
        if not finished:
            self.notify(
                f"Only finished jobs leave the list; {which}: still in flight (cancel first) "
                "or of unknown outcome (reconcile first).",
                markup=False,
            )
            return
        if len(finished) < len(targets):
            kept = len(targets) - len(finished)
            self.notify(
                f"{_plural(kept, 'job')} still in flight or of unknown outcome stay on the list.",
                markup=False,
            )
        self.post_message(self.RemoveRequested(self, finished[0], finished))

    def action_compare(self) -> None:
        """Compare the marked jobs side by side (the main screen opens the compare screen)."""
        self.post_message(self.CompareRequested(self, self.rows.marked_shown()))

    def action_export(self) -> None:
        """Write the marked (else the highlighted) jobs to a JSON Lines file."""
        targets, which = self._targets()
        if not targets:
            self._no_target()
            return
        jobs = [self.rows.jobs[job_id] for job_id in targets]
        self._export(jobs, which)

    @work(thread=True, group="jobs-export", exit_on_error=False)
    def _export(self, jobs: list[Job], which: str) -> None:
        folder = self.export_dir if self.export_dir is not None else Path.cwd()
        try:
            path = write_jobs_jsonl(jobs, folder)
        except OSError as exc:
            self.app.call_from_thread(
                self.notify,
                f"Could not export {which}: {exc}",
                title="Export failed",
                severity="error",
                markup=False,
            )
            return
        self.app.call_from_thread(
            self.notify, f"Exported {which} to {path}", title="Exported", markup=False
        )

    # -- chrome ----------------------------------------------------------------------

    def _name_of(self, states: frozenset[JobState] | None) -> str:
        for name, known in FILTER_CYCLE:
            if known == states:
                return name
        return ", ".join(sorted(state.value for state in states or ()))

    def _empty_message(self) -> str:
        rows = self.rows
        if rows.jobs and rows.query:
            return f"No jobs match {one_line(rows.query, 60)!r}. Esc clears the search."
        if rows.jobs and rows.states is not None:
            return f"No {self._filter_name} jobs. Press f to change the filter."
        return "No jobs yet. Choose a model, fill in its parameters and press ctrl+s to submit."

    def _update_chrome(self) -> None:
        rows = self.rows
        shown = len(rows)
        total = len(rows.jobs)
        parts = [
            f"Jobs: {self._filter_name} · {total}"
            if rows.states is None and not rows.query
            else f"Jobs: {self._filter_name} · {shown} of {total}"
        ]
        if rows.query:
            parts.append(f"search {one_line(rows.query, 60)!r}")
        if rows.sort != "created" or rows.descending:
            arrow = "▼" if rows.descending else "▲"
            parts.append(f"sort {_SORT_TITLES[rows.sort]} {arrow}")
        marked = len(rows.marked_shown())
        hidden = len(rows.marked) - marked
        if marked or hidden:
            parts.append(f"{marked} marked" + (f" (+{hidden} not shown)" if hidden else ""))
        bar = " · ".join(parts)
        if bar != self._bar_text:
            self._bar_text = bar
            # One line of fixed size: a repaint, not a layout pass of the whole screen.
            self.query_one("#jobs-bar", Static).update(Text(bar), layout=False)
        empty = shown == 0
        if empty:
            self.query_one("#jobs-empty", Static).update(self._empty_message())
        if empty != self.has_class("-empty"):
            self.set_class(empty, "-empty")

    def _on_theme_changed(self, _theme: Any) -> None:
        self.job_list.restyle()
