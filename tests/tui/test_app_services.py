"""The TUI makes every service at start (they are made on first use), so what could not be set
up — a repaired journal, a wrong [budget] — is reported when the app starts."""

from __future__ import annotations

import os
from pathlib import Path

from faltui.core.config import Paths, Settings
from faltui.services import MEMBERS
from faltui.tui.app import FaltuiApp


async def test_start_up_problems_of_the_services_are_reported(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "config", tmp_path / "cache", tmp_path / "data", tmp_path / "dl")
    settings = Settings(paths=paths, raw={"budget": {"per_session": -1}})
    paths.journal_file.parent.mkdir(parents=True)
    paths.journal_file.write_bytes(os.urandom(4096))  # not a database: repaired on opening
    app = FaltuiApp(settings)
    assert all(app.services.made(member) for member in MEMBERS)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        journal = [p for p in app.problems if "was unusable" in p and "moved aside" in p]
        budget = [p for p in app.problems if "(no budget is applied)" in p]
        assert len(journal) == 1 and len(budget) == 1
    assert app.services.client.http.is_closed  # closed with the app
