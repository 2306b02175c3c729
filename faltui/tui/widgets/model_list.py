"""The model browser's list: a ``ScrollView`` drawing two lines per model from a line cache.

Typing in the search box replaces the listed models on every keystroke. Textual's
``OptionList`` forgets every rendered option when its options are set, so each keystroke
rendered every visible option again (about 1 ms each for a two-line prompt: most of the time
from a typed character to its frame). Here a model's lines are cached by what they show
(endpoint id, favourite mark, cursor state, width, theme), so a new ranking of models seen
before is drawn from the cache, and moving the cursor redraws two models.

Every text shown (names, ids, categories) comes from the catalog: it goes into
``rich.text.Text`` as plain text via ``one_line`` (control characters removed), never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from faltui.core.catalog import ModelInfo
from faltui.tui.format import one_line

#: Lines drawn per model: name and category, then the endpoint id.
LINES_PER_MODEL = 2
#: Longest name, id or category shown on one line (the rest is cut with …).
NAME_LIMIT = 200
#: Models whose lines are kept (several screens of several rankings).
LINE_CACHE_SIZE = 2048

LineKey = tuple[str, bool, tuple[bool, bool] | None, int, int]


def model_name(model: ModelInfo) -> str:
    """The model's display name on one line (its endpoint id when it has none)."""
    return one_line(model.display_name, NAME_LIMIT) or one_line(model.endpoint_id, NAME_LIMIT)


class _RowMessage(Message):
    """About the model on row ``index`` of a ``ModelList``."""

    def __init__(self, model_list: ModelList, index: int) -> None:
        super().__init__()
        self.model_list = model_list
        self.index = index

    @property
    def control(self) -> ModelList:
        return self.model_list


