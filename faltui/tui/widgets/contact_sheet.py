"""The contact sheet: several outputs as a grid of small thumbnails, one of them highlighted.

Arrow keys (and ``h``/``j``/``k``/``l``) move in the grid, a click picks a cell; the pane
around it shows the highlighted output larger and acts on it. Thumbnails arrive one by one as
they are decoded (``set_thumbnail``); a cell shows its kind and name until then, or for an
output that is not an image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from faltui.tui.widgets.result_items import ResultItem

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Smallest cell size (columns, rows) in the pane, and maximized; cells widen to fill a row
#: (up to ``WIDEN`` times), so four images share a row rather than wrap one.
CELL = (16, 9)
CELL_MAXIMIZED = (28, 15)
WIDEN = 1.5
#: Columns between two cells.
GUTTER = 1
#: Cells mounted at once: a ×500 batch is shown a page at a time (a widget per cell, and
#: every decoded thumbnail lays out the screen, so 500 cells would stall the app).
PAGE_CELLS = 24


def cell_label(item: ResultItem) -> Text:
    """The caption of a cell: the batch tag and the file name (literal, one line)."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    if item.tag:
        text.append(f"{item.tag} ", style="bold")
    text.append(item.title)
    return text


class Thumb(Widget):
    """One cell: a thumbnail (or the output's kind) over its name."""

    DEFAULT_CSS = """
    Thumb { width: 18; height: 9; border: round $panel-lighten-2; layout: vertical;
        align-horizontal: center; }
    Thumb.-highlight { border: heavy $accent; background: $boost; }
    Thumb .thumb-image { width: auto; height: 1fr; }
    Thumb .thumb-kind { width: 1fr; height: 1fr; content-align: center middle;
        color: $text-muted; }
    Thumb .thumb-label { width: 1fr; height: 1; color: $text-muted; }
    Thumb.-highlight .thumb-label { color: $text; text-style: bold; }
    """

    class Clicked(Message):
        """The cell was clicked."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(
        self,
        index: int,
        item: ResultItem,
        image_widget: type[Widget] | None,
        thumbnail: PILImage | None,
    ) -> None:
        super().__init__()
        self.index = index
        self.item = item
        self.image_widget = image_widget if item.kind == "image" else None
        self._first = thumbnail

    def compose(self) -> ComposeResult:
        if self.image_widget is not None:
            factory: Callable[..., Widget] = self.image_widget
            yield factory(self._first, classes="thumb-image")
        if self.image_widget is None or self._first is None:
            kind = "…" if self.image_widget is not None else self.item.kind
            yield Static(Text(kind), classes="thumb-kind", markup=False)
        yield Static(cell_label(self.item), classes="thumb-label", markup=False)

    def set_image(self, image: PILImage | None, problem: str | None = None) -> None:
        """Show a decoded thumbnail (or why there is none)."""
        if self.image_widget is None:
            return
        widget = self.query(".thumb-image").first()
        widget.image = image  # type: ignore[attr-defined]
        placeholder = self.query(".thumb-kind")
        if image is not None:
            placeholder.remove()
        elif problem is not None and placeholder:
            placeholder.first(Static).update(Text(problem, style="dim"))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self.index))


class ContactSheet(Widget, can_focus=False):
    """A grid of ``Thumb`` cells with a keyboard-driven highlight (focusable while shown)."""

    DEFAULT_CSS = """
    ContactSheet { layout: grid; grid-size: 4; grid-gutter: 0 1; height: auto;
        max-height: 60%; overflow-y: auto; padding: 0 1; }
    ContactSheet:focus { background-tint: $foreground 4%; }
    """

    BINDINGS: ClassVar = [
        Binding("left,h", "move(-1, 0)", "Left", show=False, id="sheet.left"),
        Binding("right,l", "move(1, 0)", "Right", show=False, id="sheet.right"),
        Binding("up,k", "move(0, -1)", "Up", show=False, id="sheet.up"),
        Binding("down,j", "move(0, 1)", "Down", show=False, id="sheet.down"),
        Binding("home", "jump(0)", "First", show=False, id="sheet.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="sheet.last"),
    ]

    class Highlighted(Message):
        """Another cell is highlighted (by key or click)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class PageChanged(Message):
        """Other cells are mounted (their thumbnails are wanted)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.highlighted = 0
        self.cell = CELL
        self._count = 0
        self._items: Sequence[ResultItem] = ()
        self._image_widget: type[Widget] | None = None
        self._cached: Callable[[str], PILImage | None] = lambda _url: None
        #: The indexes of the items whose cells are mounted.
        self.page = range(0)

    @property
    def columns(self) -> int:
        """Cells per row at the current width (no more than there are cells)."""
        width = self.content_size.width or self.cell[0]
        return max(1, min(max(1, self._count), (width + GUTTER) // (self.cell[0] + GUTTER)))

    @property
    def cell_width(self) -> int:
        """Columns of one cell: the row's width shared out, within limits."""
        columns = self.columns
        share = ((self.content_size.width or self.cell[0]) - GUTTER * (columns - 1)) // columns
        return max(self.cell[0], min(int(self.cell[0] * WIDEN), share))

    def set_items(
        self,
        items: Sequence[ResultItem],
        image_widget: type[Widget] | None,
        cached: Callable[[str], PILImage | None],
        highlighted: int = 0,
    ) -> Any:
        """Replace the cells (thumbnails already decoded are shown at once); only the page of
        ``PAGE_CELLS`` holding the highlighted one is mounted."""
        before = self._page_items()
        self._items, self._image_widget, self._cached = items, image_widget, cached
        self._count = len(items)
        self.highlighted = min(max(0, highlighted), max(0, self._count - 1))
        if self.children and self.highlighted in self.page and self._page_items() == before:
            # The same cells (a ×N batch whose other pages changed): move the highlight only.
            self.highlight(self.highlighted, announce=False)
            return None
        return self._mount_page()

    def _page_items(self) -> list[tuple[str, str | None, str | None]]:
        """What the mounted cells show: kind, URL and caption of each item on the page."""
        return [
            (item.kind, item.url, cell_label(item).plain)
            for item in self._items[self.page.start : self.page.stop]
        ]

    def _mount_page(self) -> Any:
        start = self.highlighted // PAGE_CELLS * PAGE_CELLS
        self.page = range(start, min(self._count, start + PAGE_CELLS))
        shown = self._items[self.page.start : self.page.stop]
        thumbs = [
            Thumb(n, item, self._image_widget, self._cached(item.url) if item.url else None)
            for n, item in zip(self.page, shown, strict=True)
        ]
        self.remove_children()
        self._fit()
        for thumb in thumbs:
            thumb.set_class(thumb.index == self.highlighted, "-highlight")
            thumb.styles.width, thumb.styles.height = self.cell_width, self.cell[1]
        return self.mount_all(thumbs)

    def page_label(self) -> str:
        """Which cells are shown, when not all are (``"cells 25–48 of 500"``), else ``""``."""
        if len(self.page) >= self._count:
            return ""
        return f"cells {self.page.start + 1}–{self.page.stop} of {self._count}"

    def thumb(self, index: int) -> Thumb | None:
        """The cell of an item, if mounted."""
        for child in self.children:
            if isinstance(child, Thumb) and child.index == index:
                return child
        return None

    def set_thumbnail(self, index: int, image: PILImage | None, problem: str | None = None) -> None:
        """Show a decoded thumbnail in its cell."""
        thumb = self.thumb(index)
        if thumb is not None:
            thumb.set_image(image, problem)

    def set_cell_size(self, cell: tuple[int, int]) -> None:
        """Change the size of every cell (bigger while maximized)."""
        self.cell = cell
        self._fit()

    def highlight(self, index: int, *, announce: bool = True) -> None:
        """Highlight a cell (clamped), scroll it into view, tell the pane."""
        if self._count == 0:
            return
        index = min(max(0, index), self._count - 1)
        changed = index != self.highlighted
        self.highlighted = index
        if index not in self.page:
            self._mount_page()
            self.call_after_refresh(self._scroll_to_highlight)
            self.post_message(self.PageChanged())
        for child in self.children:
            if isinstance(child, Thumb):
                child.set_class(child.index == index, "-highlight")
        thumb = self.thumb(index)
        if thumb is not None:
            self.scroll_to_widget(thumb, animate=False)
        if changed and announce:
            self.post_message(self.Highlighted(index))

    def _scroll_to_highlight(self) -> None:
        thumb = self.thumb(self.highlighted)
        if thumb is not None:
            self.scroll_to_widget(thumb, animate=False)

    def action_move(self, dx: int, dy: int) -> None:
        """Move the highlight by cells (dx) or rows (dy); stays put at the edges."""
        target = self.highlighted + dx + dy * self.columns
        if 0 <= target < self._count:
            self.highlight(target)

    def action_jump(self, index: int) -> None:
        """Highlight the first (0) or last (-1) cell."""
        self.highlight(index if index >= 0 else self._count - 1)

    def on_thumb_clicked(self, message: Thumb.Clicked) -> None:
        message.stop()
        self.focus()
        self.highlight(message.index)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Columns and cell size from the width; the height of the rows the cells need."""
        columns, width, height = self.columns, self.cell_width, self.cell[1]
        self.styles.grid_size_columns = columns
        self.styles.grid_columns = str(width)
        self.styles.grid_rows = str(height)
        shown = len(self.page)
        rows = -(-shown // columns) if shown else 0
        self.styles.height = rows * height
        for child in self.children:
            child.styles.width, child.styles.height = width, height


__all__ = ["CELL", "CELL_MAXIMIZED", "PAGE_CELLS", "ContactSheet", "Thumb", "cell_label"]
