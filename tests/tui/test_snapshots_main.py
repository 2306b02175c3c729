"""Snapshot of the main screen: bundled catalog, no key, no network, fixed size.

Regenerate after an intended change with ``pytest tests/tui/test_snapshots_main.py
--snapshot-update`` and look at the SVG before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faltui.core.config import Paths, Settings
from faltui.tui.app import FaltuiApp

pytest.importorskip("faltui.core.catalog", reason="needs the bundled catalog")


def make_app(home: Path) -> FaltuiApp:
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return FaltuiApp(Settings(key=None, paths=paths))


async def steady(pilot) -> None:
    """No blinking cursors: a snapshot must not depend on when it was taken."""
    for widget in pilot.app.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def test_main_screen_wide(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=(160, 40), run_before=steady)


def test_main_screen_search_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(
        make_app(tmp_path), terminal_size=(80, 24), press=[*"flux"], run_before=steady
    )
