"""Sending a sweep against the emulator: priority low, the cap on jobs in flight, the journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faltui.core.bundled import bundled_openapi
from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.job import JobEvent, JobState
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal
from faltui.core.schema import EndpointSchema, parse_openapi
from faltui.core.sweep import SweepAxis, plan_sweep
from faltui.core.sweep_grid import build_grid
from faltui.core.sweep_run import SweepRun
from faltui.emulator import Emulator

DEV, SCHNELL = "fal-ai/flux/dev", "fal-ai/flux/schnell"


def schema(endpoint_id: str) -> EndpointSchema:
    doc = bundled_openapi(endpoint_id)
    assert doc is not None
    return parse_openapi(doc, endpoint_id)


@pytest.fixture
async def manager(emu_settings: Settings, tmp_path: Path) -> AsyncIterator[JobManager]:
    client = FalClient(emu_settings)
    journal = Journal(tmp_path / "journal.sqlite3")
    jobs = JobManager(client, journal, poll_interval=0.02)
    yield jobs
    await jobs.aclose()
    await client.aclose()
    journal.close()


async def test_a_sweep_across_two_models_runs_low_priority_and_is_rebuilt_from_the_journal(
    manager: JobManager, emulator: Emulator, tmp_path: Path
) -> None:
    schemas: dict[str, EndpointSchema | None] = {DEV: schema(DEV), SCHNELL: schema(SCHNELL)}
    axes = [SweepAxis("seed", ("1", "2", "3")), SweepAxis("guidance_scale", ("2", "4"))]
    plan = plan_sweep({"prompt": "a cat"}, axes, [DEV, SCHNELL], schemas)
    run = SweepRun(manager, plan)
    jobs = await run.run()
    assert await manager.wait_all(60)
    assert all(job is not None and job.state is JobState.done for job in jobs)
    sent = {rid: emulator.jobs[rid] for job in jobs if job and (rid := job.request_id)}
    assert len(sent) == 12
    assert {r.headers["x-fal-queue-priority"] for r in sent.values()} == {"low"}
    by_values = {(r.endpoint_id, r.input["seed"], r.input["guidance_scale"]) for r in sent.values()}
    assert len(by_values) == 12  # every combination once, on each model
    # another process (or a restart) reads the journal and lays out the same grid
    with Journal(tmp_path / "journal.sqlite3") as again:
        restored = again.load_all()
    grid = build_grid(restored)
    assert grid is not None and grid.sweep_id == run.id and grid.count == 12
    assert grid.rows.values == ("1", "2", "3")
    assert [grid.column_label(c) for c in grid.columns] == [
        "flux/dev · 2",
        "flux/dev · 4",
        "flux/schnell · 2",
        "flux/schnell · 4",
    ]
    cell = grid.job_at("3", ("flux/schnell", "2"))
    assert cell is not None and cell.state is JobState.done
    assert cell.endpoint_id == SCHNELL and cell.input["seed"] == 3
    assert cell.input["guidance_scale"] == 2 and cell.result


async def test_the_cap_keeps_at_most_n_jobs_in_flight(manager: JobManager) -> None:
    plan = plan_sweep(
        {"prompt": "a cat"},
        [SweepAxis("seed", tuple(str(i) for i in range(1, 7)))],
        [DEV],
        {DEV: schema(DEV)},
    )
    in_flight: list[int] = []

    def count(event: JobEvent) -> None:
        live = [j for j in manager.jobs() if not j.final]
        in_flight.append(len(live))

    manager.listeners.append(count)
    run = SweepRun(manager, plan, max_in_flight=2)
    jobs = await run.run()
    assert await manager.wait_all(60)
    assert run.sent == 6 and all(job and job.state is JobState.done for job in jobs)
    assert max(in_flight) == 2  # reached, never passed
