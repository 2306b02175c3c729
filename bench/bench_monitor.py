"""Benchmark: monitoring many jobs — ours vs fal-client, same emulator, same run, over HTTPS.

The emulator runs as its own process (``faltui emulator --tls``: the client pays TLS as it
does with fal), with a spread of job timelines: each job spends 0–4 s queued and 2–56 s in
progress (one log line a second), drawn from a fixed seed, so both peers get the same
sequence. Before each run the emulator is reset (no jobs, no counters).

* ours — ``FalClient`` + ``JobManager`` with a SQLite journal and the default settings a user
  gets (``Settings()``: poll interval, stream bound), ``submit_batch`` then ``wait_all``. A
  job's result is "in hand" when the manager reports it ``done`` (fetched and journaled).
* fal-client — the official ``fal_client.AsyncClient().subscribe`` with its defaults, one
  task per job, configured only by ``FAL_KEY``, ``FAL_QUEUE_RUN_HOST``, ``FAL_RUN_HOST`` and
  ``SSL_CERT_FILE``; the result is in hand when ``subscribe`` returns.

Each peer runs in its own process. Figures per peer: requests per job (the emulator's
counters: submit, status, status stream, result, …), client CPU seconds from the first submit
to the last result (``time.process_time`` in the peer's process), peak RSS, and detection lag
= result in hand − the instant the emulator finished the job (``GET /_emulator/jobs``).

    python bench/bench_monitor.py [--jobs 20,1000] [--peers ours,fal-client] [--http2]

``--http2`` serves the emulator with Hypercorn (HTTP/2 over TLS, ALPN) instead of uvicorn
and turns on httpx's HTTP/2 in our client (``pip install hypercorn h2``): what multiplexing
every status stream over one connection does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENDPOINT = "fal-ai/flux/dev"
PEERS = ("ours", "fal-client")
TIMELINE = {"queue_ticks": [0, 4], "progress_ticks": [2, 56], "seed": 1}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

HYPERCORN_CHILD = """
import asyncio, sys
from hypercorn.asyncio import serve
from hypercorn.config import Config
from faltui.emulator import Emulator
from faltui.emulator.app import build_app
from faltui.emulator.tls import identities, make_tls_files
from pathlib import Path
port, run_port, tls_dir = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
files = make_tls_files(tls_dir, identities("127.0.0.1", []))
emu = Emulator("127.0.0.1", port, run_port=run_port, ssl_certfile=files.cert,
               ssl_keyfile=files.key)
config = Config()
config.bind = [f"127.0.0.1:{port}", f"127.0.0.1:{run_port}"]
config.certfile, config.keyfile = str(files.cert), str(files.key)
config.alpn_protocols = ["h2", "http/1.1"]
config.loglevel = "WARNING"
config.keep_alive_timeout = 75
config.h2_max_concurrent_streams = int(sys.argv[4])
print(f"SSL_CERT_FILE={files.ca}", flush=True)
print("Press Ctrl-C", flush=True)
asyncio.run(serve(build_app(emu), config))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class EmulatorProcess:
    """``faltui emulator --tls`` (or the same app under Hypercorn) in a child process."""

    def __init__(self, tmp: Path, *, http2: bool, h2_streams: int, tls: bool = True) -> None:
        self.port, self.run_port = free_port(), free_port()
        tls_dir = tmp / "tls"
        if http2:
            cmd = [sys.executable, "-c", HYPERCORN_CHILD, str(self.port), str(self.run_port)]
            cmd += [str(tls_dir), str(h2_streams)]
        else:
            cmd = [sys.executable, "-m", "faltui", "emulator"]
            cmd += ["--tls", "--tls-dir", str(tls_dir)] if tls else []
            cmd += ["--port", str(self.port), "--run-port", str(self.run_port)]
        env = {**os.environ, "FALTUI_HOME": str(tmp / "home")}
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env
        )
        assert self.proc.stdout is not None
        self.ca = ""
        lines = []
        for line in self.proc.stdout:
            lines.append(line)
            found = re.search(r"SSL_CERT_FILE=(\S+)", line)
            if found:
                self.ca = found.group(1)
            if "Press Ctrl-C" in line:
                break
        if (tls or http2) and not self.ca:
            raise SystemExit("the emulator did not start:\n" + "".join(lines))
        self.base = f"{'https' if self.ca else 'http'}://127.0.0.1:{self.port}"
        import httpx

        self.admin = httpx.Client(base_url=self.base, verify=self._ssl(), timeout=60.0)

    def _ssl(self) -> Any:
        import ssl

        return ssl.create_default_context(cafile=self.ca) if self.ca else True

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def prepare(self) -> None:
        """No jobs, no counters, the benchmark's timeline."""
        self.admin.post("/_emulator/reset").raise_for_status()
        self.admin.post("/_emulator/chaos", json={"timeline": TIMELINE}).raise_for_status()

    def counters(self) -> dict[str, int]:
        stats = self.admin.get("/_emulator/stats").json()
        return {k: v for k, v in stats["counters"].items() if not k.endswith("_wakeups")}

    def finish_instants(self) -> dict[str, float]:
        jobs = self.admin.get("/_emulator/jobs").json()["jobs"]
        return {job["request_id"]: job["finished_at"] for job in jobs}

    def close(self) -> None:
        self.admin.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the peers (each in its own process) --------------------------------------------------------


