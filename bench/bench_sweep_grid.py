"""Benchmark: the sweep grid of a big sweep (``--seeds`` × ``--values`` jobs, default 20 × 25 =
500, the most one sweep may send) in a headless 160×48 app.

Measures, as the median and worst of ``--rounds``:

* ours — ``SweepGridScreen.refresh_grid()`` after one job in eight moved on (queued → running →
  done), plus the next screen refresh (``Pilot.pause()``); and a cursor move (``right``) plus
  the next refresh;
* peer — a Textual ``DataTable`` holding the same cells as text, told the same changes with
  ``update_cell`` (what a plain table does), plus the next refresh.

Also prints the time from pushing the screen to the first laid-out grid. Prints figures only::

    python bench/bench_sweep_grid.py [--seeds 20] [--values 25] [--rounds 10]
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

from faltui.core.job import Job, JobState  # noqa: E402
from faltui.core.sweep_tag import SweepTag  # noqa: E402
from faltui.tui.screens.sweep_grid import SweepGridScreen, cell_text  # noqa: E402

NOW = 1_767_268_800.0


def make_jobs(seeds: int, values: int) -> list[Job]:
    count = seeds * values
    jobs = []
    for i in range(count):
        tag = SweepTag(
            "bench", i, count, ("seed", "guidance_scale"), (str(i // values), str(i % values))
        )
        jobs.append(
            Job(
                "fal-ai/flux/dev",
                {"seed": i // values},
                id=f"j{i}",
                state=JobState.queued,
                created_at=NOW,
                submitted_at=NOW,
                queue_position=3,
                sweep=tag,
            )
        )
    return jobs


def advance(jobs: list[Job], round_no: int) -> list[Job]:
    changed = [job for i, job in enumerate(jobs) if i % 8 == round_no % 8]
    for job in changed:
        job.state = JobState.running if job.state is JobState.queued else JobState.done
        if job.state is JobState.done:
            job.finished_at = NOW + 5
    return changed


def summary(name: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"{name:<34} median {statistics.median(ms):7.1f} ms   worst {max(ms):7.1f} ms"


async def ours(seeds: int, values: int, rounds: int) -> None:
    jobs = make_jobs(seeds, values)
    app = App[None]()
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        screen = SweepGridScreen("bench", lambda: jobs, cost_of=lambda job: "≈0.025 USD")
        await app.push_screen(screen)
        while screen.grid is None or len(screen._cells) < len(jobs):
            await pilot.pause()
        await pilot.pause()
        print(
            f"ours: first grid of {len(jobs)} cells {1000 * (time.perf_counter() - start):16.1f} ms"
        )
        refresh, move = [], []
        for r in range(rounds):
            advance(jobs, r)
            t = time.perf_counter()
            await screen.refresh_grid()
            await pilot.pause()
            refresh.append(time.perf_counter() - t)
            t = time.perf_counter()
            await pilot.press("right")
            await pilot.pause()
            move.append(time.perf_counter() - t)
        print(summary("ours: refresh after 1/8 changed", refresh))
        print(summary("ours: cursor move", move))


class Peer(App[None]):
    def __init__(self, jobs: list[Job], values: int) -> None:
        super().__init__()
        self.jobs = jobs
        self.values = values

    def compose(self) -> ComposeResult:
        yield DataTable()


async def peer(seeds: int, values: int, rounds: int) -> None:
    jobs = make_jobs(seeds, values)
    app = Peer(jobs, values)
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one(DataTable)
        start = time.perf_counter()
        keys = [table.add_column(str(v), key=str(v)) for v in range(values)]
        for s in range(seeds):
            row = jobs[s * values : (s + 1) * values]
            table.add_row(*(cell_text(j, "≈0.025 USD") for j in row), key=str(s))
        await pilot.pause()
        print(
            f"peer: first table of {len(jobs)} cells "
            f"{1000 * (time.perf_counter() - start):15.1f} ms"
        )
        times = []
        for r in range(rounds):
            changed = advance(jobs, r)
            t = time.perf_counter()
            for job in changed:
                assert job.sweep is not None
                s, v = job.sweep.key
                table.update_cell(str(s), keys[int(v or 0)], cell_text(job, "≈0.025 USD"))
            await pilot.pause()
            times.append(time.perf_counter() - t)
        print(summary("peer: DataTable update_cell", times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--values", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(ours(args.seeds, args.values, args.rounds))
    asyncio.run(peer(args.seeds, args.values, args.rounds))


if __name__ == "__main__":
    main()
