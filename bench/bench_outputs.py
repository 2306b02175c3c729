"""Benchmark: the core ``Outputs`` service vs a naive peer, against one in-process emulator.

* download — ``Outputs.download_all`` (4 at a time, streamed to disk in 256 KiB chunks, progress
  callback on) vs naive: one ``httpx`` GET after another, ``response.content`` then
  ``write_bytes`` (the shape of the old CLI ``download_all``). Wall time, MB/s, and peak Python
  allocations (``tracemalloc``, a second pass, since tracing slows things down).
* preview — a file larger than the preview cap: ``Outputs.preview_bytes`` (refuses on the
  announced length) vs naive (downloads it all, then checks the size).
* data-url — decoding a base64 ``data:`` URL: ``decode_data_url`` (percent-decoding, whitespace,
  padding, exact bytes) vs plain ``base64.b64decode`` of the payload.

The emulator runs in a child process, so the traced allocations are the client's alone.

Prints figures only (no assertions)::

    python bench/bench_outputs.py [--files 24] [--size-mib 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


def serve(count: int, size: int, big: int, conn: Any) -> None:
    """Child process: an emulator holding ``count`` files of ``size`` bytes and one of ``big``."""
    from faltui.emulator import Emulator

    with Emulator() as emulator:
        kind = "application/octet-stream"
        for n in range(count):
            emulator.files.put(f"out/bench/{n}.bin", os.urandom(size), kind)
        emulator.files.put("out/bench/big.bin", os.urandom(big), kind)
        conn.send(emulator.base_url)
        conn.recv()  # until the parent is done


async def ours_download(urls: list[str], folder: Path) -> int:
    from faltui.core.outputs import OutputFile, Outputs

    items = [OutputFile(url, ("files", n), "file") for n, url in enumerate(urls)]
    ticks = 0

    def progress(_: object) -> None:
        nonlocal ticks
        ticks += 1

    async with Outputs(folder) as outputs:
        report = await outputs.download_all(items, on_progress=progress)
    assert report.complete
    return ticks


async def naive_download(urls: list[str], folder: Path) -> int:
    import httpx

    folder.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient() as http:
        for n, url in enumerate(urls):
            response = await http.get(url)
            response.raise_for_status()
            (folder / f"{n}.bin").write_bytes(response.content)
    return 0


async def ours_preview(url: str, cap: int) -> int:
    from faltui.core.outputs import Outputs, PreviewTooLarge

    async with Outputs(tempfile.gettempdir()) as outputs:
        try:
            return len(await outputs.preview_bytes(url, cap))
        except PreviewTooLarge:
            return 0


async def naive_preview(url: str, cap: int) -> int:
    import httpx

    async with httpx.AsyncClient() as http:
        data = (await http.get(url)).content
    return len(data) if len(data) <= cap else 0


def timed(run: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """(seconds, peak MiB of Python allocations) — two passes, the second traced."""
    started = time.perf_counter()
    asyncio.run(run())
    seconds = time.perf_counter() - started
    tracemalloc.start()
    asyncio.run(run())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / MIB


def bench_files(base: str, args: argparse.Namespace, size: int, tmp: Path) -> None:
    urls = [f"{base}/files/out/bench/{n}.bin" for n in range(args.files)]
    total_mib = args.files * size / MIB
    print(f"download: {args.files} files × {args.size_mib:g} MiB = {total_mib:.0f} MiB")
    rounds = iter(range(10_000))
    for name, peer in (("ours", ours_download), ("naive", naive_download)):
        seconds, peak = timed(lambda peer=peer: peer(urls, tmp / str(next(rounds))))
        print(
            f"  {name:<6} {seconds:6.2f} s  {total_mib / seconds:7.1f} MiB/s  "
            f"peak alloc {peak:7.1f} MiB"
        )
    big = f"{base}/files/out/bench/big.bin"
    cap = 16 * MIB
    print("preview: a 64 MiB file, cap 16 MiB")
    for name, peer in (("ours", ours_preview), ("naive", naive_preview)):
        seconds, peak = timed(lambda peer=peer: peer(big, cap))
        print(f"  {name:<6} {seconds:6.2f} s  peak alloc {peak:7.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--size-mib", type=float, default=2.0)
    args = parser.parse_args()

    from faltui.core.outputs import decode_data_url

    size = int(args.size_mib * MIB)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(args.files, size, 64 * MIB, child))
    server.start()
    base = parent.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench_files(base, args, size, Path(tmp))
    finally:
        parent.send("stop")
        server.join()

    raw = os.urandom(8 * MIB)
    payload = base64.b64encode(raw).decode()
    url = "data:application/octet-stream;base64," + payload
    print("data-url: 8 MiB of base64")
    for name, decode in (
        ("ours", lambda: decode_data_url(url)),
        ("plain", lambda: base64.b64decode(payload)),
    ):
        started = time.perf_counter()
        for _ in range(5):
            assert decode() == raw
        print(f"  {name:<6} {(time.perf_counter() - started) / 5 * 1000:6.1f} ms per decode")


if __name__ == "__main__":
    main()