async def run_ours(n: int, base: str, args: argparse.Namespace) -> dict[str, Any]:
    from faltui.core.client import FalClient
    from faltui.core.config import Paths, Settings
    from faltui.core.job import JobEvent, JobState
    from faltui.core.jobs import JobManager
    from faltui.core.journal import Journal
    from faltui.emulator import DEMO_KEY

    in_hand: dict[str, float] = {}

    def on_event(event: JobEvent) -> None:
        job = event.job
        if event.kind == "finished" and job.state is JobState.done and job.request_id:
            in_hand[job.request_id] = time.time()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
        urls = {
            "queue": base,
            "run": base,
            "rest": base,
            "cdn": base,
            "platform": base + "/v1",
            "openapi": base + "/api/openapi/queue/openapi.json",
        }
        settings = Settings(key=DEMO_KEY, urls=urls, paths=paths)
        client = FalClient(settings, http2=args.http2)
        journal = Journal(home / "journal.sqlite3")
        manager = JobManager(
            client, journal, max_active=settings.max_active_jobs, on_event=on_event
        )
        cpu0, wall0 = time.process_time(), time.perf_counter()
        payloads = [{"prompt": "bench", "seed": seed} for seed in range(1, n + 1)]
        jobs = await manager.submit_batch(ENDPOINT, payloads)
        submitted = time.perf_counter() - wall0
        finished = await manager.wait_all(timeout=args.timeout)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        stats = manager.scheduler.stats
        extra = (
            f"all submitted after {submitted:.1f} s; "
            f"streams opened {stats.streams_opened} (peak {stats.peak_streams}), polls "
            f"{stats.polls}, stream fallbacks {stats.stream_fallbacks}, poll errors "
            f"{stats.poll_errors}"
        )
        states: dict[str, int] = {}
        for job in jobs:
            states[job.state.value] = states.get(job.state.value, 0) + 1
        await manager.aclose()
        await client.aclose()
        journal.close()
    return {
        "in_hand": in_hand,
        "cpu_s": cpu,
        "wall_s": wall,
        "all_final": finished,
        "states": states,
        "extra": extra,
    }


async def run_fal_client(n: int, base: str, args: argparse.Namespace) -> dict[str, Any]:
    import fal_client

    client = fal_client.AsyncClient()
    in_hand: dict[str, float] = {}
    failures: list[str] = []

    async def one(seed: int) -> None:
        ids: list[str] = []
        try:
            await client.subscribe(
                ENDPOINT, {"prompt": "bench", "seed": seed}, on_enqueue=ids.append
            )
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        in_hand[ids[0]] = time.time()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(one(i + 1) for i in range(n))), args.timeout)
        finished = True
    except TimeoutError:
        finished = False
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    states = {"done": len(in_hand), "failed": len(failures)}
    extra = f"first failures: {failures[:2]}" if failures else ""
    return {
        "in_hand": in_hand,
        "cpu_s": cpu,
        "wall_s": wall,
        "all_final": finished,
        "states": states,
        "extra": extra,
    }


def child_main(args: argparse.Namespace) -> None:
    runner = run_ours if args.child == "ours" else run_fal_client
    out = asyncio.run(runner(args.n, args.base, args))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_mib"] = peak
    print(json.dumps(out))


# -- the parent -----------------------------------------------------------------------------------


