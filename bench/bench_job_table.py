"""Benchmark: updating changed jobs in a jobs table of many rows.

Moved out of the tests (a wall-clock bound there fails on a slow shared machine). Both tables
hold the same ``--rows`` running jobs in a headless 140×30 app; then, ``--rounds`` times, one
job in eight gets a new log line and the table is told:

* ours — ``JobTable.upsert(changed jobs)`` (re-renders only the changed rows);
* peer — Textual's ``DataTable.update_cell`` for the same cells (what a plain table does).

For each it prints the time of the update call and of the update plus the next screen refresh
(``Pilot.pause()``), as the median and the worst round. Prints figures only (no assertions)::

    python bench/bench_job_table.py [--rows 800] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from faltui.core.client.models import LogLine  # noqa: E402
from faltui.core.job import Job, JobState  # noqa: E402
from faltui.tui.widgets.job_table import JobTable  # noqa: E402

NOW = 1_767_268_800.0


def make_jobs(rows: int) -> list[Job]:
    """``rows`` running jobs with fixed timestamps."""
    return [
        Job(
            endpoint_id="fal-ai/flux/dev",
            input={"prompt": f"prompt {i}", "seed": i},
            id=f"job-{i:05d}",
            state=JobState.running,
            created_at=NOW - 1000 + i,
            submitted_at=NOW - 999 + i,
            started_at=NOW - 10,
            request_id=f"req-{i}",
        )
        for i in range(rows)
    ]


class OursHost(App[None]):
    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs", clock=lambda: NOW)


class PeerHost(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="jobs")


def _log(round_no: int) -> LogLine:
    return LogLine(f"step {round_no}", "2026-01-01T11:59:00")


async def run_ours(rows: int, rounds: int) -> tuple[list[float], list[float]]:
    calls: list[float] = []
    painted: list[float] = []
    app = OursHost()
    async with app.run_test(size=(140, 30)) as pilot:
        table = app.query_one(JobTable)
        jobs = make_jobs(rows)
        table.upsert(jobs)
        await pilot.pause()
        batch = jobs[::8]
        for round_no in range(rounds):
            for job in batch:
                job.logs.append(_log(round_no))
            start = time.perf_counter()
            table.upsert(batch)
            calls.append(time.perf_counter() - start)
            await pilot.pause()
            painted.append(time.perf_counter() - start)
    return calls, painted


async def run_peer(rows: int, rounds: int) -> tuple[list[float], list[float]]:
    calls: list[float] = []
    painted: list[float] = []
    app = PeerHost()
    async with app.run_test(size=(140, 30)) as pilot:
        table: DataTable[str] = app.query_one(DataTable)
        for column in ("model", "prompt", "state", "elapsed", "log"):
            table.add_column(column, key=column)
        jobs = make_jobs(rows)
        for job in jobs:
            table.add_row("flux/dev", job.input["prompt"], "running", "10.0s", "", key=job.id)
        await pilot.pause()
        batch = jobs[::8]
        for round_no in range(rounds):
            start = time.perf_counter()
            for job in batch:
                table.update_cell(job.id, "log", f"step {round_no}")
            calls.append(time.perf_counter() - start)
            await pilot.pause()
            painted.append(time.perf_counter() - start)
    return calls, painted


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.2f} ms median, {max(values) * 1000:7.2f} ms worst"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"{args.rows} rows, {args.rows // 8} changed jobs per round, {args.rounds} rounds")
    for name, runner in (("ours", run_ours), ("peer", run_peer)):
        calls, painted = asyncio.run(runner(args.rows, args.rounds))
        print(f"{name}: update {_ms(calls)}; update + refresh {_ms(painted)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
