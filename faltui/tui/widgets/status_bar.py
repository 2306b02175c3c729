"""The one-line status bar: mode (demo or live), key source (masked), current model, job counts.

The model id, its price and busy notes can carry text we did not write: every part is
appended to a ``Text`` through the one sanitiser (``one_line``), never as markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from rich.text import Text
from textual.widgets import Static

from faltui.core.config import Settings, mask_key
from faltui.tui.format import one_line

#: Longest model id, price or busy note shown (the line is one row; the rest is cut).
PART_LIMIT = 120

#: Display order and labels of job states in the counts.
STATE_LABELS = (
    ("pending", "pending"),
    ("queued", "queued"),
    ("running", "running"),
    ("done", "done"),
    ("failed", "failed"),
    ("cancelled", "cancelled"),
    ("lost", "lost"),
    ("unknown", "unknown"),
)


def describe_connection(settings: Settings, *, compact: bool = False) -> Text:
    """``DEMO · emulator at …`` or ``fal.ai · key fal_…ab (FAL_KEY)`` or the no-key hint.

    ``compact`` leaves out the emulator's address and where the key came from.
    """
    text = Text()
    if settings.demo:
        text.append(" DEMO ", style="bold reverse")
        if not compact:
            text.append(f" emulator {one_line(settings.urls.get('queue', ''), PART_LIMIT)}")
    else:
        queue = settings.urls.get("queue", "")
        text.append(
            "fal.ai" if "queue.fal.run" in queue else one_line(queue, PART_LIMIT), style="bold"
        )
    text.append(" │ ", style="dim")
    if settings.key:
        text.append(f"key {mask_key(settings.key)}")
        if settings.key_source and not compact:
            text.append(f" ({one_line(settings.key_source, PART_LIMIT)})", style="dim")
    else:
        text.append("no key: set FAL_KEY or run faltui --demo", style="bold")
    return text


class StatusBar(Static):
    """A single line at the top of the main screen."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, settings: Settings, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._connections = (
            describe_connection(settings),
            describe_connection(settings, compact=True),
        )
        self._model: str | None = None
        self._counts: Counter[str] = Counter()
        self._busy: str | None = None
        self._shown: Text | None = None
        self._price: str | None = None
        self._spend: str | None = None

    def on_mount(self) -> None:
        self._render_line()

    def set_model(self, endpoint_id: str | None) -> None:
        """Show the chosen model."""
        self._model = endpoint_id
        self._render_line()

    def set_price(self, price: str | None) -> None:
        """Show the chosen model's unit price (``None`` hides it)."""
        self._price = price
        self._render_line()

    def set_spend(self, spend: str | None) -> None:
        """Show today's and the session's spend (``today 0.1 USD · session 0.05 USD``)."""
        if spend == self._spend:
            return
        self._spend = spend
        self._render_line()

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """Show job counts by state (state value → count)."""
        self._counts = Counter(counts)
        self._render_line()

    def set_busy(self, message: str | None) -> None:
        """Show a short note about work in progress (e.g. the live catalog loading)."""
        if message == self._busy:
            return  # progress callbacks repeat themselves; a redraw each time is wasted
        self._busy = message
        self._render_line()

    @property
    def plain(self) -> str:
        """The status line as plain text (for tests and logs)."""
        return self._line().plain

    def on_resize(self) -> None:
        self._render_line()

    def _line(self) -> Text:
        """The fullest line that fits: on a narrow terminal the emulator's address and the
        key's source go first, then the price, then the model, then the spend; the job
        counts stay."""
        room = self.content_region.width or 10_000
        full, compact = self._connections
        variants = (
            (full, True, True, True),
            (compact, True, True, True),
            (compact, True, False, True),
            (compact, False, False, True),
            (compact, False, False, False),
        )
        for connection, model, price, spend in variants:
            line = self._assemble(connection, model, price, spend)
            if line.cell_len <= room:
                return line
        return line

    def _assemble(self, connection: Text, model: bool, price: bool, spend: bool = True) -> Text:
        text = Text("faltui ", style="bold")
        text.append_text(connection)
        if self._model and model:
            text.append(" │ ", style="dim")
            text.append(one_line(self._model, PART_LIMIT))
            if self._price and price:
                text.append(f" ({one_line(self._price, PART_LIMIT)})", style="dim")
        total = sum(self._counts.values())
        if total:
            text.append(" │ ", style="dim")
            text.append("jobs ")
            parts = [
                (s, f"{self._counts[s]} {label}") for s, label in STATE_LABELS if self._counts[s]
            ]
            for index, (state, part) in enumerate(parts):
                if index:
                    text.append(" · ")
                # Outcome unknown needs the user's eye (it may have run; R reconciles it).
                text.append(part, style="bold" if state == "unknown" else "")
        if self._spend and spend:
            text.append(" │ ", style="dim")
            text.append(f"spent {self._spend}")
        if self._busy:
            text.append(" │ ", style="dim")
            text.append(one_line(self._busy, PART_LIMIT), style="italic")
        return text

    def _render_line(self) -> None:
        # The bar is one line of fixed size whatever it says, so a new text needs a repaint of
        # this line only, never a layout pass (which re-renders the whole screen); the counts
        # change up to 10 times a second while jobs run.
        line = self._line()
        if line == self._shown:
            return
        self._shown = line
        self.update(line, layout=False)
