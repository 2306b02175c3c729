"""A small modal asking how many times to submit (``submit ×N``)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from faltui.core.schema.input import read_integer
from faltui.tui.format import literal
from faltui.tui.widgets.safe_editors import SafeInput

MAX_COUNT = 500


class CountScreen(ModalScreen[int | None]):
    """Ask for a count between 1 and ``MAX_COUNT``; dismisses with the number or ``None``."""

    DEFAULT_CSS = """
    CountScreen { align: center middle; }
    CountScreen > Vertical { width: 50; height: auto; border: thick $primary; background: $surface;
        padding: 0 1; }
    CountScreen #count-error { color: $error; height: auto; }
    CountScreen #count-cost { color: $text-muted; height: auto; }
    CountScreen #count-keys { color: $text-muted; height: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="count.cancel")]

    def __init__(self, default: int = 4, cost: Callable[[int], str | None] | None = None) -> None:
        super().__init__()
        self.default = default
        self.cost = cost

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Submit how many times? (seeds vary when the model has a seed)")
            # No restrict: "2.5" must not silently become 25 jobs.
            yield SafeInput(str(self.default), id="count-input")
            yield Static("", id="count-error")
            yield Static("", id="count-cost")
            yield Static("enter submit · escape cancel", id="count-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._show_cost(self.default)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        count = self._count(event.value)
        self._show_cost(count)
        problem = None if count is not None or not event.value.strip() else self._problem()
        self.query_one("#count-error", Static).update(problem or "")

    @staticmethod
    def _count(text: str) -> int | None:
        """The typed count, read like any integer field (``1e2`` is 100), if in range."""
        try:
            count = read_integer(text)
        except ValueError:
            return None
        return count if 1 <= count <= MAX_COUNT else None

    @staticmethod
    def _problem() -> str:
        return f"Enter a whole number from 1 to {MAX_COUNT}."

    def _show_cost(self, count: int | None) -> None:
        text = self.cost(count) if self.cost is not None and count and count > 0 else None
        # The estimate quotes fal's price unit: literal text.
        self.query_one("#count-cost", Static).update(Text(literal(text or "")))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        count = self._count(event.value)
        if count is None:
            self.query_one("#count-error", Static).update(self._problem())
            return
        self.dismiss(count)

    def action_cancel(self) -> None:
        self.dismiss(None)