class ModelList(ScrollView, can_focus=True):
    """Models, two lines each, with a cursor (``highlighted``) and vi-style movement."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Choose", id="browser.choose"),
        Binding("j", "cursor_down", "Down", show=False, id="browser.down"),
        Binding("k", "cursor_up", "Up", show=False, id="browser.up"),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "model-list--cursor",
        "model-list--cursor-blurred",
    }

    DEFAULT_CSS = """
    ModelList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        padding: 0 1;
        & > .model-list--cursor-blurred {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .model-list--cursor {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    #: The row under the cursor (None: no models).
    highlighted: reactive[int | None] = reactive(None, init=False)

    class Highlighted(_RowMessage):
        """The cursor moved to another model."""

    class Selected(_RowMessage):
        """The user chose the model under the cursor (enter or a click)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._models: list[ModelInfo] = []
        self._is_favourite: Callable[[str], bool] = lambda _eid: False
        self._lines: LRUCache[LineKey, tuple[Strip, Strip]] = LRUCache(LINE_CACHE_SIZE)
        self._generation = 0
        self._styles: dict[str, Style] | None = None
        #: Models whose lines were built (line cache misses) since mount, for tests and benches.
        self.lines_built = 0

    # -- contents --------------------------------------------------------------------------

    @property
    def models(self) -> Sequence[ModelInfo]:
        """The models listed, in order."""
        return self._models

    def set_models(
        self,
        models: Sequence[ModelInfo],
        is_favourite: Callable[[str], bool],
        highlighted: int | None,
    ) -> None:
        """List ``models`` (``is_favourite`` marks them), the cursor on row ``highlighted``."""
        self._models = list(models)
        self._is_favourite = is_favourite
        self._sync_size()
        self.refresh()
        self.scroll_to(y=0, animate=False, force=True, immediate=True)
        if highlighted is not None and not 0 <= highlighted < len(self._models):
            highlighted = None
        if highlighted is None and self._models:
            highlighted = 0
        previous = self.highlighted
        self.highlighted = highlighted
        if highlighted is not None and highlighted == previous:
            self.post_message(self.Highlighted(self, highlighted))  # another model there now
        self._scroll_to_cursor()

    def line_text(self, row: int) -> str:
        """Both lines of row ``row`` as plain text (what the row shows, for tests)."""
        first, second = self._texts(self._models[row])
        return f"{first.plain}\n{second.plain}"

    def _sync_size(self) -> None:
        width = max(1, self.scrollable_content_region.width)
        self.virtual_size = Size(width, len(self._models) * LINES_PER_MODEL)

    # -- the cursor ------------------------------------------------------------------------

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or not self._models:
            return None
        return max(0, min(value, len(self._models) - 1))

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        for row in (old, new):
            if row is not None:
                self._refresh_model(row)
        if new is not None:
            self._scroll_to_cursor()
            self.post_message(self.Highlighted(self, new))

    @property
    def page_models(self) -> int:
        """How many models fit on screen."""
        return max(1, self.scrollable_content_region.height // LINES_PER_MODEL)

    def action_cursor_down(self) -> None:
        """Move the cursor one model down."""
        self._move(1)

    def action_cursor_up(self) -> None:
        """Move the cursor one model up."""
        self._move(-1)

    def action_page_down(self) -> None:
        """Move the cursor a screen down."""
        self._move(self.page_models)

    def action_page_up(self) -> None:
        """Move the cursor a screen up."""
        self._move(-self.page_models)

    def action_first(self) -> None:
        """Move the cursor to the first model."""
        if self._models:
            self.highlighted = 0

    def action_last(self) -> None:
        """Move the cursor to the last model."""
        if self._models:
            self.highlighted = len(self._models) - 1

    def action_select(self) -> None:
        """Choose the model under the cursor."""
        if self.highlighted is not None:
            self.post_message(self.Selected(self, self.highlighted))

    def _move(self, step: int) -> None:
        if not self._models:
            return
        self.highlighted = 0 if self.highlighted is None else self.highlighted + step

    def _scroll_to_cursor(self) -> None:
        row = self.highlighted
        if row is None:
            return
        top = self.scroll_offset.y
        first = row * LINES_PER_MODEL
        height = max(LINES_PER_MODEL, self.scrollable_content_region.height)
        if first < top:
            self.scroll_to(y=first, animate=False, force=True, immediate=True)
        elif first + LINES_PER_MODEL > top + height:
            y = first + LINES_PER_MODEL - height
            self.scroll_to(y=y, animate=False, force=True, immediate=True)

    # -- repainting ------------------------------------------------------------------------

    def _refresh_model(self, row: int) -> None:
        y = row * LINES_PER_MODEL - self.scroll_offset.y
        if -LINES_PER_MODEL < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, LINES_PER_MODEL))

    def on_resize(self, _event: events.Resize) -> None:
        self._sync_size()
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        self._refresh_cursor()

    def on_blur(self) -> None:
        self._refresh_cursor()

    def _refresh_cursor(self) -> None:
        if self.highlighted is not None:
            self._refresh_model(self.highlighted)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._generation += 1
        self._lines.clear()
        self.refresh()

    # -- mouse -----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        event.stop()
        row = (self.scroll_offset.y + event.y) // LINES_PER_MODEL
        if 0 <= row < len(self._models):
            self.highlighted = row
            self.action_select()

    # -- drawing ---------------------------------------------------------------------------

    def _style_table(self) -> dict[str, Style]:
        if self._styles is None:
            self._styles = {
                "base": self.rich_style,
                "cursor": self.get_component_rich_style("model-list--cursor"),
                "cursor-blurred": self.get_component_rich_style("model-list--cursor-blurred"),
            }
        return self._styles

    def render_line(self, y: int) -> Strip:
        width = max(1, self.scrollable_content_region.width)
        line = self.scroll_offset.y + y
        row, part = divmod(line, LINES_PER_MODEL)
        styles = self._style_table()
        if not 0 <= row < len(self._models):
            return Strip.blank(width, styles["base"])
        model = self._models[row]
        favourite = self._is_favourite(model.endpoint_id)
        cursor = (True, self.has_focus) if row == self.highlighted else None
        key: LineKey = (model.endpoint_id, favourite, cursor, width, self._generation)
        lines = self._lines.get(key)
        if lines is None:
            self.lines_built += 1
            style = styles["base"]
            if cursor is not None:
                style += styles["cursor" if self.has_focus else "cursor-blurred"]
            first, second = self._texts(model, favourite)
            lines = (self._strip(first, width, style), self._strip(second, width, style))
            self._lines[key] = lines
        return lines[part]

    def _texts(self, model: ModelInfo, favourite: bool | None = None) -> tuple[Text, Text]:
        if favourite is None:
            favourite = self._is_favourite(model.endpoint_id)
        first = Text(no_wrap=True, overflow="ellipsis", end="")
        first.append("★ " if favourite else "  ", style="bold yellow")
        first.append(model_name(model), style="bold")
        if model.category:
            first.append("  ")
            first.append(one_line(model.category, NAME_LIMIT), style="italic dim")
        second = Text(no_wrap=True, overflow="ellipsis", end="")
        second.append("  ")
        second.append(one_line(model.endpoint_id, NAME_LIMIT), style="dim")
        return first, second

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text.style = style
        text.truncate(width, overflow="ellipsis", pad=True)
        return Strip(list(text.render(self.app.console))).adjust_cell_length(width, style)
