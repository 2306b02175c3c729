"""A sweep's results as a grid keyed by the swept values, filling in live as jobs finish.

Rows are the first swept field's values, columns the combinations of the others (the model
first when the sweep ran on several); one swept field is a list. Each cell shows its job's
state, time and cost, and a thumbnail of its first image once it is done (the contact sheet's
image loader and widget; grids up to ``MAX_THUMB_CELLS`` cells). Arrow keys move, enter opens
the job, x sends no more of a capped sweep's jobs, escape goes back. The grid is built from the
jobs alone (each journals its sweep and values), so it is the same after a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from faltui.core.errors import FaltuiError
from faltui.core.job import Job, JobState, state_text
from faltui.core.sweep_grid import SweepGrid, build_grid
from faltui.core.sweep_tag import SweepTag
from faltui.core.text import one_line
from faltui.tui.widgets.result_images import ImageLoader
from faltui.tui.widgets.result_items import items_for

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Seconds between looks at the jobs (a cheap comparison; only changed cells redraw).
REFRESH_INTERVAL = 0.25
#: Width of the row labels, smallest cell width, cell heights with and without a thumbnail.
ROW_LABEL = 12
CELL_WIDTH = 18
CELL_HEIGHT_IMAGE = 10
CELL_HEIGHT_TEXT = 4
#: Grids with more cells than this show state and cost only (hundreds of image widgets, each
#: laid out again as its thumbnail arrives, stall the app), and at most this many thumbnails
#: are fetched at once.
MAX_THUMB_CELLS = 48
THUMB_FETCHES = 4

_GLYPHS = {
    JobState.done: "✓",
    JobState.failed: "✗",
    JobState.cancelled: "⊘",
    JobState.lost: "?",
    JobState.unknown: "?",
}


def cell_text(job: Job | None, cost: str) -> Text:
    """A cell's caption: ``✓ done 2.1s`` over its cost (or ``waiting`` when not sent)."""
    if job is None:
        return Text("waiting (cap)", style="dim")
    glyph = _GLYPHS.get(job.state, "…")
    style = {"✓": "green", "✗": "red"}.get(glyph, "")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{glyph} {state_text(job)}", style=style)
    if job.submitted_at is not None:
        text.append(f" {job.elapsed:.1f}s", style="dim")
    if cost:
        text.append(f"\n{cost}", style="dim")
    return text


def first_image_url(job: Job) -> str | None:
    """The URL of the job's first image output, if it has one."""
    if job.state is not JobState.done:
        return None
    for item in items_for(job.result, job.request_id or job.id, job):
        if item.kind == "image" and item.url:
            return item.url
    return None


class CellCaption(Widget):
    """A cell's state and cost: drawn by ``render``, so a change repaints it without laying
    out the grid (hundreds of cells change while a big sweep runs)."""

    DEFAULT_CSS = """
    CellCaption { width: 1fr; height: 2; }
    """

    def __init__(self) -> None:
        super().__init__(classes="cell-text")
        self.text = Text("")
        self.highlighted = False

    def set_text(self, text: Text) -> None:
        """Show new text (a repaint, no layout)."""
        self.text = text
        self.refresh()

    def set_highlight(self, on: bool) -> None:
        """Show the cursor on this cell (a repaint, no restyle of the grid)."""
        if on != self.highlighted:
            self.highlighted = on
            self.refresh()

    def render(self) -> Text:
        if not self.highlighted:
            return self.text
        text = self.text.copy()
        text.stylize("reverse bold")
        return text


class GridCell(Widget):
    """One job of the grid: a thumbnail (when there is one) over its state and cost."""

    DEFAULT_CSS = """
    GridCell { border: round $panel-lighten-2; layout: vertical; height: 4; }
    GridCell.-highlight { border: heavy $accent; background: $boost; }
    GridCell.-empty { border: blank; }
    GridCell .cell-image { width: auto; height: 1fr; }
    """

    class Clicked(Message):
        """The cell was clicked."""

        def __init__(self, position: tuple[int, int]) -> None:
            super().__init__()
            self.position = position

    def __init__(
        self, position: tuple[int, int], image_widget: type[Widget] | None, slot: bool
    ) -> None:
        super().__init__(classes="" if slot else "-empty")
        self.position = position
        self.image_widget = image_widget
        self.slot = slot
        self.job: Job | None = None
        self.shown: tuple[object, ...] | None = None
        self.image_url: str | None = None

    def compose(self) -> ComposeResult:
        if self.image_widget is not None and self.slot:
            factory: Callable[..., Widget] = self.image_widget
            yield factory(None, classes="cell-image")
        yield CellCaption()

    @property
    def caption(self) -> str:
        """The cell's text as shown (state, time, cost)."""
        return self.query_one(CellCaption).text.plain

    def show(self, job: Job | None, cost: str) -> None:
        """Show the job's state and cost (redrawn only when they changed)."""
        if not self.slot:
            return
        self.job = job
        key = (
            None if job is None else (job.state, job.queue_position, round(job.elapsed)),
            cost,
        )
        if key == self.shown:
            return
        self.shown = key
        self.query_one(CellCaption).set_text(cell_text(job, cost))

    def set_highlight(self, on: bool) -> None:
        """The cursor is on this cell: its caption shows it (small grids: its border too)."""
        self.query_one(CellCaption).set_highlight(on)
        if self.image_widget is not None:  # few cells: a restyle is cheap
            self.set_class(on, "-highlight")

    def set_image(self, image: PILImage | None) -> None:
        """Show a decoded thumbnail."""
        for widget in self.query(".cell-image"):
            widget.image = image  # type: ignore[attr-defined]

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self.position))


