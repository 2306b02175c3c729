"""Benchmark: spend figures and history import over a large journal (no network).

* summary — ``faltui spend``'s work on N journaled jobs: read them (``Journal.since``) and
  ``summarize`` by model and by day, vs a peer: the same read plus a plain dict-sum of
  ``billable_units × unit_price`` (the least any summary must do).
* tracker — ``SpendTracker.status_text()`` (a TUI status line) with a day of M jobs loaded.
* import — writing N imported jobs: ``Journal.record_many`` (one transaction) vs ``record``
  per job (one commit each).

Prints figures only (no assertions)::

    python bench/bench_spend.py [--jobs 10000] [--today 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from faltui.core.budget import Budget  # noqa: E402
from faltui.core.config import Settings  # noqa: E402
from faltui.core.job import Job, JobState  # noqa: E402
from faltui.core.journal import Journal  # noqa: E402
from faltui.core.prices import PriceBook  # noqa: E402
from faltui.core.pricing import Price  # noqa: E402
from faltui.core.spend import SpendTracker, summarize  # noqa: E402

MODELS = [f"fal-ai/model-{i}" for i in range(40)]


def make_jobs(count: int, now: float, spread_days: float) -> list[Job]:
    jobs = []
    for i in range(count):
        finished = now - (i / max(count, 1)) * spread_days * 86_400
        jobs.append(
            Job(
                MODELS[i % len(MODELS)],
                {"prompt": f"job {i}", "num_images": 1 + i % 4, "seed": i},
                state=JobState.done,
                request_id=f"req-{i}",
                created_at=finished - 10,
                finished_at=finished,
                billable_units=float(1 + i % 4),
                result={"images": [{"url": f"https://v3.fal.media/files/{i}.png"}]},
            )
        )
    return jobs


def timed(label: str, action, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<58} {best * 1000:9.1f} ms")
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--today", type=int, default=500)
    args = parser.parse_args()
    now = time.time()
    prices = {m: Price(m, 0.025, "image") for m in MODELS}
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3")
        jobs = make_jobs(args.jobs, now, spread_days=30)
        print(f"import: writing {args.jobs} jobs")
        timed("record_many (one transaction)", lambda: journal.record_many(jobs), repeat=1)
        other = Journal(Path(tmp) / "peer.sqlite3")
        timed("peer: record() per job (a commit each)", lambda: [other.record(j) for j in jobs], 1)
        other.close()

        print(f"summary: {args.jobs} journaled jobs over 30 days, {len(MODELS)} models")
        since = now - 31 * 86_400
        timed(
            "read (Journal.since) + summarize by model",
            lambda: summarize(journal.since(since), prices, "model"),
        )
        timed(
            "read (Journal.since) + summarize by day",
            lambda: summarize(journal.since(since), prices, "day"),
        )

        def peer() -> None:
            totals: dict[str, float] = {}
            for job in journal.since(since):
                totals[job.endpoint_id] = totals.get(job.endpoint_id, 0.0) + (
                    (job.billable_units or 0.0) * prices[job.endpoint_id].unit_price
                )

        timed("peer: same read + plain dict sum of units × price", peer)
        timed("read alone (Journal.since)", lambda: journal.since(since))
        journal.close()

    book = PriceBook(Settings(key="k"), cache_file=None)
    for price in prices.values():
        book.put(price)
    tracker = SpendTracker(book, Budget(per_day=5, per_session=1))
    tracker.load(make_jobs(args.today, now, spread_days=0.2))
    print(f"tracker: a day of {args.today} jobs")
    timed("SpendTracker.status_text() (today and session)", tracker.status_text, repeat=20)
    print(f"  -> {tracker.status_text()}")


if __name__ == "__main__":
    main()
