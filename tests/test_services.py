"""The session's services (``faltui.services``): made on first use, set-up problems told once,
closed in order with a failure closing one never skipping the others."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faltui.core.config import Paths, Settings
from faltui.core.job import JobEvent, JobState
from faltui.core.journal import JournalError
from faltui.emulator import Emulator
from faltui.services import MEMBERS, Services, build_services

FLUX = "fal-ai/flux/dev"


def offline_settings(home: Path, raw: dict[str, object] | None = None) -> Settings:
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return Settings(paths=paths, raw=raw or {})


def made(services: Services) -> set[str]:
    return {member for member in MEMBERS if services.made(member)}


async def test_nothing_is_made_until_it_is_used(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path)
    services = build_services(settings)
    assert made(services) == set()
    assert services.catalog.local_models()  # the bundled snapshot: no client, no journal
    assert made(services) == {"catalog"}
    await services.aclose()
    assert made(services) == {"catalog"}
    assert not settings.paths.journal_file.exists()  # never opened, so never created


async def test_open_all_makes_every_member_and_reports_problems_in_order(tmp_path: Path) -> None:
    settings = offline_settings(
        tmp_path, {"budget": {"per_day": "lots"}, "library": {"auto_download": "yes"}}
    )
    journal_file = settings.paths.journal_file
    journal_file.parent.mkdir(parents=True)
    journal_file.write_bytes(os.urandom(4096))  # not a database: repaired on opening
    told: list[str] = []
    services = build_services(settings, on_problem=told.append)
    services.open_all()
    services.open_all()  # idempotent: nothing made or told twice
    try:
        assert made(services) == set(MEMBERS)
        assert told == services.problems
        assert len(told) == 3
        assert "was unusable" in told[0] and "moved aside" in told[0]
        assert "(no budget is applied)" in told[1]
        assert "(outputs are not saved automatically)" in told[2]
        assert not services.budget.active and not services.auto_download.enabled
    finally:
        await services.aclose()


def test_open_refuses_a_name_that_is_no_service(tmp_path: Path) -> None:
    services = build_services(offline_settings(tmp_path))
    with pytest.raises(ValueError, match="no such service: 'journl'"):
        services.open("journl")


async def test_a_failure_closing_one_member_does_not_skip_the_others(
    emu_settings: Settings, emulator: Emulator
) -> None:
    services = build_services(emu_settings)
    services.open("jobs", "outputs", "auto_download")
    client_http = services.client.http
    outputs_http = services.outputs.http
    calls: list[str] = []

    async def broken_jobs_close() -> None:
        calls.append("jobs")
        raise RuntimeError("the scheduler would not stop")

    real_auto_close = services.auto_download.aclose

    async def auto_close() -> None:
        calls.append("auto_download")
        await real_auto_close()

    services.jobs.aclose = broken_jobs_close  # type: ignore[method-assign]
    services.auto_download.aclose = auto_close  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="would not stop"):
        await services.aclose()
    assert calls == ["jobs", "auto_download"]  # the manager first, then the auto-download
    assert client_http.is_closed and outputs_http.is_closed
    with pytest.raises(JournalError, match="closed"):
        services.journal.load_all()


async def test_the_event_callback_and_a_spend_made_late_see_the_session_jobs(
    emu_settings: Settings, emulator: Emulator
) -> None:
    events: list[JobEvent] = []
    services = build_services(emu_settings, on_event=events.append)
    try:
        job = await services.jobs.submit(FLUX, {"prompt": "a heron"})
        assert await services.jobs.wait_all(timeout=60)
        assert job.state is JobState.done
        assert {event.job.id for event in events} == {job.id}
        assert not services.made("spend")  # nothing asked for it yet
        assert services.spend.session().jobs == 1  # made now: the session's job still counts
        assert services.spend.today().jobs == 1
    finally:
        await services.aclose()


async def test_the_job_manager_makes_the_client_when_it_first_talks_to_fal(
    emulator: Emulator, tmp_path: Path
) -> None:
    services = build_services(emulator.settings(tmp_path))
    services.open_all(skip=("client",))  # what the TUI does before its first frame
    try:
        assert made(services) == set(MEMBERS) - {"client"}
        services.jobs.load_history(limit=10)  # showing the journal's jobs needs no client
        assert not services.made("client")
        job = await services.jobs.submit(FLUX, {"prompt": "first contact"})
        assert services.made("client")
        assert services.jobs.client is services.client  # the stand-in is gone
        await services.jobs.wait_all()
        assert job.state is JobState.done
    finally:
        await services.aclose()
    assert services.client.http.is_closed