def run_peer(peer: str, n: int, emu: EmulatorProcess, args: argparse.Namespace) -> dict[str, Any]:
    from faltui.emulator import DEMO_KEY

    emu.prepare()
    env = {
        **os.environ,
        "SSL_CERT_FILE": emu.ca,
        "FAL_KEY": DEMO_KEY,
        "FAL_QUEUE_RUN_HOST": f"127.0.0.1:{emu.port}",
        "FAL_RUN_HOST": f"127.0.0.1:{emu.run_port}",
    }
    cmd = [sys.executable, __file__, "--child", peer, "-n", str(n), "--base", emu.base]
    cmd += ["--timeout", str(args.timeout)]
    if args.pyspy and peer == "ours":  # sample our process (collapsed stacks, for profiling)
        cmd = ["py-spy", "record", "--rate", "100", "--format", "raw", "-o", args.pyspy, "--"]
        cmd += [sys.executable, __file__, "--child", peer, "-n", str(n), "--base", emu.base]
    if args.http2:
        cmd.append("--http2")
    emu_cpu0 = emu.cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=ROOT)
    emu_cpu = emu.cpu() - emu_cpu0
    if proc.returncode != 0:
        raise SystemExit(f"{peer} run failed:\n{proc.stderr[-3000:]}")
    last = [line for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    out: dict[str, Any] = json.loads(last)
    out["requests"] = emu.counters()
    finished = emu.finish_instants()
    out["lags"] = sorted(t - finished[rid] for rid, t in out["in_hand"].items() if rid in finished)
    out["emulator_cpu_s"] = emu_cpu
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(p * len(values)))]


def report(n: int, rows: dict[str, dict[str, Any]]) -> None:
    print(f"\n== {n} jobs ==")
    header = (
        f"{'peer':11} {'done':>5} {'req/job':>8} {'status':>7} {'streams':>8} {'client CPU s':>13} "
        f"{'lag p50 s':>10} {'lag p95 s':>10} {'lag max s':>10} {'wall s':>7} {'RSS MiB':>8} "
        f"{'emu CPU s':>10}"
    )
    print(header)
    print("-" * len(header))
    for peer, out in rows.items():
        req = out["requests"]
        total = sum(req.values())
        lags = out["lags"]
        print(
            f"{peer:11} {len(out['in_hand']):5d} {total / n:8.2f} {req.get('status', 0) / n:7.2f} "
            f"{req.get('status_stream', 0) / n:8.2f} {out['cpu_s']:13.2f} "
            f"{pct(lags, 0.5):10.3f} {pct(lags, 0.95):10.3f} {pct(lags, 1.0):10.3f} "
            f"{out['wall_s']:7.1f} {out['rss_mib']:8.1f} {out['emulator_cpu_s']:10.2f}"
        )
    for peer, out in rows.items():
        routes = ", ".join(f"{k} {v}" for k, v in sorted(out["requests"].items()))
        print(f"{peer}: states {out['states']}; requests: {routes}")
        if out.get("extra"):
            print(f"{peer}: {out['extra']}")
    if "ours" in rows and "fal-client" in rows:
        ours, peer = rows["ours"], rows["fal-client"]
        req_o = sum(ours["requests"].values()) / n
        req_p = sum(peer["requests"].values()) / n
        print(
            f"ratios ours/fal-client: requests/job {req_o / req_p:.2f} "
            f"({req_o:.2f} vs {req_p:.2f}), client CPU {ours['cpu_s'] / peer['cpu_s']:.2f} "
            f"({ours['cpu_s']:.2f} s vs {peer['cpu_s']:.2f} s), lag p95 "
            f"{pct(ours['lags'], 0.95):.3f} s vs {pct(peer['lags'], 0.95):.3f} s "
            f"(ratio {pct(ours['lags'], 0.95) / pct(peer['lags'], 0.95):.2f})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="20,1000", help="comma-separated job counts")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--http2", action="store_true", help="emulator under Hypercorn, h2")
    parser.add_argument(
        "--h2-streams", type=int, default=1000, help="Hypercorn's max concurrent streams"
    )
    parser.add_argument("--pyspy", metavar="FILE", help="py-spy our process into FILE (raw)")
    parser.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("-n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args)
        return
    counts = [int(x) for x in args.jobs.split(",") if x.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip() in PEERS]
    print(
        f"bench_monitor: jobs {counts}, peers {peers}, HTTPS{' + HTTP/2' if args.http2 else ''}, "
        f"timeline queued {TIMELINE['queue_ticks']} s + running {TIMELINE['progress_ticks']} s; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        emu = EmulatorProcess(Path(tmp), http2=args.http2, h2_streams=args.h2_streams)
        try:
            for n in counts:
                rows = {peer: run_peer(peer, n, emu, args) for peer in peers}
                report(n, rows)
        finally:
            emu.close()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
