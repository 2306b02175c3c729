"""Benchmark: many open status streams against one emulator (push-based streams).

The emulator runs in a child process (so its CPU time is its own, read from /proc); this
process submits jobs over HTTP and holds one raw SSE connection per job (``?logs=1``).

* timeline — N jobs (3 ticks queued, 5 in progress, a tick = ``--time-scale`` s), one stream
  each, opened right after the submit. Every event after the first is a change the emulator
  knows the instant of (a queue position at ``started_at - (p+1)·tick``, a log line at its
  timestamp, COMPLETED at ``started_at + inference_time``): its lag is arrival − that instant.
  The peer figure is the same run with ``--baseline`` streams.
* idle — N streams on jobs that stay queued (a tick of 10 000 s): the emulator's CPU use over
  ``--idle-seconds`` is the cost of idle streams (keep-alives every 15 s only).

Prints figures only (no assertions)::

    python bench/bench_streams.py [-n 1000] [--baseline 10] [--time-scale 1.0] [--idle-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENDPOINT = "fal-ai/flux/dev"
QUEUE_TICKS = 3
PROGRESS_TICKS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

CHILD = """
import sys, time
from faltui.emulator import Emulator
scale, queue_ticks = float(sys.argv[1]), int(sys.argv[2])
emu = Emulator(time_scale=scale)
emu.store.queue_ticks = queue_ticks
emu.store.progress_ticks = {progress}
emu.sse_keepalive = 15.0
emu.start()
print(emu.port, flush=True)
sys.stdin.read()
emu.stop()
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Child:
    """An emulator in a child process."""

    def __init__(self, scale: float, queue_ticks: int) -> None:
        code = CHILD.format(progress=PROGRESS_TICKS)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(scale), str(queue_ticks)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


async def _request(port: int, method: str, path: str, body: bytes = b"") -> tuple[Any, Any]:
    from faltui.emulator import DEMO_KEY

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Key {DEMO_KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    return reader, writer


async def _headers(reader: Any) -> dict[str, str]:
    status = await reader.readline()
    if not status.startswith(b"HTTP/1.1 2"):
        raise RuntimeError(f"unexpected answer {status!r}")
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


async def submit(port: int, seed: int) -> str:
    """Submit one job; its request id."""
    body = json.dumps({"prompt": "bench", "seed": seed}).encode()
    reader, writer = await _request(port, "POST", f"/{ENDPOINT}", body)
    headers = await _headers(reader)
    data = json.loads(await reader.readexactly(int(headers["content-length"])))
    writer.close()
    return str(data["request_id"])


async def stream(
    port: int, rid: str, events: list[tuple[float, dict]], stop: asyncio.Event
) -> None:
    """Read one status stream (chunked SSE), recording (arrival time, event)."""
    reader, writer = await _request(
        port, "GET", f"/fal-ai/flux/requests/{rid}/status/stream?logs=1"
    )
    await _headers(reader)
    buffer = b""
    try:
        while not stop.is_set():
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                return
            chunk = await reader.readexactly(size + 2)
            arrived = time.time()
            buffer += chunk[:-2]
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        events.append((arrived, json.loads(line[6:])))
    finally:
        writer.close()


def lags(all_events: list[list[tuple[float, dict]]], tick: float) -> list[float]:
    """Arrival − scheduled instant of every change event (each stream's first event skipped)."""
    out = []
    for events in all_events:
        if not events:
            continue
        logs = [e for _, ev in events for e in ev.get("logs") or []]
        if not logs:
            continue
        started = min(_ts(e["timestamp"]) for e in logs)
        for arrived, event in events[1:]:
            if event["status"] == "IN_QUEUE":
                at = started - (event["queue_position"] + 1) * tick
            elif event["status"] == "COMPLETED":
                at = started + event["metrics"]["inference_time"]
            elif event.get("logs"):
                at = max(_ts(e["timestamp"]) for e in event["logs"])
            else:
                at = started
            out.append(arrived - at)
    return out


def _ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


async def timeline(n: int, scale: float) -> dict[str, Any]:
    """N jobs, one stream each, to completion."""
    child = Child(scale, QUEUE_TICKS)
    stop = asyncio.Event()
    try:
        cpu0, t0, own0 = child.cpu(), time.monotonic(), time.process_time()
        all_events: list[list[tuple[float, dict]]] = [[] for _ in range(n)]
        gate = asyncio.Semaphore(50)

        async def one(index: int) -> None:
            async with gate:
                rid = await submit(child.port, index)
            await stream(child.port, rid, all_events[index], stop)

        await asyncio.gather(*(one(i) for i in range(n)))
        wall, cpu = time.monotonic() - t0, child.cpu() - cpu0
        own = time.process_time() - own0
    finally:
        stop.set()
        child.close()
    values = sorted(lags(all_events, scale))
    completed = sum(1 for ev in all_events if ev and ev[-1][1]["status"] == "COMPLETED")

    def pct(p: float) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] * 1000

    return {
        "streams": n,
        "completed": completed,
        "events": sum(len(ev) for ev in all_events),
        "lag_ms_p50": round(pct(0.50), 1),
        "lag_ms_p95": round(pct(0.95), 1),
        "lag_ms_p99": round(pct(0.99), 1),
        "lag_ms_max": round(values[-1] * 1000, 1),
        "lag_ms_mean": round(statistics.fmean(values) * 1000, 1),
        "later_than_a_tick": sum(1 for v in values if v > scale),
        "wall_s": round(wall, 2),
        "emulator_cpu_s": round(cpu, 2),
        "client_cpu_s": round(own, 2),
    }


async def idle(n: int, seconds: float) -> dict[str, Any]:
    """N streams on queued jobs: the emulator's CPU over ``seconds``."""
    child = Child(10_000.0, QUEUE_TICKS)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        gate = asyncio.Semaphore(50)
        events: list[list[tuple[float, dict]]] = [[] for _ in range(n)]

        async def one(index: int) -> None:
            async with gate:
                rid = await submit(child.port, index)
            await stream(child.port, rid, events[index], stop)

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        while sum(1 for ev in events if ev) < n:
            await asyncio.sleep(0.05)
        cpu0 = child.cpu()
        await asyncio.sleep(seconds)
        cpu = child.cpu() - cpu0
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        child.close()
    return {
        "streams": n,
        "idle_s": seconds,
        "emulator_cpu_s": round(cpu, 3),
        "emulator_cpu_pct": round(100 * cpu / seconds, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="concurrent streams")
    parser.add_argument("--baseline", type=int, default=10, help="streams of the peer run")
    parser.add_argument("--time-scale", type=float, default=1.0, help="seconds per tick")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load}; a job = {QUEUE_TICKS} + "
        f"{PROGRESS_TICKS} ticks of {args.time_scale:g} s",
        flush=True,
    )
    for n in (args.baseline, args.n):
        print("timeline", json.dumps(asyncio.run(timeline(n, args.time_scale))), flush=True)
    for n in (args.baseline, args.n):
        print("idle    ", json.dumps(asyncio.run(idle(n, args.idle_seconds))), flush=True)


if __name__ == "__main__":
    main()
