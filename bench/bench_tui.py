"""Benchmark: how responsive the TUI stays while hundreds of jobs run.

The fal emulator runs in its own process (``python -m faltui emulator --time-scale …``), as fal
is not in our process either. Each scenario runs the real ``FaltuiApp`` headless
(``app.run_test(size=(160, 48))``) in a fresh child process, so CPU time and peak RSS are the
app's own:

* ``baseline`` — the app with a model chosen and no jobs;
* ``quiet`` — like ``load`` below but without key probes (what the jobs alone cost);
* ``load`` — the same, then N jobs submitted through the form (``ParamForm.request_submit(N)``
  → ``Submit`` → ``FaltuiApp._submit``), measured until every job is final and on screen.

While a scenario runs it measures

* event-loop lag: a 20 ms asyncio timer in the app's loop (how late each tick fires);
* key-to-effect latency: key events posted through the driver the way a terminal's keys arrive
  (``driver.send_message(events.Key)``, not ``Pilot.press``, which waits for idle), either a word
  typed into the model search (until the list is re-ranked for it) or ``down`` (until the
  highlighted model changes); ``+paint`` adds the wait for the next screen refresh;
* time until all N jobs are accepted by fal, and until all are final;
* CPU seconds and peak RSS of the app process;
* screen updates (frames): how many, how many laid the whole screen out, and their time.

Prints figures only (no assertions)::

    python bench/bench_tui.py [-n 200] [--time-scale 0.3] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
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

ENDPOINT = "fal-ai/flux/dev"
LAG_TICK = 0.020
PROBE_GAP = 0.4
#: Searches typed in the probes (each lists several models, so ``down`` can move).
WORDS = ("whisper", "kling", "ideogram", "hunyuan", "minimax", "seedream", "upscale", "speech")
STEP_TIMEOUT = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- the emulator (its own process) --------------------------------------------------------


def start_emulator(time_scale: float) -> tuple[subprocess.Popen[str], dict[str, str], str]:
    """``python -m faltui emulator`` on a free port; returns (process, urls, key)."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faltui",
            "emulator",
            "--port",
            str(port),
            "--time-scale",
            str(time_scale),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    urls: dict[str, str] = {}
    key = ""
    for line in proc.stdout:
        line = line.strip()
        if line.startswith("FAL_KEY="):
            key = line.split("=", 1)[1]
        elif line.startswith("FALTUI_") and "_URL=" in line:
            name, url = line.split("=", 1)
            urls[name.removeprefix("FALTUI_").removesuffix("_URL").lower()] = url
        elif line.startswith("Press Ctrl-C"):
            break
    if not urls:
        proc.kill()
        raise RuntimeError("the emulator did not start")
    return proc, urls, key


# -- measuring inside the app's loop ------------------------------------------------------


