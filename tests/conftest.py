"""Shared fixtures: a running local fal emulator and Settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faltui.core.config import Settings
from faltui.emulator import Emulator

#: Time scale used by the fixtures: a job finishes in roughly 0.1–0.3 s.
TEST_TIME_SCALE = 0.02


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator (function scope, fresh state), stopped afterwards."""
    emu = Emulator(time_scale=TEST_TIME_SCALE)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu_settings(emulator: Emulator, tmp_path: Path) -> Settings:
    """Settings for ``emulator`` with every faltui path under ``tmp_path``."""
    return emulator.settings(tmp_path)


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[Emulator]:
    """One emulator for a whole session (shared state: do not script chaos on it)."""
    emu = Emulator(time_scale=TEST_TIME_SCALE)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
