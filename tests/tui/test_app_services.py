"""The TUI makes every service once its first frame is drawn (they are made on first use), so
what could not be set up — a repaired journal, a wrong [budget] — is reported when the app
starts. The fal client is the exception: it is made when the app first talks to fal, and jobs
an earlier session left unfinished are still resumed then."""

from __future__ import annotations

import os
from pathlib import Path

from waits import until

from faltui.core.config import Paths, Settings
from faltui.core.job import JobState
from faltui.emulator import Emulator
from faltui.services import MEMBERS, build_services
from faltui.tui.app import FaltuiApp
from faltui.tui.widgets.job_table import JobTable

FLUX = "fal-ai/flux/dev"


async def test_start_up_problems_of_the_services_are_reported(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "config", tmp_path / "cache", tmp_path / "data", tmp_path / "dl")
    settings = Settings(paths=paths, raw={"budget": {"per_session": -1}})
    paths.journal_file.parent.mkdir(parents=True)
    paths.journal_file.write_bytes(os.urandom(4096))  # not a database: repaired on opening
    app = FaltuiApp(settings)
    assert not any(app.services.made(member) for member in MEMBERS)  # opened after a frame
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert all(app.services.made(member) for member in MEMBERS if member != "client")
        journal = [p for p in app.problems if "was unusable" in p and "moved aside" in p]
        budget = [p for p in app.problems if "(no budget is applied)" in p]
        assert len(journal) == 1 and len(budget) == 1
    assert not app.services.made("client")  # no key, no job: nothing was sent to fal


async def test_jobs_an_earlier_session_left_unfinished_are_resumed_at_start(
    emu_settings: Settings, emulator: Emulator
) -> None:
    emulator.script_next_jobs("slow")
    earlier = build_services(emu_settings)
    try:
        job = await earlier.jobs.submit(FLUX, {"prompt": "left running"})
    finally:
        await earlier.aclose()  # the session ends before the job does
    assert job.request_id and not job.final
    app = FaltuiApp(emu_settings)
    assert not app.services.made("client")
    async with app.run_test(size=(160, 48)):
        table = app.query_one(JobTable)
        await until(lambda: job.id in table.shown_ids)
        await until(lambda: (found := app.main.find_job(job.id)) is not None and found.final)
        resumed = app.main.find_job(job.id)
        assert resumed is not None and resumed.state is JobState.done
        assert resumed.request_id == job.request_id  # followed, not submitted again
        assert app.services.made("client")
    assert len(emulator.jobs) == 1
    assert app.services.client.http.is_closed  # closed with the app
