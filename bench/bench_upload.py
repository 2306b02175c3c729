"""Benchmark: a large file through our multipart upload vs one raw streaming PUT, same server.

The emulator runs as its own process (``faltui emulator``, plain HTTP, or ``--tls``). A file of
``--mib`` MiB (random bytes, made once) goes up

* ours — ``faltui.core.storage.upload_file`` (CDN token, then files over 100 MiB in parallel
  parts, streamed from disk), in a fresh process with ``FalClient``;
* peer — the floor: the same bytes in ONE streaming ``PUT`` to a signed upload URL of the same
  emulator (``POST /storage/upload/initiate``, then ``httpx.put(url, content=<open file>)``),
  in a fresh process.

Runs alternate (``--runs`` each); the figures are medians, and the ratio is also given as the
median of each pair of runs and as the ratio of the best runs (the machine is shared). RSS
growth = peak RSS during the upload − RSS just before it (``ru_maxrss`` vs
``/proc/self/statm``), per process.

    python bench/bench_upload.py [--mib 300] [--runs 3] [--tls] [--profile]
        [--parallel-parts N] [--part-mib N] [--chunk-kib N]   (try other storage settings)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_monitor import EmulatorProcess  # noqa: E402  (bench/ is on sys.path when run)


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def ours(path: Path, base: str, profile: bool, tuning: dict[str, int]) -> dict[str, Any]:
    from faltui.core import storage

    for name, value in tuning.items():  # e.g. PARALLEL_PARTS=8 (bench options)
        setattr(storage, name, value)
    from faltui.core.client import FalClient
    from faltui.core.config import Paths, Settings
    from faltui.emulator import DEMO_KEY

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
        urls = {name: base for name in ("queue", "run", "rest", "cdn")}
        urls |= {"platform": base + "/v1", "openapi": base + "/openapi.json"}
        client = FalClient(Settings(key=DEMO_KEY, urls=urls, paths=paths))
        await storage.cdn_token(client)  # the token is not what is measured
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        before, cpu0, t0 = rss_mib(), time.process_time(), time.perf_counter()
        url = await storage.upload_file(client, path)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(15)
        await client.aclose()
    return {"wall": wall, "cpu": cpu, "rss_growth": peak_rss_mib() - before, "url": url}


def raw_put(path: Path, base: str, ca: str | None) -> dict[str, Any]:
    import httpx

    from faltui.emulator import DEMO_KEY

    verify: Any = True
    if ca:
        import ssl

        verify = ssl.create_default_context(cafile=ca)
    with httpx.Client(timeout=300.0, verify=verify) as http:
        init = http.post(
            f"{base}/storage/upload/initiate",
            params={"storage_type": "fal-cdn-v3"},
            json={"file_name": path.name, "content_type": "application/octet-stream"},
            headers={"Authorization": f"Key {DEMO_KEY}"},
        )
        init.raise_for_status()
        upload_url = init.json()["upload_url"]
        before, cpu0, t0 = rss_mib(), time.process_time(), time.perf_counter()
        with path.open("rb") as fh:
            answer = http.put(
                upload_url,
                content=fh,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(path.stat().st_size),
                },
            )
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        answer.raise_for_status()
    return {"wall": wall, "cpu": cpu, "rss_growth": peak_rss_mib() - before}


def child(args: argparse.Namespace) -> None:
    path = Path(args.file)
    if args.child == "ours":
        out = asyncio.run(ours(path, args.base, args.profile, _tuning(args)))
    else:
        out = raw_put(path, args.base, args.ca)
    print(json.dumps(out))


def _tuning(args: argparse.Namespace) -> dict[str, int]:
    tuning = {}
    if args.parallel_parts:
        tuning["PARALLEL_PARTS"] = args.parallel_parts
    if args.part_mib:
        tuning["PART_SIZE"] = args.part_mib * 2**20
    if args.chunk_kib:
        tuning["CHUNK_SIZE"] = args.chunk_kib * 2**10
    return tuning


def run(kind: str, path: Path, emu: EmulatorProcess, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--file", str(path), "--base", emu.base]
    for flag in ("parallel_parts", "part_mib", "chunk_kib"):
        if getattr(args, flag):
            cmd += ["--" + flag.replace("_", "-"), str(getattr(args, flag))]
    env = dict(os.environ)
    if emu.ca:
        cmd += ["--ca", emu.ca]
        env["SSL_CERT_FILE"] = emu.ca
    if args.profile and kind == "ours":
        cmd.append("--profile")
    emu_cpu0 = emu.cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    if args.profile and kind == "ours":
        print(proc.stderr[-6000:])
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["emu_cpu"] = emu.cpu() - emu_cpu0
    emu.admin.post("/_emulator/reset")  # drop the stored file
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tls", action="store_true", help="HTTPS (the emulator's --tls)")
    parser.add_argument("--profile", action="store_true", help="cProfile our upload")
    parser.add_argument("--parallel-parts", type=int, help="storage.PARALLEL_PARTS to try")
    parser.add_argument("--part-mib", type=int, help="storage.PART_SIZE to try, in MiB")
    parser.add_argument("--chunk-kib", type=int, help="storage.CHUNK_SIZE to try, in KiB")
    parser.add_argument("--child", choices=("ours", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.bin"
        with path.open("wb") as fh:
            block = os.urandom(2**20)
            for i in range(args.mib):
                fh.write(block[i % 256 :] + block[: i % 256])
        emu = EmulatorProcess(Path(tmp), http2=False, h2_streams=0, tls=args.tls)
        rows: dict[str, list[dict[str, Any]]] = {"ours": [], "raw": []}
        try:
            for _ in range(args.runs):
                for kind in ("ours", "raw"):
                    rows[kind].append(run(kind, path, emu, args))
        finally:
            emu.close()
    size = args.mib
    from faltui.core import storage

    settings = ("PARALLEL_PARTS", "PART_SIZE", "CHUNK_SIZE")
    tuning = {name: getattr(storage, name) for name in settings}
    tuning |= _tuning(args)
    print(
        f"bench_upload: {size} MiB file, {args.runs} runs each, "
        f"{'HTTPS' if args.tls else 'HTTP'}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; parts of "
        f"{tuning['PART_SIZE'] // 2**20} MiB, {tuning['PARALLEL_PARTS']} in flight, read "
        f"{tuning['CHUNK_SIZE'] // 2**10} KiB at a time"
    )
    header = (
        f"{'':34} {'wall s':>7} {'MiB/s':>7} {'client CPU s':>13} {'RSS growth MiB':>15} "
        f"{'server CPU s':>13}"
    )
    print(header)
    print("-" * len(header))
    medians = {}
    for kind, label in (
        ("ours", "ours: multipart upload_file"),
        ("raw", "peer: one streaming PUT"),
    ):
        wall = statistics.median(r["wall"] for r in rows[kind])
        medians[kind] = wall
        print(
            f"{label:34} {wall:7.2f} {size / wall:7.1f} "
            f"{statistics.median(r['cpu'] for r in rows[kind]):13.2f} "
            f"{max(r['rss_growth'] for r in rows[kind]):15.1f} "
            f"{statistics.median(r['emu_cpu'] for r in rows[kind]):13.2f}"
        )
    walls = {k: [round(r["wall"], 2) for r in v] for k, v in rows.items()}
    print(f"all runs (s): {walls}")
    # Runs alternate, so run i of each met about the same load: the median of the pairs'
    # ratios and the ratio of the best runs say less about whoever else used the machine.
    pairs = [r["wall"] / o["wall"] for o, r in zip(rows["ours"], rows["raw"], strict=True)]
    best = min(r["wall"] for r in rows["raw"]) / min(r["wall"] for r in rows["ours"])
    print(
        f"throughput ratio ours/peer: {medians['raw'] / medians['ours']:.2f} (medians), "
        f"{statistics.median(pairs):.2f} (median of run pairs), {best:.2f} (best runs); "
        f"target >= 0.8; RSS growth target <= 64 MB"
    )


if __name__ == "__main__":
    main()
