"""The jobs table: one row per job, updated in place as jobs progress.

``upsert(jobs)`` takes the jobs that changed (the app batches them at 10 Hz) and touches only
their rows, and within a row only the cells whose text changed: no clearing, no rebuilding, so
hundreds of rows stay cheap. New jobs are appended at the bottom, which never moves the cursor.
A 1 Hz timer refreshes just the elapsed column of the jobs still active.

Text from the server (logs, errors, prompts) is put in the cells as ``rich.text.Text`` — never
parsed as markup. State colours come from the theme's ``$job-*`` variables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from typing import Any, ClassVar, TypeVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey, RowKey

from faltui.core.job import Job, JobState
from faltui.tui.format import (
    elapsed_seconds,
    format_duration,
    last_log,
    one_line,
    prompt_snippet,
    short_model,
    state_label,
)
from faltui.tui.themes import JOB_STATE_VARIABLES

Clock = Callable[[], float]

#: States whose rows keep ticking (elapsed) and that the "active" filter shows.
ACTIVE_STATES = frozenset({JobState.pending, JobState.queued, JobState.running})
#: The filters ``f`` cycles through: (name, states or None for all).
FILTER_CYCLE: tuple[tuple[str, frozenset[JobState] | None], ...] = (
    ("all", None),
    ("active", ACTIVE_STATES),
    ("done", frozenset({JobState.done})),
    ("failed", frozenset({JobState.failed})),
)
#: Fixed widths of the columns (the log column takes the remaining space).
COLUMN_WIDTHS: dict[str, int] = {"model": 22, "prompt": 26, "state": 11, "elapsed": 7}
#: Narrowest widths the model, prompt and log columns shrink to on small terminals.
MIN_WIDTHS: dict[str, int] = {"model": 12, "prompt": 8, "log": 12}
#: What the log column keeps when even the shrunk model and prompt columns leave it less.
LOG_STUB_WIDTH = 4
#: The order in which columns give up room (column, width it shrinks to at this step).
SHRINK_STEPS = (("model", 16), ("prompt", 12), ("model", 12), ("prompt", 8))


def column_widths(total: int, padding: int) -> dict[str, int]:
    """Widths for a table ``total`` cells wide: the log column takes what is left; on narrow
    terminals the prompt, then the model column shrink before the log column does."""
    widths = dict(COLUMN_WIDTHS)
    room = total - padding - widths["state"] - widths["elapsed"]
    for column, floor in SHRINK_STEPS:
        excess = widths["model"] + widths["prompt"] + MIN_WIDTHS["log"] - room
        if excess > 0:
            widths[column] = max(floor, widths[column] - excess)
    # Last, the log column gives up room too (down to a stub) rather than push the table
    # into a horizontal scroll.
    widths["log"] = max(LOG_STUB_WIDTH, room - widths["model"] - widths["prompt"])
    return widths


def _cell(text: str, style: Style | str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")


#: The key of an entry in one of DataTable's render caches (a tuple).
_CacheKey = TypeVar("_CacheKey", bound=tuple[Any, ...])


def _discard_keyed_by(cache: LRUCache[_CacheKey, Any], stale: Collection[object]) -> None:
    """Drop the entries of one of DataTable's render caches whose key starts with a stale item."""
    for cache_key in [k for k in cache.keys() if k[0] in stale]:  # noqa: SIM118
        cache.discard(cache_key)


