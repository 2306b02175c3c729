"""Asked on quit while jobs are still in flight: leave them on fal, cancel them, wait, or stay."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class QuitChoice(StrEnum):
    """What to do with the jobs still in flight."""

    leave = "leave"  # quit; fal keeps running them, the journal resumes them next time
    cancel = "cancel"  # ask fal to cancel them, then quit
    wait = "wait"  # quit once every job has finished
    stay = "stay"  # do not quit


class QuitScreen(ModalScreen[QuitChoice]):
    """A small dialog: ``enter``/``l`` leave them running, ``c`` cancel, ``w`` wait, ``esc``."""

    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical { width: 64; height: auto; border: thick $warning;
        background: $surface; padding: 0 1; }
    QuitScreen #quit-keys { color: $text-muted; margin-top: 1; }
    """

    BINDINGS: ClassVar = [
        Binding("enter,l", "choose('leave')", "Leave running", id="quit.leave"),
        Binding("c", "choose('cancel')", "Cancel them", id="quit.cancel"),
        Binding("w", "choose('wait')", "Wait", id="quit.wait"),
        Binding("escape", "choose('stay')", "Stay", id="quit.stay"),
    ]

    def __init__(self, in_flight: int) -> None:
        super().__init__()
        self.in_flight = in_flight

    def compose(self) -> ComposeResult:
        jobs = f"{self.in_flight} job{'s are' if self.in_flight != 1 else ' is'}"
        with Vertical():
            yield Static(Text(f"{jobs} still running.", style="bold"))
            yield Static(
                Text(
                    "They are journaled: fal keeps running them after you quit, and faltui "
                    "picks them up again the next time it starts."
                )
            )
            yield Static(
                Text(
                    "enter/l  quit, leave them running on fal\n"
                    "c        cancel them on fal, then quit\n"
                    "w        wait until they finish, then quit\n"
                    "esc      stay"
                ),
                id="quit-keys",
            )

    def action_choose(self, choice: str) -> None:
        """Close with the user's choice."""
        self.dismiss(QuitChoice(choice))
