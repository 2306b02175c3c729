"""Text editors that never hand the terminal a control character of the text they hold.

Textual's ``Input`` and ``TextArea`` draw their value as it is: a schema default, a draft or
a forked job's input holding ``ESC [ 2 J`` would clear the screen, OSC 52 would write the
clipboard. The value itself must stay exactly what it is (what the user typed, or accepted,
is what is sent), so only the drawing changes: every control, DEL, C1, bidi and separator
character is *shown* as one visible character (``format.editor_display``), one for one, so
cursor positions, selections and clicks still map onto the real text.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text
from textual.expand_tabs import expand_tabs_inline
from textual.widgets import Input, TextArea

from faltui.tui.format import editor_display


class SafeInput(Input):
    """An ``Input`` whose value is drawn through ``editor_display`` (the value is unchanged)."""

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(editor_display(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text

    def _position_to_cell(self, position: int) -> int:
        # Measured on what is drawn: a control character is zero cells wide, its picture one.
        return cell_len(expand_tabs_inline(editor_display(self.value[:position]), 4))

    def _cell_offset_to_index(self, offset: int) -> int:
        cell_offset = 0
        scroll_x, _ = self.scroll_offset
        offset += scroll_x
        shown = editor_display(self.value)
        for index, char in enumerate(shown):
            cell_width = get_character_cell_size(char)
            if cell_offset <= offset < cell_offset + cell_width:
                return index
            cell_offset += cell_width
        return max(0, min(offset, len(shown)))


class SafeTextArea(TextArea):
    """A ``TextArea`` whose lines are drawn through ``editor_display`` (the text is unchanged).

    A line holding control characters draws one cell wider per character than TextArea
    measures it (it counts them as zero cells), so the cursor on such a line can sit that
    many cells left of where it is drawn; nothing else is affected.
    """

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self._remember(text)

    def _remember(self, text: str) -> None:
        self._loaded = text
        self._loaded_as = self.document.text

    def load_text(self, text: str) -> None:
        """Load ``text``; ``value`` gives it back exactly until it is edited."""
        super().load_text(text)
        self._remember(text)

    @property
    def value(self) -> str:
        """The text held: exactly what was loaded while it is unedited, else what is shown.

        TextArea breaks lines wherever ``str.splitlines`` does (``\x0b``, ``\x0c``,
        ``\x1c``–``\x1e``, ``\x85``, ``\u2028``, ``\u2029``) and gives them back as
        ``\n``: a schema default or a forked input holding one would otherwise be changed
        without anyone typing.
        """
        current = self.document.text
        return self._loaded if current == self._loaded_as else current

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        shown = editor_display(line.plain)
        if shown == line.plain:
            return line
        # Same length, one character for one: spans (highlights) still fit.
        safe = line.copy()
        safe.plain = shown
        return safe


__all__ = ["SafeInput", "SafeTextArea"]
