"""Shared fixtures: a running local fal emulator and Settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faltui.core.config import Settings
from faltui.emulator import Emulator

#: Time scale used by the fixtures: a job finishes in roughly 0.1–0.3 s.
TEST_TIME_SCALE = 0.02


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[Emulator]:
    """One emulator serving the whole session; tests get it through ``emulator`` (reset)."""
    emu = Emulator(time_scale=TEST_TIME_SCALE)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emulator(session_emulator: Emulator) -> Emulator:
    """The session's emulator, reset: no jobs, files, counters, chaos or changed settings.

    A test may change anything on it (chaos, scripted outcomes, time scale, ticks); the next
    test starts from a new emulator's state. A test that stops its emulator takes
    ``own_emulator`` instead.
    """
    if session_emulator.closing:  # stopped by a test despite the rule above: serve again
        session_emulator.start()
    session_emulator.reset()
    return session_emulator


@pytest.fixture
def own_emulator() -> Iterator[Emulator]:
    """A started emulator of the test's own (for tests that stop it), stopped afterwards."""
    with Emulator(time_scale=TEST_TIME_SCALE) as emu:
        yield emu


@pytest.fixture
def emu_settings(emulator: Emulator, tmp_path: Path) -> Settings:
    """Settings for ``emulator`` with every faltui path under ``tmp_path``."""
    return emulator.settings(tmp_path)
