"""The jobs and results panes inside the real app, against the emulator over loopback HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from waits import until

from faltui.core.config import Settings
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.widgets.job_table import JobGrid, JobTable
from faltui.tui.widgets.results import OutputList, ResultsPane


@pytest.fixture(autouse=True)
def no_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)


async def test_submitted_jobs_flow_into_table_results_and_detail(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        assert app.services.jobs is not None
        payload = {
            "prompt": "a tiny red square",
            "image_size": {"width": 64, "height": 48},
            "output_format": "png",
        }
        jobs = [
            await app.services.jobs.submit("fal-ai/flux/dev", {**payload, "seed": s})
            for s in (1, 2)
        ]
        table = app.query_one(JobTable)
        await until(lambda: all(j.final for j in jobs))
        await until(lambda: all(table.grid.get_cell(j.id, "state").plain == "done" for j in jobs))
        assert table.shown_ids == [j.id for j in jobs]
        table.grid.focus()
        await pilot.press("k", "j")
        await pilot.pause()
        results = app.query_one(ResultsPane)
        await until(lambda: results.job is not None and results.job.id == jobs[1].id)
        await until(lambda: app.query_one(OutputList).option_count >= 1)
        item = results.selected_item
        assert item is not None and item.kind == "image" and item.width == 64
        results.query_one(OutputList).focus()
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = list(Path(emu_settings.paths.download_dir).glob("*.png"))
        assert len(saved) == 1 and saved[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "saved" in str(results.query_one("#results-text", Static).render())
        table.grid.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, JobDetailScreen)
        assert app.screen.job.id == jobs[1].id
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, JobDetailScreen)
        assert isinstance(app.focused, JobGrid)
