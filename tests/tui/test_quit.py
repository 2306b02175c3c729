"""Quitting with jobs in flight asks first: leave them on fal, cancel them, wait, or stay."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faltui.core.config import Settings
from faltui.core.job import Job, JobState
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.quit import QuitScreen


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator at fal's own pace: a "slow" job runs long enough for the whole test."""
    emu = Emulator(time_scale=1.0)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu_settings(emulator: Emulator, tmp_path: Path) -> Settings:
    return emulator.settings(tmp_path)


async def until(predicate: Callable[[], bool], limit: int = 2000) -> None:
    """Yield to the event loop until ``predicate`` holds (a bounded number of turns)."""
    for _ in range(limit):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def _slow_job(app: FaltuiApp, emulator: Emulator) -> Job:
    emulator.script_next_jobs("slow")
    job = await app.services.jobs.submit("fal-ai/flux/dev", {"prompt": "a long one"})
    await until(lambda: job.state in (JobState.queued, JobState.running))
    return job


async def test_quit_without_jobs_in_flight_just_quits(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_quit_asks_and_escape_stays(emu_settings: Settings, emulator: Emulator) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _slow_job(app, emulator)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        assert "1 job is still running" in str(app.screen.query("Static").first().render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, QuitScreen)


async def test_quit_leaving_jobs_running_keeps_them_on_fal(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await _slow_job(app, emulator)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not app.is_running
    assert not emulator.jobs[job.request_id or ""].cancelled


async def test_quit_cancelling_cancels_them_on_fal(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await _slow_job(app, emulator)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("c")
        await until(lambda: not app.is_running)
    assert emulator.jobs[job.request_id or ""].cancelled


async def test_quit_waiting_quits_once_the_jobs_finish(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 40)) as pilot:
        job = await _slow_job(app, emulator)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert app.is_running and not job.final
        assert "quitting when 1 job(s) finish" in app.main.status_bar.plain
        await app.services.jobs.cancel(job.id)  # the job ends (here: cancelled on fal)
        await until(lambda: not app.is_running)
        assert job.final
