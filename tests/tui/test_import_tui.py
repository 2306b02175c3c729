"""The library in the TUI: the palette's "Import from fal request history" brings in jobs run
by another client (another machine's faltui, with its own journal) against the same emulator;
they appear in the job list, marked as imported, and can be re-run and sent on."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from waits import palette_highlight, until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.emulator import Emulator
from faltui.services import build_services
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.results import ResultsPane

FLUX = "fal-ai/flux/dev"


@pytest.fixture(autouse=True)
def no_previews(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


async def test_imported_jobs_join_the_list_and_can_be_rerun(
    emu_settings: Settings, emulator: Emulator, tmp_path: Path
) -> None:
    elsewhere = build_services(emulator.settings(tmp_path / "other-machine"))
    try:
        theirs = await elsewhere.jobs.submit(FLUX, {"prompt": "made elsewhere", "seed": 7})
        await elsewhere.jobs.wait_all()
        assert theirs.state is JobState.done
    finally:
        await elsewhere.aclose()
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        app.main.open_model(FLUX)  # the model whose history is imported
        await until(lambda: app.main.current_schema is not None)
        table = app.query_one(JobTable)
        assert table.shown_ids == []
        await pilot.press("ctrl+p")
        await pilot.press(*"import from fal")
        await until(lambda: "Import from fal request history" in palette_highlight(app))
        await pilot.press("enter")
        await until(lambda: len(table.shown_ids) == 1, what="the imported job in the list")
        (job_id,) = table.shown_ids
        job = app.services.jobs.get(job_id)
        assert job is not None and job.origin == "history"
        assert job.request_id == theirs.request_id and job.input["prompt"] == "made elsewhere"
        assert job.state is JobState.done and job.result == theirs.result
        await app.workers.wait_for_complete()
        # Importing again brings in nothing twice.
        app.main.import_history()
        await app.workers.wait_for_complete()
        assert len(table.shown_ids) == 1
        table.select_job(job_id)
        table.job_list.focus()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        text = str(app.screen.query_one("#detail-text", Static).render())
        assert "imported from fal's request history" in text
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, JobDetailScreen))
        table.job_list.focus()
        await pilot.press("r")  # re-run it here
        await until(lambda: len(app.services.jobs.jobs()) == 2, what="the re-run")
        rerun = next(j for j in app.services.jobs.jobs() if j.id != job_id)
        await until(lambda: rerun.final)
        assert rerun.state is JobState.done and rerun.input == job.input
