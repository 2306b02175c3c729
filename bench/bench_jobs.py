"""Benchmark: N jobs through our JobManager vs a naive peer, against one in-process emulator.

The emulator runs in this process (uvicorn in a thread); each peer runs in a child process so
that its peak RSS (``resource.getrusage``) is its own. Each peer runs twice: once plain (wall
time, requests, RSS) and once under ``tracemalloc`` (peak Python allocations), since tracing
slows everything down.

* ours  — ``FalClient`` + ``JobManager`` (+ a SQLite journal): ``submit_batch`` then
  ``wait_all``; one scheduler, at most ``--max-active`` status streams, adaptive polling.
* ours-poll — the same with streams off (adaptive polling only): what the scheduler does
  without streams. (The emulator's streams are push-based, like fal's: see bench_streams.py.)
* naive — one asyncio task per job on a plain ``httpx.AsyncClient``: submit, poll the status
  URL every 0.1 s until ``COMPLETED``, fetch the result.

Prints figures only (no assertions)::

    python bench/bench_jobs.py [-n 200] [--time-scale 0.5] [--max-active 64] [--peers ours,naive]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENDPOINT = "fal-ai/flux/dev"
NAIVE_POLL = 0.1
PEERS = ("ours", "ours-poll", "naive")


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _settings(urls: dict[str, str], key: str, home: Path) -> Any:
    from faltui.core.config import Paths, Settings

    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return Settings(key=key, urls=urls, paths=paths, demo=True)


async def run_ours(n: int, urls: dict[str, str], key: str, args: argparse.Namespace) -> dict:
    """Submit ``n`` jobs with the JobManager and wait for all of them."""
    from faltui.core.client import FalClient
    from faltui.core.job import JobState
    from faltui.core.jobs import JobManager
    from faltui.core.journal import Journal
    from faltui.core.schema import prepare

    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(urls, key, Path(tmp))
        client = FalClient(settings)
        journal = Journal(Path(tmp) / "journal.sqlite3")
        events = 0

        def on_event(_: Any) -> None:
            nonlocal events
            events += 1

        manager = JobManager(
            client,
            journal,
            max_active=args.max_active,
            stream=args.child != "ours-poll",
            poll_interval=args.poll_interval,
            on_event=on_event,
        )
        start = time.perf_counter()
        bench = prepare(None, {"prompt": "bench", "seed": "random"})  # distinct fresh seeds
        jobs = await manager.submit_many(ENDPOINT, bench, n)
        finished = await manager.wait_all(timeout=args.timeout)
        wall = time.perf_counter() - start
        stats = manager.scheduler.stats
        done = sum(1 for job in jobs if job.state is JobState.done)
        await manager.aclose()
        await client.aclose()
        writes = journal.writes
        journal.close()
    return {
        "wall": wall,
        "done": done,
        "all_final": finished,
        "extra": (
            f"streams opened {stats.streams_opened} (peak {stats.peak_streams}), "
            f"polls {stats.polls}, journal writes {writes}, events {events}"
        ),
    }


async def run_naive(n: int, urls: dict[str, str], key: str, args: argparse.Namespace) -> dict:
    """One task per job polling every 0.1 s with a plain httpx client."""
    import httpx

    headers = {"Authorization": f"Key {key}"}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)

    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60.0) as http:

        async def one(seed: int) -> bool:
            r = await http.post(
                f"{urls['queue']}/{ENDPOINT}", json={"prompt": "bench", "seed": seed}
            )
            r.raise_for_status()
            body = r.json()
            while True:
                await asyncio.sleep(NAIVE_POLL)
                s = await http.get(body["status_url"], params={"logs": "1"})
                if s.json().get("status") == "COMPLETED":
                    break
            res = await http.get(body["response_url"])
            return res.status_code == 200

        start = time.perf_counter()
        results = await asyncio.gather(*(one(i + 1) for i in range(n)))
        wall = time.perf_counter() - start
    return {"wall": wall, "done": sum(results), "all_final": True, "extra": ""}


def child_main(args: argparse.Namespace) -> None:
    """Run one peer once and print a JSON line of figures."""
    urls = json.loads(args.urls)
    if args.trace:
        tracemalloc.start()
    runner = run_naive if args.child == "naive" else run_ours
    out = asyncio.run(runner(args.n, urls, args.key, args))
    if args.trace:
        out["trace_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out["rss_mib"] = _peak_rss_mib()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(out))


def run_child(peer: str, emulator: Any, args: argparse.Namespace, *, trace: bool) -> dict:
    """Run a peer in a child process; returns its figures plus the emulator's request counts."""
    from faltui.emulator import DEMO_KEY

    before = dict(emulator.counters)
    cmd = [
        sys.executable,
        __file__,
        "--child",
        peer,
        "-n",
        str(args.n),
        "--urls",
        json.dumps(emulator.urls),
        "--key",
        DEMO_KEY,
        "--max-active",
        str(args.max_active),
        "--poll-interval",
        str(args.poll_interval),
        "--timeout",
        str(args.timeout),
    ]
    if trace:
        cmd.append("--trace")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{peer} run failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    after = emulator.counters
    out["requests"] = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return out


