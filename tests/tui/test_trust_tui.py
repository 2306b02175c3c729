"""The TUI fails closed and settles unknown outcomes (issue #8's TUI part).

* No journal can be written → a banner says submits are refused and why; ctrl+s, ×N and re-run
  are refused with that message and nothing reaches fal. A journal locked by another process
  is retried on the next submit (and used once free).
* A damaged journal repaired at start → the notice says what was kept, on screen and under
  help's problems; the kept jobs are listed.
* A job of unknown outcome says what that means, is counted in the status bar, is reconciled
  automatically at start and on request (``R``), and the outcome is reported.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile import ESCAPES, MARKUP
from journal_lock import journal_locked
from terminal import assert_output_safe, run_recorded, screen_of
from textual.command import CommandPalette
from waits import search_palette, until

from faltui.core.client import QueueHandle
from faltui.core.config import Settings
from faltui.core.job import Job, JobState
from faltui.core.journal import Journal
from faltui.emulator import DEMO_KEY, Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.format import UNKNOWN_LABEL
from faltui.tui.screens.count import CountScreen
from faltui.tui.screens.help import HelpScreen
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.widgets.results import ResultsPane
from faltui.tui.widgets.status_bar import StatusBar

FLUX = "fal-ai/flux/dev"
JSON_504 = {"detail": "Gateway timeout", "error_type": "request_timeout"}


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


def visible(app: FaltuiApp) -> str:
    """The terminal screen as text, with its rows joined (a banner wraps)."""
    return "".join(screen_of(app).lines)


def notices(app: FaltuiApp) -> str:
    """Every notification still held by the app: title and message."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def choose_flux(app: FaltuiApp) -> None:
    model = next(m for m in app.main.known_models() if m.endpoint_id == FLUX)
    app.main.choose_model(model)
    await until(lambda: app.main.current_schema is not None, what="the form loaded")
    await app.main.form.settled()


def served_job(emulator: Emulator, prompt: str) -> Job:
    """A job fal has (submitted straight to the emulator), as a journal row."""
    emulator.script_next_jobs("slow")
    answer = httpx.post(
        f"{emulator.base_url}/{FLUX}",
        json={"prompt": prompt},
        headers={"Authorization": f"Key {DEMO_KEY}"},
    ).json()
    handle = QueueHandle(
        FLUX,
        answer["request_id"],
        answer["status_url"],
        answer["response_url"],
        answer["cancel_url"],
    )
    return Job(
        FLUX,
        {"prompt": prompt},
        state=JobState.queued,
        request_id=handle.request_id,
        handle=handle,
        created_at=1000.0,
    )


# -- no journal ----------------------------------------------------------------------------