class JobGrid(DataTable[Text]):
    """The table itself (row cursor, zebra stripes) with the job bindings."""

    BINDINGS: ClassVar = [
        Binding("enter", "details", "Details", id="jobs.details"),
        Binding("x", "cancel_job", "Cancel", id="jobs.cancel"),
        Binding("r", "rerun_job", "Re-run", id="jobs.rerun"),
        Binding("f", "cycle_filter", "Filter", id="jobs.filter"),
        # The results pane shows the job under the cursor: act on its selected output.
        Binding("c,y", "result('copy')", "Copy URL", id="jobs.copy"),
        Binding("o", "result('open')", "Open", show=False, id="jobs.open"),
        Binding("d", "result('download')", "Download", show=False, id="jobs.download"),
        Binding("D", "result('download_all')", "Download all", show=False, id="jobs.download_all"),
        Binding("j", "cursor_down", "Down", show=False, id="jobs.down"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.up"),
        Binding("home,g", "scroll_top", "First job", show=False, id="jobs.first"),
        Binding("end,G", "scroll_bottom", "Last job", show=False, id="jobs.last"),
    ]

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        """Append a row without invalidating what is already rendered.

        Rows are only ever appended (at the bottom), which changes no existing line, so the
        table-wide counter ``DataTable.add_row`` bumps is put back and only the line-offset
        cache (which must learn the new row) is dropped.
        """
        count = self._update_count
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        if height == 1 and self._update_count == count + 1:
            self._update_count = count
            self._offset_cache.clear()
        return row_key

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Measure new rows; growing taller under a scrollbar already shown is no layout.

        ``DataTable`` sets ``virtual_size``, which asks for a layout of the whole screen (~40 ms
        with the form open) each time rows are appended: at 10 Hz while a batch is submitted.
        When only the height grew and the vertical scrollbar is already there, nothing moves:
        the scrollbars are updated in place and the table repainted instead.
        """
        new_rows = list(new_rows)
        before = self.virtual_size
        layout_wanted = self._layout_required
        shown = self.show_vertical_scrollbar
        super()._update_dimensions(new_rows)
        after = self.virtual_size
        if (
            layout_wanted
            or not shown
            or after == before
            or after.width != before.width
            or after.height < before.height
        ):
            return
        try:
            self._layout_required = False
            self._scroll_update(after)
        except Exception:  # pragma: no cover - only if Textual's internals change
            self.refresh(layout=True)
            return
        header = self.header_height if self.show_header else 0
        width = max(self.size.width, after.width)
        for key in new_rows:  # only lines of new rows can show something new
            index = self._row_locations.get(key)
            if index is not None:
                self._refresh_region(Region(0, index + header, width, 1))

    def set_cells(self, updates: Iterable[tuple[str, str, Text]]) -> None:
        """Change cells, re-rendering only their rows.

        ``DataTable.update_cell`` bumps one table-wide counter that every render cache is keyed
        on, so a single changed cell re-renders every visible cell on the next frame (~150 ms
        for a full screen on a slow machine). Here the changed rows' cache entries are dropped
        instead and only their lines are repainted. Should Textual's private caches ever look
        different, it falls back to the table-wide invalidation.
        """
        rows: set[RowKey] = set()
        for row_key, column_key, value in updates:
            key = RowKey(row_key)
            self._data[key][ColumnKey(column_key)] = value
            rows.add(key)
        if not rows:
            return
        try:
            self._forget_rows(rows)
        except Exception:  # pragma: no cover - only if Textual's internals change
            self._update_count += 1
            self.refresh()

    def _forget_rows(self, rows: set[RowKey]) -> None:
        header = self.header_height if self.show_header else 0
        count = self._update_count
        lines: set[int] = set()
        for key in rows:
            index = self._row_locations.get(key)
            if index is None:
                continue
            self._row_renderable_cache.discard((count, index))
            lines.add(index + header)  # every row is one line high
        _discard_keyed_by(self._cell_render_cache, rows)
        _discard_keyed_by(self._row_render_cache, rows)
        _discard_keyed_by(self._line_cache, lines)
        width = max(self.size.width, self.virtual_size.width)
        for y in lines:
            self._refresh_region(Region(0, y, width, 1))

    def _owner(self) -> JobTable | None:
        for node in self.ancestors:
            if isinstance(node, JobTable):
                return node
        return None

    def action_details(self) -> None:
        """Open the detail screen of the job under the cursor."""
        owner = self._owner()
        if owner is not None:
            owner.request(JobTable.DetailsRequested)

    def action_cancel_job(self) -> None:
        """Ask the app to cancel the job under the cursor."""
        owner = self._owner()
        if owner is not None:
            owner.request(JobTable.CancelRequested)

    def action_rerun_job(self) -> None:
        """Ask the app to submit the job under the cursor again."""
        owner = self._owner()
        if owner is not None:
            owner.request(JobTable.RerunRequested)

    def action_result(self, action: str) -> None:
        """Copy, open or download the output of the job under the cursor (via the results)."""
        owner = self._owner()
        if owner is None:
            return
        job_id = owner.selected_job_id
        if job_id is None:
            owner.notify("No job selected.", markup=False, timeout=2)
            return
        owner.post_message(JobTable.ResultRequested(owner, job_id, action))

    def action_cycle_filter(self) -> None:
        """Next filter: all → active → done → failed → all."""
        owner = self._owner()
        if owner is not None:
            owner.cycle_filter()


class JobTable(Widget):
    """Every job with its model, prompt, state, elapsed time and latest log line."""

    DEFAULT_CSS = """
    JobTable { layout: vertical; height: 1fr; }
    JobTable #jobs-bar { height: 1; padding: 0 1; color: $text-muted;
        text-wrap: nowrap; text-overflow: ellipsis; }
    JobTable #jobs-grid { height: 1fr; }
    JobTable #jobs-empty { display: none; padding: 1 2; color: $text-muted; height: auto; }
    JobTable.-empty #jobs-grid { height: auto; max-height: 2; }
    JobTable.-empty #jobs-empty { display: block; }
    """

    class _JobMessage(Message):
        def __init__(self, table: JobTable, job_id: str) -> None:
            super().__init__()
            self.table = table
            self.job_id = job_id

        @property
        def control(self) -> JobTable:
            """The table that sent the message."""
            return self.table

    class Highlighted(_JobMessage):
        """The cursor moved to a job."""

    class CancelRequested(_JobMessage):
        """The user asked to cancel a job (``x``)."""

    class RerunRequested(_JobMessage):
        """The user asked to run a job again (``r``)."""

    class DetailsRequested(_JobMessage):
        """The user asked for a job's details (``enter``)."""

    class ResultRequested(_JobMessage):
        """The user asked to copy, open or download the job's output (``c o d D``)."""

        def __init__(self, table: JobTable, job_id: str, action: str) -> None:
            super().__init__(table, job_id)
            self.action = action

    #: Seconds between refreshes of the elapsed column.
    tick_interval: ClassVar[float] = 1.0

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self._jobs: dict[str, Job] = {}
        self._arrival: dict[str, int] = {}
        self._cells: dict[str, dict[str, str]] = {}
        self._ticking: set[str] = set()
        self._filter: frozenset[JobState] | None = None
        self._filter_name = "all"
        self._colours: dict[str, str] = {}
        self._bar_text = ""

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="jobs-bar", markup=False)
        grid = JobGrid(id="jobs-grid", cursor_type="row", zebra_stripes=True)
        for key, title in (
            ("model", "Model"),
            ("prompt", "Prompt"),
            ("state", "State"),
            ("elapsed", "Elapsed"),
        ):
            grid.add_column(title, width=COLUMN_WIDTHS[key], key=key)
        grid.add_column("Last log", width=MIN_WIDTHS["log"], key="log")
        yield grid
        yield Static(self._empty_message(), id="jobs-empty", markup=False)

    def on_mount(self) -> None:
        self._refresh_colours()
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.set_interval(self.tick_interval, self.tick)
        self._update_chrome()

    @property
    def grid(self) -> JobGrid:
        """The inner DataTable."""
        return self.query_one(JobGrid)

    # -- public API ------------------------------------------------------------------

    @property
    def selected_job_id(self) -> str | None:
        """The id of the job under the cursor (``None`` when the table is empty)."""
        grid = self.grid
        if grid.row_count == 0:
            return None
        row = max(0, min(grid.cursor_row, grid.row_count - 1))
        key = grid.coordinate_to_cell_key(Coordinate(row, 0)).row_key
        return key.value

    @property
    def filter_name(self) -> str:
        """The active filter's name (``"all"``, ``"active"``, a state…)."""
        return self._filter_name

    @property
    def shown_ids(self) -> list[str]:
        """Ids of the rows, top to bottom."""
        return [row.key.value or "" for row in self.grid.ordered_rows]

    def job(self, job_id: str) -> Job | None:
        """The latest object the table was given for a job."""
        return self._jobs.get(job_id)

    def upsert(self, jobs: Iterable[Job]) -> None:
        """Add new jobs and update the rows of changed ones, touching only what changed."""
        grid = self.grid
        new: list[Job] = []
        changes: list[tuple[str, str, Text]] = []
        removed = False
        selected: str | None = None
        for job in jobs:
            job_id = job.id
            self._jobs[job_id] = job
            if job_id not in self._arrival:
                self._arrival[job_id] = len(self._arrival)
            if job.state in ACTIVE_STATES:
                self._ticking.add(job_id)
            else:
                self._ticking.discard(job_id)
            shown = job_id in self._cells
            if self._matches(job):
                if shown:
                    changes.extend(self._row_changes(job))
                else:
                    new.append(job)
            elif shown:
                if not removed:  # remember the cursor's job before rows shift
                    selected = self.selected_job_id
                grid.remove_row(job_id)
                del self._cells[job_id]
                removed = True
        grid.set_cells(change for change in changes if change[0] in self._cells)
        for job in sorted(new, key=self._order_key):
            self._add_row(grid, job)
        if removed:
            self._restore_cursor(selected)
        self._update_chrome()

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
        self._filter = wanted
        self._filter_name = self._name_of(wanted)
        self._rebuild()

    def cycle_filter(self) -> None:
        """Switch to the next filter of ``FILTER_CYCLE`` and say which one is active."""
        names = [name for name, _ in FILTER_CYCLE]
        index = names.index(self._filter_name) if self._filter_name in names else -1
        name, states = FILTER_CYCLE[(index + 1) % len(FILTER_CYCLE)]
        self.set_filter(states)
        self.notify(f"Jobs: {name}", markup=False, timeout=2)

    def select_job(self, job_id: str) -> bool:
        """Move the cursor to a job's row; ``False`` when the job is not shown."""
        if job_id not in self._cells:
            return False
        grid = self.grid
        grid.move_cursor(row=grid.get_row_index(job_id), animate=False)
        return True

    def request(self, kind: type[JobTable._JobMessage]) -> None:
        """Post a request message about the job under the cursor (if any)."""
        job_id = self.selected_job_id
        if job_id is None:
            self.notify("No job selected.", markup=False, timeout=2)
            return
        self.post_message(kind(self, job_id))

    def tick(self) -> None:
        """Refresh the elapsed cell of every active job (runs every ``tick_interval``)."""
        if not self._ticking:
            return
        grid = self.grid
        now = self.clock()
        changes: list[tuple[str, str, Text]] = []
        for job_id in list(self._ticking):
            cells = self._cells.get(job_id)
            job = self._jobs.get(job_id)
            if cells is None or job is None:
                continue
            text = format_duration(elapsed_seconds(job, now))
            if cells["elapsed"] != text:
                cells["elapsed"] = text
                changes.append((job_id, "elapsed", _cell(text)))
        grid.set_cells(changes)

    # -- rows ------------------------------------------------------------------------

    def _order_key(self, job: Job) -> tuple[float, int]:
        return (job.created_at, self._arrival.get(job.id, 0))

    def _matches(self, job: Job) -> bool:
        return self._filter is None or job.state in self._filter

    def _texts(self, job: Job) -> dict[str, str]:
        failed = job.state in (JobState.failed, JobState.lost)
        log = one_line(job.error) if failed and job.error else last_log(job)
        return {
            "model": short_model(job.endpoint_id),
            "prompt": prompt_snippet(job),
            "state": state_label(job),
            "elapsed": format_duration(elapsed_seconds(job, self.clock())),
            "log": log,
        }

    def _styled(self, column: str, text: str, state: JobState) -> Text:
        if column == "state":
            running = state is JobState.running
            return _cell(text, Style(color=self._colours.get(state.value), bold=running))
        if column == "log" and state in (JobState.failed, JobState.lost):
            return _cell(text, Style(color=self._colours.get(state.value)))
        if column == "model":
            return _cell(text, "bold")
        return _cell(text)

    def _add_row(self, grid: JobGrid, job: Job) -> None:
        texts = self._texts(job)
        state = job.state
        self._cells[job.id] = texts
        grid.add_row(*(self._styled(c, t, state) for c, t in texts.items()), key=job.id)

    def _row_changes(self, job: Job) -> list[tuple[str, str, Text]]:
        """The cells of a shown job whose text (or colour) changed."""
        old = self._cells[job.id]
        texts = self._texts(job)
        state = job.state
        state_changed = old["state"] != texts["state"]
        self._cells[job.id] = texts
        return [
            (job.id, column, self._styled(column, text, state))
            for column, text in texts.items()
            if old[column] != text or (column == "log" and state_changed)
        ]

    def _rebuild(self) -> None:
        """Re-list every job under the current filter (filter changes only)."""
        selected = self.selected_job_id
        grid = self.grid
        grid.clear()
        self._cells.clear()
        for job in sorted(self._jobs.values(), key=self._order_key):
            if self._matches(job):
                self._add_row(grid, job)
        self._restore_cursor(selected)
        self._update_chrome()

    def _restore_cursor(self, job_id: str | None) -> None:
        grid = self.grid
        if job_id is not None and job_id in self._cells:
            row = grid.get_row_index(job_id)
            if row != grid.cursor_row:
                grid.move_cursor(row=row, animate=False)
        elif grid.row_count:
            grid.move_cursor(row=min(grid.cursor_row, grid.row_count - 1), animate=False)

    # -- chrome ----------------------------------------------------------------------

    def _name_of(self, states: frozenset[JobState] | None) -> str:
        for name, known in FILTER_CYCLE:
            if known == states:
                return name
        return ", ".join(sorted(state.value for state in states or ()))

    def _empty_message(self) -> str:
        if self._jobs and self._filter is not None:
            return f"No {self._filter_name} jobs. Press f to change the filter."
        return "No jobs yet. Choose a model, fill in its parameters and press ctrl+s to submit."

    def _update_chrome(self) -> None:
        shown = len(self._cells)
        total = len(self._jobs)
        if self._filter is None:
            bar = f"Jobs: all · {total}"
        else:
            bar = f"Jobs: {self._filter_name} · {shown} of {total}"
        if bar != self._bar_text:
            self._bar_text = bar
            # One line of fixed size: a repaint, not a layout pass of the whole screen.
            self.query_one("#jobs-bar", Static).update(bar, layout=False)
        empty = shown == 0
        if empty:
            self.query_one("#jobs-empty", Static).update(self._empty_message())
        self.set_class(empty, "-empty")

    def on_resize(self) -> None:
        self._fit_log_column()

    def _fit_log_column(self) -> None:
        grid = self.grid
        padding = 2 * grid.cell_padding * len(grid.columns) + 2  # + the vertical scrollbar
        changed = False
        for key, width in column_widths(self.size.width, padding).items():
            column = grid.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = width
                changed = True
        if changed:
            grid._require_update_dimensions = True  # Textual re-measures on the next refresh
            grid.refresh(layout=True)

    def _refresh_colours(self) -> None:
        variables = self.app.theme_variables
        self._colours = {
            name.removeprefix("job-"): variables.get(name) or default
            for name, default in JOB_STATE_VARIABLES.items()
        }

    def _on_theme_changed(self, _theme: Any) -> None:
        self._refresh_colours()
        grid = self.grid
        for job_id, texts in self._cells.items():
            job = self._jobs[job_id]
            state = job.state
            grid.update_cell(job_id, "state", self._styled("state", texts["state"], state))
            grid.update_cell(job_id, "log", self._styled("log", texts["log"], state))

    # -- events ----------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key: RowKey = event.row_key
        if key.value is not None:
            self.post_message(self.Highlighted(self, key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter is bound to details; clicks on a row only highlight it
