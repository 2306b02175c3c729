"""A snapshot of a hostile screen: the detail of a job whose every string is hostile.

Markup shows as brackets, escapes as control pictures (``␛``), C1 and bidi characters as
``\\uXXXX``, the 10,000-character line cut. A regression (markup parsed, a character dropped
or passed raw) changes the SVG. Times are shown in UTC here so the SVG is the same anywhere.
Regenerate after an intended change with ``pytest tests/tui/test_snapshots_hostile.py
--snapshot-update`` and look at the SVG before committing it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hostile_tui import hostile_jobs
from textual.app import App

from faltui.core.config import Paths, Settings
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.themes import DEFAULT_THEME, JOB_STATE_VARIABLES, builtin_themes

SIZE = (120, 48)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


class DetailHost(App[None]):
    """The faltui theme and the detail screen of one hostile job."""

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job = next(j for j in hostile_jobs("http://127.0.0.1:1") if j.id == job_id)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(JOB_STATE_VARIABLES)

    def on_mount(self) -> None:
        for theme in builtin_themes().themes:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME
        settings = Settings(paths=Paths.discover({"FALTUI_HOME": "/nonexistent"}))
        self.push_screen(JobDetailScreen(self.job, settings))


def test_detail_of_a_hostile_failed_job(snap_compare) -> None:
    assert snap_compare(DetailHost("hostile-failed"), terminal_size=SIZE)
