"""Benchmark: opening the compare screen on N jobs.

A headless 160×48 app pushes ``CompareScreen`` over N finished flux jobs (differing in seed and
guidance; no image previews, so the figure is the screen's own cost) and waits until it is
composed, filled in and painted (``Pilot.pause()``). The peer figure, from the same run, is
the job detail screen of one job (what ``enter`` in the jobs list opens). Median and worst of
``--rounds`` openings. Prints figures only (no assertions)::

    python bench/bench_compare.py [--jobs 2 8 24 60] [--rounds 5]
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

from textual.app import App  # noqa: E402

from faltui.core.config import Settings  # noqa: E402
from faltui.core.job import Job, JobState  # noqa: E402
from faltui.core.pricing import Price  # noqa: E402
from faltui.tui.screens.compare import CompareScreen  # noqa: E402
from faltui.tui.screens.job_detail import JobDetailScreen  # noqa: E402

NOW = 1_767_268_800.0
FLUX = "fal-ai/flux/dev"


def make_jobs(count: int) -> list[Job]:
    """``count`` finished flux jobs with fixed timestamps."""
    jobs = []
    for n in range(count):
        job = Job(
            FLUX,
            {
                "prompt": "a lighthouse at dusk",
                "image_size": {"width": 1024, "height": 768},
                "seed": 1000 + n,
                "guidance_scale": 3.5 + n % 4,
                "num_inference_steps": 28,
            },
            id=f"job-{n}",
            state=JobState.done,
            request_id=f"req-{n}",
            created_at=NOW - 100 + n,
        )
        job.submitted_at, job.started_at, job.finished_at = NOW - 99 + n, NOW - 95 + n, NOW - 90
        job.result = {"images": [{"url": f"https://x/{n}.png", "width": 1024, "height": 768}]}
        job.billable_units = 1.0
        jobs.append(job)
    return jobs


async def time_openings(count: int, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds to open the compare screen on ``count`` jobs, and the detail screen of one."""
    jobs = make_jobs(count)
    prices = {FLUX: Price(FLUX, 0.025, "image")}
    ours: list[float] = []
    peer: list[float] = []
    app: App[None] = App()
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(rounds):
            start = time.perf_counter()
            screen = CompareScreen(jobs, prices=prices)
            await app.push_screen(screen)
            await pilot.pause()
            ours.append(time.perf_counter() - start)
            app.pop_screen()
            await pilot.pause()
            start = time.perf_counter()
            await app.push_screen(JobDetailScreen(jobs[0], Settings()))
            await pilot.pause()
            peer.append(time.perf_counter() - start)
            app.pop_screen()
            await pilot.pause()
    return ours, peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2, 8, 24, 60])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for count in args.jobs:
        ours, peer = asyncio.run(time_openings(count, args.rounds))
        print(
            f"compare {count:>3} jobs: median {statistics.median(ours) * 1000:7.1f} ms, "
            f"worst {max(ours) * 1000:7.1f} ms · peer (detail screen of one job): median "
            f"{statistics.median(peer) * 1000:6.1f} ms, worst {max(peer) * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()