async def test_without_a_journal_a_banner_says_why_and_every_submit_is_refused(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    # A file where the data folder should be: no journal can ever be created this session.
    # Its name is hostile too: the banner quotes the path.
    blocker = tmp_path / ("data" + ESCAPES["csi_clear"] + MARKUP["click_quit"].replace("/", ""))
    blocker.write_text("not a folder")
    paths = dataclasses.replace(emu_settings.paths, data_dir=blocker)
    settings = dataclasses.replace(emu_settings, paths=paths)
    app = FaltuiApp(settings)
    async with run_recorded(app) as pilot:
        await until(lambda: "Submitting is refused" in visible(app), what="the banner")
        shown = visible(app)
        assert "cannot be created" in shown and "databefore␛[2J␛[Hafter" in shown
        assert "Nothing is sent that the journal could not record" in shown
        await choose_flux(app)
        await pilot.press(*"a lighthouse", "ctrl+s")
        await until(lambda: "Not submitted: no job journal" in notices(app))
        await pilot.press("ctrl+b")  # ×N: refused before the count is asked
        await pilot.pause()
        assert not isinstance(app.screen, CountScreen)
        await pilot.pause()
        assert notices(app).count("Not submitted: no job journal") == 2
        assert emulator.counters["submit"] == 0 and not app.services.jobs.jobs()
        assert app.is_running
        assert_output_safe(app, "banner")


@pytest.fixture
def locked_journal(emu_settings: Settings, emulator: Emulator) -> Iterator[subprocess.Popen[str]]:
    """A journal holding one finished job, locked by another process for writing."""
    path = emu_settings.paths.journal_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with Journal(path) as journal:
        done = Job(FLUX, {"prompt": "done before"}, state=JobState.done, request_id="old-1")
        done.result = {"images": []}
        journal.record(done)
    with journal_locked(path) as proc:
        yield proc


async def test_a_locked_journal_refuses_a_rerun_then_is_used_once_free(
    emulator: Emulator, emu_settings: Settings, locked_journal: subprocess.Popen[str]
) -> None:
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        # Reading goes on under another process's lock (WAL): the earlier job is listed.
        await until(lambda: len(app.services.jobs.jobs()) == 1, what="the journal read")
        (old,) = app.services.jobs.jobs()
        app.main._rerun_job(old.id)  # what r on the row asks for
        # The job could not be recorded within the wait: refused, nothing sent, and the
        # banner names who holds the journal.
        await until(lambda: "Not submitted: no job journal" in notices(app), what="refused")
        assert "locked by" in notices(app)
        assert emulator.counters["submit"] == 0
        await until(lambda: "Submitting is refused" in visible(app), what="the lock banner")
        if sys.platform == "linux":  # lock holders are named where /proc lists them
            assert f"pid {locked_journal.pid}" in visible(app)  # who holds it

        locked_journal.kill()
        locked_journal.wait()
        app.main._rerun_job(old.id)
        await until(lambda: emulator.counters["submit"] == 1, what="the re-run sent")
        await until(lambda: "Submitting is refused" not in visible(app), what="banner gone")
        await pilot.pause()
        assert app.is_running


# -- a damaged journal -----------------------------------------------------------------------


async def test_a_repaired_journal_says_what_was_kept_on_screen_and_in_help(
    emulator: Emulator, emu_settings: Settings
) -> None:
    path = emu_settings.paths.journal_file
    path.parent.mkdir(parents=True, exist_ok=True)
    live = served_job(emulator, "still running on fal")
    with Journal(path) as journal:
        journal.record(live)
        for i in range(30):  # bulky rows, so the file spans many pages
            old = Job(FLUX, {"prompt": f"old {i}", "blob": "x" * 3000}, state=JobState.done)
            old.request_id = f"old-{i:02d}"
            journal.record(old)
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with path.open("r+b") as fh:  # cut off the last third
        fh.truncate(path.stat().st_size * 2 // 3)

    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        await until(lambda: "was unusable" in notices(app), what="the repair notice")
        assert "kept" in notices(app) and "moved aside" in notices(app)
        await until(lambda: "was unusable" in visible(app), what="the notice on screen")
        kept = app.services.jobs
        await until(lambda: kept.get(live.id) is not None, what="the live job resumed")
        assert app.services.jobs.journal_problem is None
        assert "Submitting is refused" not in visible(app)  # a fresh journal took its place
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        shown = visible(app)
        assert "Problems this session" in shown and "was unusable" in shown
        assert_output_safe(app, "repair notice")
        await until(lambda: kept.get(live.id).state is JobState.done, what="live job finished")


# -- unknown outcomes -------------------------------------------------------------------------


async def test_an_unknown_outcome_is_explained_counted_and_reconciled_with_R(
    emulator: Emulator, emu_settings: Settings
) -> None:
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        # fal takes the submit, then the gateway answers 504 without a request id.
        emulator.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False, after=True)
        job = await app.services.jobs.submit(FLUX, {"prompt": "a lighthouse", "seed": 3})
        assert job.state is JobState.unknown and emulator.counters["submit"] == 1
        app.main.flush_jobs()
        await pilot.pause()
        status = app.query_one(StatusBar).plain
        assert "1 unknown" in status
        assert app.theme_variables.get("job-unknown")  # its own colour in the theme
        app.main.job_table.select_job(job.id)
        app.main.results.show(job)
        await pilot.pause()
        assert UNKNOWN_LABEL in visible(app)  # "unknown — may have run; not resent"

        await pilot.press("f4", "enter")
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.pause()
        assert "Outcome unknown" in visible(app)
        assert "R Reconcile (unknown outcome)" in visible(app)  # offered in the footer
        await pilot.press("R")
        await until(lambda: "attached to request" in notices(app), what="the reconcile notice")
        (ours,) = emulator.jobs
        assert job.request_id == ours and ours in notices(app)
        assert emulator.counters["submit"] == 1  # never sent again
        await until(lambda: job.state is JobState.done, what="the attached job done")
        app.main.flush_jobs()
        await pilot.pause()
        assert "unknown" not in app.query_one(StatusBar).plain
        assert_output_safe(app, "reconcile")


async def test_reconcile_says_why_a_job_stays_unknown(
    emulator: Emulator, emu_settings: Settings
) -> None:
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        # A 504 before fal took it: the history has nothing with this input.
        emulator.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False)
        job = await app.services.jobs.submit(FLUX, {"prompt": "never taken"})
        assert job.state is JobState.unknown
        await pilot.press("ctrl+p")
        await until(lambda: isinstance(app.screen, CommandPalette))
        await search_palette(pilot, "reconcile unknown", "reconcile")
        await pilot.press("enter")
        await until(lambda: "still unknown" in notices(app), what="the outcome")
        assert "no request in fal's history has this endpoint and input" in notices(app)
        assert job.state is JobState.unknown and job.request_id is None
        assert "Reconcile:" in (job.error or "")
        assert emulator.counters["submit"] == 1


async def test_unknown_jobs_are_reconciled_at_start_and_the_outcome_reported(
    emulator: Emulator, emu_settings: Settings
) -> None:
    # An earlier session sent this input, then stopped before fal confirmed it; fal has it.
    taken = served_job(emulator, "sent before a crash")
    lost = Job(
        FLUX,
        {"prompt": "sent before a crash"},
        state=JobState.unknown,
        error_type="outcome_unknown",
    )
    lost.sent_at = lost.created_at
    path = emu_settings.paths.journal_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with Journal(path) as journal:
        journal.record(lost)
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        await until(lambda: "attached to request" in notices(app), what="the start notice")
        assert "At start" in notices(app) and str(taken.request_id) in notices(app)
        job = app.services.jobs.get(lost.id)
        assert job is not None and job.request_id == taken.request_id
        await until(lambda: job.state is JobState.done, what="the re-attached job done")
        assert emulator.counters["submit"] == 1  # the one the earlier session sent
        await pilot.pause()
        assert app.is_running
