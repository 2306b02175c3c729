"""The job list's lines: a ``ScrollView`` drawing ``JobRows`` one line at a time.

Only the lines on screen are drawn, each from a cache keyed by what the line shows (job id and
row version, elapsed text, column widths, cursor / mark / stripe state, search, theme), so
moving the cursor repaints two lines and a changed job one. Rows appended under a scrollbar
already shown only grow the scrollbar: no layout pass of the screen.

Every text comes from ``JobRows`` already literal (control characters removed) and goes into
``rich.text.Text`` as plain text: a prompt like ``[@click=app.quit]`` is shown, never run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.color import Color, ColorParseError
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from faltui.core.job import JobState
from faltui.tui.job_cells import (
    COLUMNS,
    GAP,
    GUTTER,
    PROBLEM_STATES,
    column_widths,
    fit_end,
    pad,
)
from faltui.tui.job_rows import JobRows, RowChanges
from faltui.tui.themes import JOB_STATE_VARIABLES

#: Lines above the rows (the header).
HEADER = 1
#: Lines kept in the line cache (a few screens' worth).
LINE_CACHE_SIZE = 1024
#: Cells of the small progress bar in front of the step counter.
BAR_CELLS = 3
MARK = "●"
#: Titles for columns too narrow for the full one.
SHORT_TITLES = {"elapsed": "Time", "progress": "Prog", "log": "Log", "prompt": "Input"}
#: Fewest cells of prompt shown beside a sibling tag (else the tag alone).
PROMPT_KEPT = 4


class JobList(ScrollView, can_focus=True, inherit_bindings=False):
    """The lines of the jobs pane: a header, then one line per shown job."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-list--header",
        "job-list--cursor",
        "job-list--cursor-blurred",
        "job-list--odd-row",
        "job-list--marked",
        "job-list--mark",
        "job-list--match",
        "job-list--tag",
        "job-list--bar",
    }

    #: Component styles laid over a line's own (no background of their own).
    _OVERLAYS = frozenset({"job-list--mark", "job-list--match", "job-list--tag", "job-list--bar"})

    DEFAULT_CSS = """
    JobList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        height: 1fr;
        & > .job-list--header { text-style: bold; background: $panel; color: $foreground; }
        & > .job-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .job-list--cursor-blurred {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        & > .job-list--odd-row { background: $surface-lighten-1 50%; }
        & > .job-list--marked { background: $accent 25%; }
        & > .job-list--mark { color: $accent; text-style: bold; }
        & > .job-list--match { text-style: bold underline; }
        & > .job-list--tag { color: $text-muted; }
        & > .job-list--bar { color: $accent; }
    }
    """

    class RowClicked(Message):
        """A row was clicked (``chain`` 2 for a double click)."""

        def __init__(self, row: int, chain: int) -> None:
            super().__init__()
            self.row = row
            self.chain = chain

    class HeaderClicked(Message):
        """A column title was clicked."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(
        self,
        rows: JobRows,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows = rows
        self._lines: LRUCache[tuple[Any, ...], Strip] = LRUCache(LINE_CACHE_SIZE)
        self._widths: dict[str, int] = column_widths(80, cost=rows.cost_of is not None)
        self._widths_for = 80
        self._styles: dict[str, Style] | None = None
        self._generation = 0
        #: Elapsed text of each line as last drawn (the tick repaints only what changed).
        self._drawn_elapsed: dict[str, str] = {}
        #: Lines asked for by the compositor (repaints) and lines built (cache misses) since
        #: mount, for tests and the bench.
        self.lines_drawn = 0
        self.renders = 0

    # -- geometry --------------------------------------------------------------------------

    @property
    def page_rows(self) -> int:
        """How many rows fit under the header."""
        return max(1, self.scrollable_content_region.height - HEADER)

    def visible_rows(self) -> range:
        """Indexes of the rows on screen."""
        top = self.scroll_offset.y
        return range(top, min(len(self.rows), top + self.page_rows))

    def row_at(self, y: int) -> int | None:
        """The row shown at line ``y`` of the widget (``None``: header or below the rows)."""
        if y < HEADER:
            return None
        row = self.scroll_offset.y + y - HEADER
        return row if 0 <= row < len(self.rows) else None

    def column_at(self, x: int) -> str | None:
        """The column under cell ``x``."""
        self._fit_columns(self._content_width())
        left = GUTTER
        for key, _title in COLUMNS:
            width = self._widths.get(key, 0)
            if width and left <= x < left + width + GAP:
                return key
            left += width + (GAP if width else 0)
        return None

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def sync_size(self) -> None:
        """Give the scrollbar the number of rows.

        Growing under a vertical scrollbar already shown moves nothing on screen: the new
        height is set without a layout pass and only the scrollbar is repainted. Anything
        else (the scrollbar appears or goes, the list shrinks) lays the screen out.
        """
        size = Size(self._content_width(), len(self.rows) + HEADER)
        current = self.virtual_size
        if size == current:
            return
        grows_under_bar = (
            self.show_vertical_scrollbar
            and size.width == current.width
            and size.height > current.height
            and self.is_mounted
        )
        if grows_under_bar:
            self.set_reactive(JobList.virtual_size, size)
            bar = self.vertical_scrollbar
            bar.window_virtual_size = size.height
            bar.refresh()
            return
        self.virtual_size = size

    def on_resize(self, _event: events.Resize) -> None:
        self.sync_size()
        self.scroll_to_cursor()
        self.refresh()

    def _fit_columns(self, width: int) -> None:
        """Column widths for a line ``width`` cells wide (recomputed when that changes)."""
        if width != self._widths_for:
            self._widths_for = width
            self._widths = column_widths(width, cost=self.rows.cost_of is not None)

    # -- repainting ------------------------------------------------------------------------

    def refresh_row(self, row: int) -> None:
        """Repaint one row's line if it is on screen."""
        top = self.scroll_offset.y
        if top <= row < top + self.page_rows:
            self.refresh(Region(0, row - top + HEADER, self.size.width, 1))

    def refresh_rows(self, job_ids: Iterable[str]) -> None:
        """Repaint the lines of these jobs that are on screen (the others cost nothing)."""
        index = self.rows.index
        top = self.scroll_offset.y
        bottom = top + self.page_rows
        width = self.size.width
        for job_id in job_ids:
            row = index.get(job_id)
            if row is not None and top <= row < bottom:
                self.refresh(Region(0, row - top + HEADER, width, 1))

    def refresh_header(self) -> None:
        """Repaint the header line (sort indicator)."""
        self.refresh(Region(0, 0, self.size.width, HEADER))

    def apply(self, changes: RowChanges, old_cursor_row: int | None) -> None:
        """Repaint what ``changes`` says changed, and keep the cursor in view."""
        if changes.reordered:
            self.sync_size()
            self.refresh()
            row = self.rows.cursor_index
            if old_cursor_row is not None and row is not None and not changes.cursor_moved:
                # Rows moved around the cursor's job: keep it on the same screen line.
                line = old_cursor_row - self.scroll_offset.y
                if 0 <= line < self.page_rows:
                    self.scroll_to(y=max(0, row - line), animate=False, force=True)
        else:
            if changes.appended:
                before = len(self.rows) - changes.appended
                self.sync_size()
                for row in range(before, len(self.rows)):
                    self.refresh_row(row)
            self.refresh_rows(changes.changed)
            if changes.cursor_moved:
                if old_cursor_row is not None:
                    self.refresh_row(old_cursor_row)
                row = self.rows.cursor_index
                if row is not None:
                    self.refresh_row(row)
        if changes.cursor_moved or changes.reordered:
            self.scroll_to_cursor()

    def tick(self) -> None:
        """Repaint the visible live rows whose elapsed text changed (``rows.now`` moved)."""
        rows = self.rows
        order = rows.order
        for row in self.visible_rows():
            job_id = order[row]
            if rows.texts[job_id].state.final:  # its elapsed time no longer changes
                continue
            if self._drawn_elapsed.get(job_id) != rows.elapsed_text(job_id):
                self.refresh_row(row)

    def scroll_to_cursor(self) -> None:
        """Scroll just enough for the cursor's row to be on screen."""
        row = self.rows.cursor_index
        if row is None:
            return
        top = self.scroll_offset.y
        page = self.page_rows
        if row < top:
            self.scroll_to(y=row, animate=False, force=True)
        elif row >= top + page:
            self.scroll_to(y=row - page + 1, animate=False, force=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.restyle()

    def restyle(self) -> None:
        """Forget cached styles and lines (theme or CSS changed)."""
        self._styles = None
        self._generation += 1
        self._lines.clear()
        self.refresh()

    def on_focus(self) -> None:
        self._refresh_cursor()

    def on_blur(self) -> None:
        self._refresh_cursor()

    def _refresh_cursor(self) -> None:
        row = self.rows.cursor_index
        if row is not None:
            self.refresh_row(row)

    # -- mouse -----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        event.stop()
        if event.y < HEADER:
            column = self.column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        row = self.row_at(event.y)
        if row is not None:
            self.post_message(self.RowClicked(row, event.chain))

    # -- drawing ---------------------------------------------------------------------------

    def _style_table(self) -> dict[str, Style]:
        if self._styles is None:
            styles: dict[str, Style] = {}
            for name in self.COMPONENT_CLASSES:
                style = self.get_component_rich_style(name)
                if name in self._OVERLAYS:
                    # Laid over a line with its own background: keep the (blended) colour
                    # and the text style only.
                    colour = None if name == "job-list--match" else style.color
                    style = Style(
                        color=colour,
                        bold=style.bold,
                        italic=style.italic,
                        underline=style.underline,
                    )
                styles[name.removeprefix("job-list--")] = style
            styles["base"] = self.rich_style
            variables = self.app.theme_variables
            for variable, fallback in JOB_STATE_VARIABLES.items():
                try:
                    state_colour = Color.parse(variables.get(variable) or fallback)
                except ColorParseError:
                    state_colour = Color.parse(fallback)
                styles[variable] = Style(color=state_colour.rich_color)
            self._styles = styles
        return self._styles

    def render_line(self, y: int) -> Strip:
        self.lines_drawn += 1
        width = self._content_width()
        self._fit_columns(width)
        if y < HEADER:
            return self._header_line(width)
        rows = self.rows
        row = self.scroll_offset.y + y - HEADER
        styles = self._style_table()
        if not 0 <= row < len(rows):
            return Strip.blank(width, styles["base"])
        job_id = rows.order[row]
        elapsed = rows.elapsed_text(job_id)
        self._drawn_elapsed[job_id] = elapsed
        cursor = job_id == rows.cursor_id
        key = (
            job_id,
            rows.versions.get(job_id, 0),
            elapsed,
            width,
            row % 2,
            (cursor, self.has_focus) if cursor else None,
            job_id in rows.marked,
            rows.query,
            self._generation,
        )
        strip = self._lines.get(key)
        if strip is None:
            strip = self._row_line(job_id, elapsed, row, cursor, width, styles)
            self._lines[key] = strip
        return strip

    def _header_line(self, width: int) -> Strip:
        rows = self.rows
        key = ("\x00header", width, rows.sort, rows.descending, self._generation)
        strip = self._lines.get(key)
        if strip is not None:
            return strip
        styles = self._style_table()
        style = styles["base"] + styles["header"]
        text = Text(" " * GUTTER, style=style, no_wrap=True, end="")
        arrow = "▼" if rows.descending else "▲"
        for column, title in COLUMNS:
            column_width = self._widths.get(column, 0)
            if not column_width:
                continue
            if len(title) + (2 if rows.sort == column else 0) > column_width:
                title = SHORT_TITLES.get(column, title)
            label = f"{title} {arrow}" if rows.sort == column else title
            text.append(pad(label, column_width, right=column in ("elapsed", "cost")))
            text.append(" " * GAP)
        strip = self._strip(text, width, style)
        self._lines[key] = strip
        return strip

    def _row_line(
        self,
        job_id: str,
        elapsed: str,
        row: int,
        cursor: bool,
        width: int,
        styles: dict[str, Style],
    ) -> Strip:
        self.renders += 1
        rows = self.rows
        texts = rows.texts[job_id]
        marked = job_id in rows.marked
        line_style = styles["base"]
        if row % 2:
            line_style += styles["odd-row"]
        if marked:
            line_style += styles["marked"]
        if cursor:
            line_style += styles["cursor" if self.has_focus else "cursor-blurred"]
        if cursor:
            # The cursor's own colours win on its line: state, tag and bar colours would be
            # hard to read on the cursor background.
            styles = {**styles, "tag": Style(), "bar": Style(), "mark": Style(bold=True)}
            state_colour = Style()
        else:
            state_colour = styles.get(f"job-{texts.state.value}", Style())
        widths = self._widths
        text = Text(no_wrap=True, end="", style=line_style)
        text.append((MARK if marked else " ").ljust(GUTTER), styles["mark"] if marked else None)
        searchable: list[tuple[int, int]] = []

        def cell(value: str, column: str, style: Style | None = None, right: bool = False) -> None:
            column_width = widths.get(column, 0)
            if not column_width:
                return
            start = len(text)
            text.append(pad(value, column_width, right=right), style)
            if column in ("model", "prompt"):
                searchable.append((start, len(text)))
            text.append(" " * GAP)

        cell(texts.model, "model", Style(bold=True))
        self._prompt_cell(text, texts.prompt, texts.tag, widths.get("prompt", 0), styles)
        if widths.get("prompt", 0):
            searchable.append((len(text) - widths["prompt"] - GAP, len(text) - GAP))
        cell(texts.state_text, "state", state_colour + Style(bold=texts.state is JobState.running))
        cell(elapsed, "elapsed", right=True)
        cell(texts.cost, "cost", right=True)
        self._progress_cell(text, texts.progress, texts.fraction, widths.get("progress", 0), styles)
        problem = texts.state in PROBLEM_STATES
        cell(texts.log, "log", state_colour if problem else None)
        if rows.query:
            self._highlight(text, searchable, rows.query, styles["match"])
        return self._strip(text, width, line_style)

    def _prompt_cell(
        self, text: Text, prompt: str, tag: str, width: int, styles: dict[str, Style]
    ) -> None:
        """The prompt, then (right-aligned) the tag that tells ×N siblings apart; when both
        do not fit, the tag wins (its end, where seeds differ)."""
        if not width:
            return
        if tag:
            tag_cells = cell_len(tag)
            if tag_cells + 1 + PROMPT_KEPT <= width:
                text.append(pad(prompt, width - tag_cells - 1))
                text.append(" ")
            else:
                tag = fit_end(tag, width)
                text.append(" " * (width - cell_len(tag)))
            text.append(tag, styles["tag"])
        else:
            text.append(pad(prompt, width))
        text.append(" " * GAP)

    def _progress_cell(
        self,
        text: Text,
        counter: str,
        fraction: float | None,
        width: int,
        styles: dict[str, Style],
    ) -> None:
        """A small bar and the step counter (just the counter when narrow)."""
        if not width:
            return
        if fraction is None:
            text.append(" " * (width + GAP))
            return
        if width >= len(counter) + BAR_CELLS + 1:
            filled = round(fraction * BAR_CELLS)
            text.append("▰" * filled + "▱" * (BAR_CELLS - filled), styles["bar"])
            text.append(" ")
            text.append(pad(counter, width - BAR_CELLS - 1))
        else:
            text.append(pad(counter, width))
        text.append(" " * GAP)

    @staticmethod
    def _highlight(text: Text, spans: list[tuple[int, int]], query: str, style: Style) -> None:
        plain = text.plain.lower()
        if len(plain) != len(text.plain):  # a rare case change altered offsets: no highlight
            return
        for word in query.lower().split():
            for start, end in spans:
                at = plain.find(word, start, end)
                while at != -1 and at + len(word) <= end:
                    text.stylize(style, at, at + len(word))
                    at = plain.find(word, at + len(word), end)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        segments = list(text.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, style)