class SweepGridScreen(Screen[None]):
    """The grid of one sweep (see the module docstring)."""

    DEFAULT_CSS = """
    SweepGridScreen #grid-head { height: auto; padding: 0 1; }
    SweepGridScreen #grid-scroll { height: 1fr; }
    SweepGridScreen #grid { layout: grid; grid-gutter: 0 1; height: auto; width: auto;
        padding: 0 1; }
    SweepGridScreen .grid-title { text-style: bold; height: 1; }
    SweepGridScreen .grid-row-label { text-style: bold; content-align: left middle; }
    SweepGridScreen #grid-foot { height: auto; color: $text-muted; padding: 0 1; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "close", "Back", id="sweep_grid.close"),
        Binding("enter", "open", "Open job", id="sweep_grid.open"),
        Binding("x", "stop", "Send no more", id="sweep_grid.stop"),
        Binding("left,h", "move(0, -1)", "Left", show=False, id="sweep_grid.left"),
        Binding("right,l", "move(0, 1)", "Right", show=False, id="sweep_grid.right"),
        Binding("up,k", "move(-1, 0)", "Up", show=False, id="sweep_grid.up"),
        Binding("down,j", "move(1, 0)", "Down", show=False, id="sweep_grid.down"),
    ]

    def __init__(
        self,
        sweep_id: str,
        jobs: Callable[[], Sequence[Job]],
        *,
        expected: Sequence[tuple[str, SweepTag]] = (),
        cost_of: Callable[[Job], str] | None = None,
        open_job: Callable[[Job], None] | None = None,
        stop: Callable[[], int] | None = None,
        images: ImageLoader | None = None,
        image_widget: type[Widget] | None = None,
    ) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.jobs_source = jobs
        self.expected = list(expected)
        self.cost_of = cost_of or (lambda job: "")
        self.open_job = open_job
        self.stop = stop
        self.images = images
        self.image_widget = image_widget if images is not None else None
        self.grid: SweepGrid | None = None
        self.cursor = (0, 0)
        self._cells: dict[tuple[int, int], GridCell] = {}
        self._layout_key: tuple[object, ...] | None = None
        self._fetching = asyncio.Semaphore(THUMB_FETCHES)
        self._shape = (0, 0)
        self._head = ""
        self._thumbs = False

    def compose(self) -> ComposeResult:
        yield Static("", id="grid-head", markup=False)
        with ScrollableContainer(id="grid-scroll"):
            yield Widget(id="grid")
        yield Static(
            "←↑↓→ move · enter open the job · x send no more · escape back",
            id="grid-foot",
            markup=False,
        )
        yield Footer()

    def _members(self) -> list[Job]:
        return [
            j for j in self.jobs_source() if j.sweep is not None and j.sweep.id == self.sweep_id
        ]

    async def on_mount(self) -> None:
        await self.refresh_grid()
        self.set_interval(REFRESH_INTERVAL, self.refresh_grid)

    async def refresh_grid(self) -> None:
        """Look at the jobs: lay the grid out again if its shape changed, else update cells."""
        grid = build_grid(self._members(), self.expected)
        if grid is None:
            self.query_one("#grid-head", Static).update(Text("No job of this sweep is known."))
            return
        self.grid = grid
        layout = (grid.rows, grid.column_dims)
        if layout != self._layout_key:
            self._layout_key = layout
            await self._lay_out(grid)
        self._fill(grid)

    async def _lay_out(self, grid: SweepGrid) -> None:
        container = self.query_one("#grid", Widget)
        await container.remove_children()
        columns = grid.columns
        width = max(CELL_WIDTH, max((len(grid.column_label(c)) + 2 for c in columns), default=0))
        cells = len(columns) * len(grid.rows.values)
        self._thumbs = self.image_widget is not None and cells <= MAX_THUMB_CELLS
        image_widget = self.image_widget if self._thumbs else None
        height = CELL_HEIGHT_IMAGE if image_widget is not None else CELL_HEIGHT_TEXT
        container.styles.grid_size_columns = 1 + len(columns)
        container.styles.grid_columns = f"{ROW_LABEL} " + " ".join([str(width)] * len(columns))
        container.styles.grid_rows = "1 " + " ".join([str(height)] * len(grid.rows.values))
        widgets: list[Widget] = [
            Static(Text(one_line(grid.rows.name, ROW_LABEL)), classes="grid-title", markup=False)
        ]
        widgets += [
            Static(Text(one_line(grid.column_label(c), width)), classes="grid-title", markup=False)
            for c in columns
        ]
        self._cells = {}
        self._shape = (len(grid.rows.values), len(columns))
        for r, row in enumerate(grid.rows.values):
            widgets.append(
                Static(Text(one_line(row, ROW_LABEL)), classes="grid-row-label", markup=False)
            )
            for c, column in enumerate(columns):
                cell = GridCell((r, c), image_widget, (row, column) in grid.slots)
                cell.styles.height = height
                self._cells[(r, c)] = cell
                widgets.append(cell)
        await container.mount_all(widgets)
        self._move_to(self.cursor)

    def _fill(self, grid: SweepGrid) -> None:
        columns = grid.columns
        for (r, c), cell in self._cells.items():
            job = grid.job_at(grid.rows.values[r], columns[c])
            cell.show(job, self.cost_of(job) if job is not None else "")
            if job is not None and self._thumbs and cell.image_url is None:
                url = first_image_url(job)
                if url is not None:
                    cell.image_url = url
                    self._load_thumbnail(cell, url)
        done = grid.finished
        head = Text()
        head.append(f"Sweep {grid.sweep_id}", style="bold")
        what = grid.rows.name + (f" × {grid.column_title()}" if grid.column_dims else "")
        head.append(f" · {what} · {done} of {grid.count} finished")
        failed = sum(1 for j in grid.cells.values() if j.state is JobState.failed)
        if failed:
            head.append(f" · {failed} failed", style="red")
        if head.plain != self._head:  # an update lays the screen out: only when it changed
            self._head = head.plain
            self.query_one("#grid-head", Static).update(head)

    @work(group="sweep-thumbs", exit_on_error=False)
    async def _load_thumbnail(self, cell: GridCell, url: str) -> None:
        if self.images is None:
            return
        try:
            async with self._fetching:
                image = await self.images.thumbnail(url)
        except (FaltuiError, OSError, ValueError):
            return  # the cell keeps its state line; Results says why when opened
        cell.set_image(image)

    # -- moving and opening ------------------------------------------------------------

    def _move_to(self, position: tuple[int, int]) -> None:
        if not self._cells:
            return
        rows, cols = self._shape
        r = min(max(0, position[0]), rows - 1)
        c = min(max(0, position[1]), cols - 1)
        before = self._cells.get(self.cursor)
        if before is not None:
            before.set_highlight(False)
        self.cursor = (r, c)
        current = self._cells.get(self.cursor)
        if current is not None:
            current.set_highlight(True)
            self.query_one("#grid-scroll").scroll_to_widget(current, animate=False)

    def action_move(self, dr: int, dc: int) -> None:
        """Move the highlight by rows or columns."""
        self._move_to((self.cursor[0] + dr, self.cursor[1] + dc))

    @property
    def highlighted_job(self) -> Job | None:
        """The job under the highlight (None: not sent yet, or no such combination)."""
        cell = self._cells.get(self.cursor)
        return cell.job if cell is not None else None

    def action_open(self) -> None:
        """Open the highlighted job's details."""
        job = self.highlighted_job
        if job is None:
            self.notify("No job here (not sent yet).", markup=False)
            return
        if self.open_job is not None:
            self.open_job(job)

    def on_grid_cell_clicked(self, message: GridCell.Clicked) -> None:
        message.stop()
        self._move_to(message.position)

    def action_stop(self) -> None:
        """Send no more of the sweep's jobs (those sent go on; only a live, capped sweep has
        jobs left to hold back)."""
        left = self.stop() if self.stop is not None else 0
        if left:
            self.notify(f"Sweep: {left} jobs not sent; those sent go on.", markup=False)
        else:
            self.notify("Every job of this sweep was sent already.", markup=False)

    def action_close(self) -> None:
        """Back to the main screen (the sweep goes on)."""
        self.dismiss(None)
