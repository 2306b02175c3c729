"""A field's description under its control: at most two lines, cut at a word with "…", and in
full while the field has the focus (the description of the field being edited is never cut).
"""

from __future__ import annotations

import textwrap
from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

#: Lines a description takes while its field is not focused.
CLAMP_LINES = 2
ELLIPSIS = "…"


def clamp_lines(text: str, width: int, lines: int = CLAMP_LINES) -> list[str]:
    """``text`` wrapped to ``width``; past ``lines`` lines the last kept line ends, after a
    whole word, with "…" (a word longer than the width is broken, as it has to be)."""
    width = max(2, width)
    wrapped = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[:lines]
    last = kept[-1]
    while len(last) + len(ELLIPSIS) > width and " " in last:
        last = last.rsplit(" ", 1)[0]  # drop the last word to make room
    last = last[: width - len(ELLIPSIS)].rstrip(" ,;:.—-")
    kept[-1] = last + ELLIPSIS
    return kept


class HelpLine(Widget):
    """A description, clamped to ``CLAMP_LINES`` unless ``full`` (its field is focused)."""

    DEFAULT_CSS = """
    HelpLine { height: auto; color: $text-muted; }
    """

    lines: ClassVar[int] = CLAMP_LINES

    def __init__(self, text: str, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.text = text
        self.full = False

    def show_full(self, full: bool) -> None:
        """Show the whole description (the field has the focus), or the clamped one."""
        if full != self.full:
            self.full = full
            self.refresh(layout=True)

    def _lines(self, width: int) -> list[str]:
        if self.full:
            return textwrap.wrap(self.text, max(2, width), break_on_hyphens=False) or [""]
        return clamp_lines(self.text, width, self.lines)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n".join(self._lines(self.content_size.width)), end="")


__all__ = ["CLAMP_LINES", "HelpLine", "clamp_lines"]
