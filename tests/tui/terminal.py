"""What the app really writes to a terminal, recorded and replayed on a tiny screen.

``run_recorded(app, size)`` runs an app like ``App.run_test`` but with ``RecordingDriver``: a
headless driver that says it is not headless, so Textual renders every frame into terminal
bytes exactly as it would for a real terminal, and keeps them. ``Screen`` replays those bytes
(cursor moves and text; colours ignored) into rows of cells: what a person would see.

``unexpected_output`` is the oracle: every escape sequence Textual itself writes has a known
shape (SGR colours, absolute cursor moves, private modes, pointer shapes); anything else — an
ESC left over, a C0/C1 control, DEL, a bidi or separator character, a lone surrogate — is
text from somewhere that reached the terminal raw.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from hostile import unsafe_chars
from rich.cells import get_character_cell_size
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.geometry import Region
from textual.pilot import Pilot

#: The sequences Textual writes itself: SGR, an absolute cursor move (always both numbers),
#: private modes (``?25l``, ``?2026h``) and OSC 22 pointer shapes.
OWN_SEQUENCE = re.compile(
    r"\x1b\[[0-9;]*m"
    r"|\x1b\[(?P<row>\d+);(?P<col>\d+)H"
    r"|\x1b\[\?\d+[hl]"
    r"|\x1b\]22;[a-z-]*\x07"
)
BELL = "\x07"


class RecordingDriver(HeadlessDriver):
    """A headless driver that keeps every string Textual writes (and renders as for a tty)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written: list[str] = []
        self.bells = 0
        #: The replayed screen and how many writes it (and the safety check) has seen.
        self.screen: Screen | None = None
        self.fed = 0
        self.checked = 0
        self.problems: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False  # so that App._display renders frames and writes them here

    def write(self, data: str) -> None:
        if data == BELL:  # App.bell(): Textual's own, not text
            self.bells += 1
            return
        self.written.append(data)

    def flush(self) -> None:
        pass


def recorder(app: App[Any]) -> RecordingDriver:
    """The app's recording driver."""
    driver = app._driver
    assert isinstance(driver, RecordingDriver), "run the app with run_recorded()"
    return driver


def output(app: App[Any]) -> str:
    """Everything written to the terminal so far."""
    return "".join(recorder(app).written)


def unexpected_output(data: str) -> list[str]:
    """What in ``data`` is not Textual's own escapes nor safe text: [] when all is well."""
    rest = OWN_SEQUENCE.sub("", data)
    problems = [hex(ord(c)) for c in unsafe_chars(rest)]
    if "\x1b" in rest:
        index = rest.index("\x1b")
        problems.append(f"ESC at {index}: {rest[index : index + 20]!r}")
    if "\t" in rest:
        problems.append("a raw tab")
    return problems


def assert_output_safe(app: App[Any], where: str = "terminal") -> None:
    """Nothing but Textual's own sequences and safe text has reached the terminal.

    Checked write by write (each is one whole frame update, so no sequence is split), each
    write once.
    """
    driver = recorder(app)
    while driver.checked < len(driver.written):
        driver.problems.extend(unexpected_output(driver.written[driver.checked]))
        driver.checked += 1
    assert not driver.problems, f"{where}: {sorted(set(driver.problems))[:10]}"


class Screen:
    """A terminal screen fed with the recorded bytes: rows of cells (colours dropped)."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.cells = [[" "] * width for _ in range(height)]
        self.x = 0
        self.y = 0

    def feed(self, data: str) -> None:
        """Apply written data: cursor moves and text (newline: next row, first column)."""
        position = 0
        for match in OWN_SEQUENCE.finditer(data):
            self._text(data[position : match.start()])
            if match.group("row"):
                self.y = int(match.group("row")) - 1
                self.x = int(match.group("col")) - 1
            position = match.end()
        self._text(data[position:])

    def _text(self, text: str) -> None:
        for char in text:
            if char == "\n":
                self.y += 1
                self.x = 0
                continue
            width = get_character_cell_size(char)
            if 0 <= self.y < self.height and 0 <= self.x < self.width:
                self.cells[self.y][self.x] = char
                if width == 2 and self.x + 1 < self.width:
                    self.cells[self.y][self.x + 1] = ""
            self.x += max(width, 0)

    @property
    def lines(self) -> list[str]:
        """The rows as text."""
        return ["".join(row) for row in self.cells]

    @property
    def text(self) -> str:
        """The whole screen, one row a line."""
        return "\n".join(self.lines)

    def find(self, needle: str, region: Region | None = None) -> tuple[int, int] | None:
        """Screen coordinates (x, y) of the first cell of ``needle`` (inside ``region`` when
        given), or None."""
        left, top, right, bottom = (
            (0, 0, self.width, self.height)
            if region is None
            else (region.x, region.y, region.right, region.bottom)
        )
        for y in range(max(0, top), min(bottom, self.height)):
            row = self.cells[y][left:right]
            line = "".join(cell or "\0" for cell in row)  # keep wide characters' columns
            x = line.find(needle)
            if x >= 0:
                return left + x, y
        return None


def screen_of(app: App[Any]) -> Screen:
    """The terminal screen as everything written so far leaves it (replayed incrementally)."""
    driver = recorder(app)
    if driver.screen is None:
        width, height = app.size
        driver.screen = Screen(width, height)
    while driver.fed < len(driver.written):
        driver.screen.feed(driver.written[driver.fed])
        driver.fed += 1
    return driver.screen


@asynccontextmanager
async def run_recorded(
    app: App[Any], size: tuple[int, int] = (160, 48)
) -> AsyncIterator[Pilot[Any]]:
    """``app.run_test`` with notifications and tooltips on, recording the terminal output."""
    app.driver_class = RecordingDriver
    async with app.run_test(headless=False, size=size, notifications=True, tooltips=True) as pilot:
        yield pilot
