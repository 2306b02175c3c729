"""A small yes/no question (e.g. a submit that would pass the budget)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask ``question`` with ``details`` under it; dismisses True (``y``) or False.

    ``enter`` does not answer yes: an enter meant for the dialog before (the ×N count) must
    not confirm spending past a budget."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 80; max-width: 95%; height: auto; border: thick $warning;
        background: $surface; padding: 0 1; }
    ConfirmScreen #confirm-question { text-style: bold; height: auto; }
    ConfirmScreen #confirm-details { height: auto; margin: 1 0; }
    ConfirmScreen #confirm-keys { height: 1; color: $text-muted; }
    """

    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, question: str, details: str, yes: str = "submit") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.details = details
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), id="confirm-question")
            yield Static(Text(self.details), id="confirm-details")
            yield Static(Text(f"y {self.yes} · n / escape cancel"), id="confirm-keys")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = self.title_text

    @property
    def text(self) -> str:
        """Everything the dialog says, as plain text (for tests)."""
        return f"{self.question}\n{self.details}"

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


__all__ = ["ConfirmScreen"]
