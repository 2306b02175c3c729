"""Waiting in TUI tests: on conditions, never for a fixed time.

The time limits here only turn a condition that never comes into a clear failure; they are
generous because the machines that run the tests are shared and slow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

#: How long a single condition may take before the test fails.
PATIENCE = 30.0


class Budget:
    """One time limit shared by several waits, so together they stay under the test timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left (0 once spent)."""
        return max(0.0, self.end - time.monotonic())


async def until(
    predicate: Callable[[], bool],
    timeout: float | Budget = PATIENCE,
    what: str = "condition",
) -> None:
    """Return once ``predicate()`` is true; fail after ``timeout`` seconds (or a budget's end)."""
    limit = timeout.left() if isinstance(timeout, Budget) else timeout
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {limit:.0f} s")
        await asyncio.sleep(0.02)


def palette_highlight(app: App[object]) -> str:
    """The text of the command highlighted in the open command palette ('' if none)."""
    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return ""
    commands = screen.query_one(CommandList)
    index = commands.highlighted
    if index is None or index >= commands.option_count:
        return ""
    return str(commands.get_option_at_index(index).prompt)


async def search_palette(pilot: Pilot[object], text: str, expect: str | None = None) -> None:
    """Type ``text`` into the open palette; wait until the highlighted command shows ``expect``.

    The palette gathers its matches in a worker and shows them in batches, so pressing enter
    right after typing could run whatever was highlighted before.
    """
    await pilot.press(*text)
    wanted = (expect if expect is not None else text).lower()
    await until(
        lambda: wanted in palette_highlight(pilot.app).lower(),
        what=f"palette command {wanted!r} highlighted",
    )