class LagMonitor:
    """A ``LAG_TICK`` timer in the running loop recording how late each tick fires."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self.recording = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(LAG_TICK)
            if self.recording:
                self.delays.append(time.perf_counter() - before - LAG_TICK)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class FrameMeter:
    """Times every screen update (Textual's ``Screen._on_timer_update``) while recording.

    A frame either lays out the whole screen first (``layout``) or only repaints what changed.
    """

    def __init__(self) -> None:
        self.recording = False
        self.frames: list[float] = []
        self.layouts: list[float] = []

    def install(self) -> None:
        from textual.screen import Screen

        original = Screen._on_timer_update
        meter = self

        def timed(screen: Any) -> None:
            if not meter.recording:
                original(screen)
                return
            layout = bool(screen._layout_required)
            start = time.perf_counter()
            original(screen)
            elapsed = time.perf_counter() - start
            meter.frames.append(elapsed)
            if layout:
                meter.layouts.append(elapsed)

        Screen._on_timer_update = timed  # type: ignore[method-assign]


async def wait_for(predicate: Any, timeout: float = STEP_TIMEOUT, step: float = 0.002) -> bool:
    """Poll ``predicate`` every ``step`` seconds; False on timeout."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(step)
    return True


class KeyProber:
    """Posts key events through the driver and times their effect on the model browser."""

    def __init__(self, app: Any) -> None:
        from faltui.tui.widgets.model_browser import ModelBrowser

        self.app = app
        self.browser = app.main.query_one(ModelBrowser)
        self.typed: list[float] = []
        self.typed_paint: list[float] = []
        self.down: list[float] = []
        self.down_paint: list[float] = []
        self.failures = 0
        self._count = 0

    def _send(self, key: str, char: str | None) -> None:
        from textual import events

        event = events.Key(key, char)
        event.set_sender(self.app)
        self.app._driver.send_message(event)

    async def _painted(self) -> float:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[float] = loop.create_future()
        self.browser.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
        try:
            return await asyncio.wait_for(done, STEP_TIMEOUT)
        except TimeoutError:
            return float("nan")

    async def probe(self) -> None:
        """One word typed into the search box, then one ``down``."""
        word = WORDS[self._count % len(WORDS)]
        self._count += 1
        browser = self.browser
        self.app.main.action_search()
        browser.set_query("")
        if not await wait_for(lambda: browser.search_text == ""):
            self.failures += 1
            return
        await asyncio.sleep(0.02)
        start = time.perf_counter()
        for char in word:
            self._send(char, char)
        if not await wait_for(lambda: browser.search_text == word):
            self.failures += 1
            return
        effect = time.perf_counter()
        painted = await self._painted()
        self.typed.append(effect - start)
        self.typed_paint.append(painted - start)
        await asyncio.sleep(0.02)
        before = browser.highlighted_model
        shown = browser.shown
        key = "up" if shown and before is shown[-1] else "down"
        start = time.perf_counter()
        self._send(key, None)
        if not await wait_for(lambda: browser.highlighted_model is not before):
            self.failures += 1
            return
        effect = time.perf_counter()
        painted = await self._painted()
        self.down.append(effect - start)
        self.down_paint.append(painted - start)


# -- one scenario (in a child process) ----------------------------------------------------


def _settings(urls: dict[str, str], key: str, home: Path, time_scale: float) -> Any:
    from faltui.core.config import Paths, Settings

    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return Settings(
        key=key,
        key_source="bench",
        urls=urls,
        paths=paths,
        poll_interval=max(0.01, 0.5 * time_scale),
        demo=True,
    )


async def run_scenario(args: argparse.Namespace, urls: dict[str, str], key: str) -> dict:
    """Run the app headless; with ``args.n`` jobs unless the scenario is the baseline."""
    from faltui.core.state import Draft
    from faltui.tui.app import FaltuiApp

    n = 0 if args.child == "baseline" else args.n
    result: dict[str, Any] = {"scenario": args.child, "n": n}
    with tempfile.TemporaryDirectory(prefix="faltui-bench-tui-") as tmp:
        frames = FrameMeter()
        frames.install()
        app = FaltuiApp(_settings(urls, key, Path(tmp), args.time_scale))
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(lambda: not _catalog_busy(app), timeout=30)
            model = next(
                m for m in app.services.catalog.local_models() if m.endpoint_id == ENDPOINT
            )
            draft = Draft({"prompt": "a lighthouse at dusk, film grain"})
            app.state.keep_draft(ENDPOINT, draft)
            app.main.choose_model(model)
            form = app.main.query_one("#form")
            await wait_for(lambda: app.main.current_schema is not None, timeout=30)
            await wait_for(lambda: getattr(form, "endpoint_id", None) == ENDPOINT, timeout=30)
            await pilot.pause(0.3)
            prober = KeyProber(app)
            await prober.probe()  # warm-up (first rank, first paint), not recorded
            prober.typed.clear(), prober.typed_paint.clear()
            prober.down.clear(), prober.down_paint.clear()

            lag = LagMonitor()
            lag.start()
            frames.recording = True
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            cpu0, t0 = _cpu(), time.perf_counter()
            lag.recording = True
            if n:
                if not form.request_submit(n):
                    raise RuntimeError("the form refused to submit")
                watcher = asyncio.get_running_loop().create_task(watch_jobs(app, n, t0))
                while not watcher.done() and time.perf_counter() - t0 < args.timeout:
                    if args.child == "quiet":  # no keys: what the jobs alone cost
                        await asyncio.sleep(0.05)
                        continue
                    await prober.probe()
                    await asyncio.sleep(PROBE_GAP)
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                submitted, final = watcher_times(watcher)
                jobs = app.services.jobs.jobs()
                result["submitted_s"] = submitted
                result["final_s"] = final
                result["states"] = _count_states(jobs)
            else:
                for _ in range(args.probes):
                    await prober.probe()
                    await asyncio.sleep(PROBE_GAP)
            lag.recording = frames.recording = False
            result["window_s"] = time.perf_counter() - t0
            result["cpu_s"] = _cpu() - cpu0
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            await lag.stop()
            result["lag"] = lag.delays
            result["frames"] = frames.frames
            result["layouts"] = frames.layouts
            result["typed"] = prober.typed
            result["typed_paint"] = prober.typed_paint
            result["down"] = prober.down
            result["down_paint"] = prober.down_paint
            result["probe_failures"] = prober.failures
            result["table_rows"] = len(getattr(app.main.query_one("#jobs"), "shown_ids", []))
    result["cpu_total_s"] = _cpu()
    result["peak_rss_mib"] = _peak_rss_mib()
    return result


async def watch_jobs(app: Any, n: int, t0: float) -> tuple[float | None, float | None]:
    """Times (from ``t0``) when all ``n`` jobs were accepted by fal and when all were final
    and flushed to the table; checked every 10 ms."""
    submitted: float | None = None
    while True:
        jobs = app.services.jobs.jobs() if app.services.jobs is not None else []
        now = time.perf_counter() - t0
        complete = len(jobs) >= n
        if submitted is None and complete and all(j.request_id or j.final for j in jobs):
            submitted = now
        if complete and all(j.final for j in jobs) and not app.main._dirty:
            return submitted, now
        await asyncio.sleep(0.01)


def watcher_times(task: asyncio.Task[Any]) -> tuple[float | None, float | None]:
    """What ``watch_jobs`` found (``None`` for what it did not see before it was stopped)."""
    if task.cancelled():
        return None, None
    return task.result()


def _catalog_busy(app: Any) -> bool:
    return any(w.group == "catalog" and not w.is_finished for w in app.workers)


def _count_states(jobs: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for job in jobs:
        state = str(getattr(job.state, "value", job.state))
        counts[state] = counts.get(state, 0) + 1
    return counts


# -- the parent: run every scenario, print a table ----------------------------------------


def _ms(values: list[float], q: float | None = None) -> str:
    if not values:
        return "—"
    value = max(values) if q is None else _pct(values, q)
    return f"{value * 1000:.0f}"


def print_table(results: list[dict]) -> None:
    """One column per scenario."""
    rows: list[tuple[str, Any]] = [
        ("jobs", lambda r: str(r["n"])),
        ("window s", lambda r: f"{r['window_s']:.1f}"),
        ("all accepted by fal s", lambda r: _opt(r.get("submitted_s"))),
        ("all final (on screen) s", lambda r: _opt(r.get("final_s"))),
        ("loop lag ticks", lambda r: str(len(r["lag"]))),
        ("loop lag mean ms", lambda r: _mean(r["lag"])),
        ("loop lag p95 ms", lambda r: _ms(r["lag"], 0.95)),
        ("loop lag max ms", lambda r: _ms(r["lag"])),
        ("frames", lambda r: str(len(r["frames"]))),
        ("frames: layout passes", lambda r: str(len(r["layouts"]))),
        ("frame time total s", lambda r: f"{sum(r['frames']):.2f}"),
        ("  of it layout frames s", lambda r: f"{sum(r['layouts']):.2f}"),
        ("frame p95 ms", lambda r: _ms(r["frames"], 0.95)),
        ("frame max ms", lambda r: _ms(r["frames"])),
        ("probes (word + down)", lambda r: f"{len(r['typed'])}/{len(r['down'])}"),
        ("type word→ranked p50 ms", lambda r: _ms(r["typed"], 0.5)),
        ("type word→ranked max ms", lambda r: _ms(r["typed"])),
        ("type word→painted p50 ms", lambda r: _ms(r["typed_paint"], 0.5)),
        ("type word→painted max ms", lambda r: _ms(r["typed_paint"])),
        ("down→highlight p50 ms", lambda r: _ms(r["down"], 0.5)),
        ("down→highlight max ms", lambda r: _ms(r["down"])),
        ("down→painted p50 ms", lambda r: _ms(r["down_paint"], 0.5)),
        ("down→painted max ms", lambda r: _ms(r["down_paint"])),
        ("CPU s (window)", lambda r: f"{r['cpu_s']:.2f}"),
        ("CPU % of one core", lambda r: f"{100 * r['cpu_s'] / r['window_s']:.0f}"),
        ("CPU s (process total)", lambda r: f"{r['cpu_total_s']:.2f}"),
        ("peak RSS MiB", lambda r: f"{r['peak_rss_mib']:.0f}"),
        ("table rows", lambda r: str(r["table_rows"])),
    ]
    head = ["", *(r["scenario"] for r in results)]
    body = [[label, *(fn(r) for r in results)] for label, fn in rows]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    for row in [head, *body]:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    for r in results:
        if r.get("states"):
            print(f"{r['scenario']}: final states {r['states']}")
        if r["probe_failures"]:
            print(f"{r['scenario']}: {r['probe_failures']} probe(s) timed out")


def _opt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _mean(values: list[float]) -> str:
    return "—" if not values else f"{statistics.fmean(values) * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="jobs in the load scenario")
    parser.add_argument("--time-scale", type=float, default=0.3, help="emulator time scale")
    parser.add_argument("--probes", type=int, default=8, help="key probes in the baseline")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after s")
    parser.add_argument("--scenarios", default="baseline,quiet,load")
    parser.add_argument("--profile", help="write cProfile stats of the load window here")
    parser.add_argument("--json", action="store_true", help="print the raw results too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = asyncio.run(run_scenario(args, json.loads(args.urls), args.key))
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    proc, urls, key = start_emulator(args.time_scale)
    results = []
    try:
        for scenario in args.scenarios.split(","):
            cmd = [sys.executable, __file__, "--child", scenario, "--urls", json.dumps(urls)]
            cmd += ["--key", key, "-n", str(args.n), "--time-scale", str(args.time_scale)]
            cmd += ["--probes", str(args.probes), "--timeout", str(args.timeout)]
            if args.profile and scenario != "baseline":
                cmd += ["--profile", args.profile]
            out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                print(f"{scenario} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
                continue
            results.append(json.loads(line.removeprefix("RESULT ")))
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
    print(
        f"faltui TUI under load: {args.n} × {ENDPOINT}, emulator time scale {args.time_scale} "
        f"(separate process), app headless 160×48, {os.cpu_count()} CPUs"
    )
    if results:
        print_table(results)
    if args.json:
        print(json.dumps(results))
    if args.profile:
        import pstats

        print(f"\nprofile of the load window: {args.profile} (top 25 by own time)")
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