def main(argv: list[str] | None = None) -> None:
    """Parse arguments; as the parent, start the emulator and run both peers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="jobs per peer (default 200)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.5,
        help="emulator tick length in seconds (1.0 = fal-like; default 0.5: jobs take ~4 s)",
    )
    parser.add_argument("--max-active", type=int, default=64, help="our status stream bound")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=None,
        help="our base poll interval (default: faltui's default poll_interval x time scale)",
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced runs")
    parser.add_argument(
        "--peers", default=",".join(PEERS), help=f"comma-separated subset of {', '.join(PEERS)}"
    )
    parser.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args)
        return

    from faltui.emulator import Emulator

    with Emulator(time_scale=args.time_scale) as emulator:
        if args.poll_interval is None:  # faltui's default interval, on the emulator's clock
            from faltui.core.config import Settings

            default = Settings.__dataclass_fields__["poll_interval"].default
            args.poll_interval = float(default) * args.time_scale  # type: ignore[arg-type]
        print(
            f"bench_jobs: {args.n} jobs per peer, emulator time scale {args.time_scale} "
            f"(tick {args.time_scale:g} s), ours: max_active={args.max_active} "
            f"poll_interval={args.poll_interval:g}s; naive: poll every {NAIVE_POLL}s; "
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        )
        rows = []
        peers = [p.strip() for p in args.peers.split(",") if p.strip() in PEERS]
        for peer in peers:
            plain = run_child(peer, emulator, args, trace=False)
            traced = None if args.no_tracemalloc else run_child(peer, emulator, args, trace=True)
            rows.append((peer, plain, traced))
        header = (
            f"{'peer':9} {'wall s':>8} {'done':>6} {'status req/job':>15} {'stream req/job':>15} "
            f"{'total req':>10} {'req/s':>6} {'CPU s':>6} "
            f"{'peak RSS MiB':>13} {'tracemalloc MiB':>16}"
        )
        print(header)
        print("-" * len(header))
        for peer, plain, traced in rows:
            req = plain["requests"]
            trace = f"{traced['trace_peak_mib']:.1f}" if traced else "-"
            status, streams = req.get("status", 0) / args.n, req.get("status_stream", 0) / args.n
            print(
                f"{peer:9} {plain['wall']:8.2f} {plain['done']:6d} "
                f"{status:15.2f} {streams:15.2f} "
                f"{sum(req.values()):10d} {sum(req.values()) / plain['wall']:6.0f} "
                f"{plain['cpu_s']:6.2f} "
                f"{plain['rss_mib']:13.1f} {trace:>16}"
            )
        for peer, plain, _ in rows:
            if plain["extra"]:
                print(f"{peer}: {plain['extra']}")


if __name__ == "__main__":
    main()
