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

The job list under load (``--scenarios joblist,peer``, no emulator): the app holds
``--jobs`` live jobs (default 1,000) of which a tenth change every 100 ms
(``bench/joblist_load.py``); ``down``/``up`` keys are posted through the driver while they
change, and each is timed until the cursor is on the next job, until Results shows that job's
request id, and until the screen is painted; lines the job list drew per key and whole-screen
layouts are counted. ``peer`` is a bare Textual app carrying the same load (a 1,000-row
``DataTable`` and a ``Static`` showing the highlighted row), measured the same way in the same
run; the ratio column is ours / peer's.

``--blackbox`` measures the same from outside, as issue #10 asks: each app runs in a real
terminal (a tmux session, 160×48), a key is sent with ``tmux send-keys`` and the time until
``tmux capture-pane`` shows the new row's request id in the results area is recorded.

Prints figures only (no assertions)::

    python bench/bench_tui.py [-n 200] [--time-scale 0.3] [--profile out.prof]
    python bench/bench_tui.py --scenarios joblist,peer [--jobs 1000] [--probes 200]
    python bench/bench_tui.py --blackbox [--jobs 1000] [--probes 100]
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
BENCH = str(Path(__file__).resolve().parent)
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

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


# -- the job list under load (no emulator) -------------------------------------------------

#: Keys per direction before the probe turns around (stays inside the list).
SWEEP = 25
JOBLIST_SCENARIOS = ("joblist", "peer", "peer-live")


class ListProbe:
    """Moves the highlight of ``faltui`` or ``peer`` with keys posted through the driver."""

    def __init__(self, app: Any, kind: str) -> None:
        self.app = app
        self.kind = kind
        self.count = 0
        self.highlight: list[float] = []
        self.results: list[float] = []
        self.painted: list[float] = []
        self.lines: list[int] = []
        self.failures = 0

    def _row(self) -> int:
        if self.kind.startswith("peer"):
            return int(self.app.cursor_row)
        row = self.app.main.job_table.rows.cursor_index
        return -1 if row is None else int(row)

    def _shows(self, request: str) -> bool:
        if self.kind.startswith("peer"):
            return f"request {request}" in self.app.shown_request
        job = self.app.main.results.job
        return job is not None and job.request_id == request

    def _lines_drawn(self) -> int:
        if self.kind.startswith("peer"):
            return 0
        return int(self.app.main.job_table.job_list.lines_drawn)

    def _send(self, key: str) -> None:
        from textual import events

        event = events.Key(key, None)
        event.set_sender(self.app)
        self.app._driver.send_message(event)

    async def _painted(self) -> float:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[float] = loop.create_future()
        self.app.screen.call_after_refresh(
            lambda: done.done() or done.set_result(time.perf_counter())
        )
        try:
            return await asyncio.wait_for(done, STEP_TIMEOUT)
        except TimeoutError:
            return float("nan")

    async def probe(self) -> None:
        """One ``down`` (or ``up`` on the way back), timed to highlight, results and paint."""
        from joblist_load import request_id

        down = (self.count // SWEEP) % 2 == 0
        self.count += 1
        before = self._row()
        target = before + (1 if down else -1)
        expected = request_id(target)
        lines = self._lines_drawn()
        start = time.perf_counter()
        self._send("down" if down else "up")
        if not await wait_for(lambda: self._row() == target):
            self.failures += 1
            return
        moved = time.perf_counter()
        if not await wait_for(lambda: self._shows(expected)):
            self.failures += 1
            return
        shown = time.perf_counter()
        painted = await self._painted()
        self.highlight.append(moved - start)
        self.results.append(shown - start)
        self.painted.append(painted - start)
        self.lines.append(self._lines_drawn() - lines)


async def run_joblist_scenario(args: argparse.Namespace) -> dict:
    """``joblist`` (faltui) or ``peer`` (bare Textual) with ``args.jobs`` live jobs."""
    import random

    from joblist_load import PeerApp, faltui_app, focus_jobs

    kind = args.child
    result: dict[str, Any] = {"scenario": kind, "n": args.jobs}
    with tempfile.TemporaryDirectory(prefix="faltui-bench-list-") as tmp:
        frames = FrameMeter()
        frames.install()
        if kind.startswith("peer"):
            app: Any = PeerApp(args.jobs, live=kind == "peer-live")
        else:
            app = faltui_app(args.jobs, Path(tmp))
        async with app.run_test(size=(160, 48)) as pilot:
            if kind.startswith("peer"):
                await wait_for(lambda: app.query_one("DataTable").row_count == args.jobs, 60)
            else:
                table = app.main.job_table
                await wait_for(lambda: len(table.shown_ids) == args.jobs, 60)
                focus_jobs(app)
            await pilot.pause(0.5)
            probe = ListProbe(app, kind)
            for _ in range(5):  # warm-up, not recorded
                await probe.probe()
            probe.highlight.clear(), probe.results.clear(), probe.painted.clear()
            probe.lines.clear()
            lag = LagMonitor()
            lag.start()
            frames.recording = lag.recording = True
            cpu0, t0 = _cpu(), time.perf_counter()
            rng = random.Random(7)
            for _ in range(args.probes):
                await probe.probe()
                await asyncio.sleep(rng.uniform(0.03, 0.09))
            frames.recording = lag.recording = False
            result["window_s"] = time.perf_counter() - t0
            result["cpu_s"] = _cpu() - cpu0
            await lag.stop()
            result.update(
                lag=lag.delays,
                frames=frames.frames,
                layouts=frames.layouts,
                highlight=probe.highlight,
                results=probe.results,
                painted=probe.painted,
                lines=probe.lines,
                probe_failures=probe.failures,
            )
    result["peak_rss_mib"] = _peak_rss_mib()
    return result


def print_comparison(
    ours: dict, peers: list[dict], title: str, rows: list[tuple[str, Any]]
) -> None:
    """One line per figure: ours, each peer's, and ours / that peer's."""
    print(title)
    head = ["", "faltui"]
    for peer in peers:
        head += [peer["scenario"], "ratio"]
    body: list[list[str]] = []
    for label, fn in rows:
        ours_value = fn(ours)
        line = [label, _fmt(ours_value)]
        for peer in peers:
            value = fn(peer)
            ratio = "—"
            if isinstance(ours_value, float | int) and isinstance(value, float | int) and value:
                ratio = f"{ours_value / value:.2f}"
            line += [_fmt(value), ratio]
        body.append(line)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    for row in [head, *body]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _p(values: list[float], q: float | None) -> float:
    if not values:
        return float("nan")
    return 1000 * (max(values) if q is None else _pct(values, q))


JOBLIST_ROWS: list[tuple[str, Any]] = [
    ("key probes", lambda r: len(r["painted"])),
    ("key→highlight p50 ms", lambda r: _p(r["highlight"], 0.5)),
    ("key→highlight p95 ms", lambda r: _p(r["highlight"], 0.95)),
    ("key→results p50 ms", lambda r: _p(r["results"], 0.5)),
    ("key→results p95 ms", lambda r: _p(r["results"], 0.95)),
    ("key→painted p50 ms", lambda r: _p(r["painted"], 0.5)),
    ("key→painted p95 ms", lambda r: _p(r["painted"], 0.95)),
    ("key→painted max ms", lambda r: _p(r["painted"], None)),
    ("loop lag p95 ms", lambda r: _p(r["lag"], 0.95)),
    ("frames", lambda r: len(r["frames"])),
    ("frames with a layout pass", lambda r: len(r["layouts"])),
    ("frame p95 ms", lambda r: _p(r["frames"], 0.95)),
    ("CPU % of one core", lambda r: 100 * r["cpu_s"] / r["window_s"]),
    ("peak RSS MiB", lambda r: r["peak_rss_mib"]),
]


def run_joblist(args: argparse.Namespace) -> None:
    """Both list scenarios in child processes, then the comparison."""
    results: dict[str, dict] = {}
    for scenario in JOBLIST_SCENARIOS:
        cmd = [sys.executable, __file__, "--child", scenario, "--jobs", str(args.jobs)]
        cmd += ["--probes", str(args.probes)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"{scenario} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
            return
        results[scenario] = json.loads(line.removeprefix("RESULT "))
    ours = results["joblist"]
    peers = [results["peer"], results["peer-live"]]
    print("load average (the machine is shared): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print_comparison(
        ours,
        peers,
        f"Job list under load, Pilot level: {args.jobs} live jobs, a tenth changing every "
        f"100 ms; app headless 160×48; {os.cpu_count()} CPUs; peer = bare Textual "
        "(1,000-row DataTable + Static): peer unchanging (issue #10's floor), peer-live with "
        "the same updates",
        JOBLIST_ROWS,
    )
    lines = ours["lines"]
    if lines:
        print(
            f"job list lines drawn per key: p50 {_pct(lines, 0.5)}, max {max(lines)} "
            f"(2 = the old and the new cursor line; more when a wave of updates or the "
            f"elapsed tick landed in the same frame)"
        )
    for r in (ours, *peers):
        if r["probe_failures"]:
            print(f"{r['scenario']}: {r['probe_failures']} probe(s) timed out")


# -- black box: tmux ----------------------------------------------------------------------


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _proc_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def blackbox_one(kind: str, args: argparse.Namespace) -> dict:
    """Run ``joblist_load.py kind`` in tmux and time keys to the screen showing their effect."""
    import random

    from joblist_load import request_id

    session = f"faltui-bench-{kind}-{os.getpid()}"
    script = Path(__file__).with_name("joblist_load.py")
    command = f"exec {sys.executable} {script} {kind} -n {args.jobs}"
    env_home = tempfile.mkdtemp(prefix="faltui-bench-bb-")
    _tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "160",
        "-y",
        "48",
        "-e",
        f"FALTUI_HOME={env_home}",
        command,
    )
    result: dict[str, Any] = {"scenario": kind, "painted": [], "failures": 0}
    try:
        pid = int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        ready = f"request {request_id(0)}"
        deadline = time.monotonic() + 90
        while ready not in _tmux("capture-pane", "-p", "-t", session):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} never showed {ready!r}")
            time.sleep(0.1)
        time.sleep(2.0)  # let the first waves and layouts settle
        rng = random.Random(7)
        row = 0
        cpu0, t0 = _proc_cpu(pid), time.perf_counter()
        for count in range(args.probes + 5):
            down = (count // SWEEP) % 2 == 0
            target = row + (1 if down else -1)
            expected = f"request {request_id(target)}"
            start = time.perf_counter()
            _tmux("send-keys", "-t", session, "Down" if down else "Up")
            while expected not in _tmux("capture-pane", "-p", "-t", session):
                if time.perf_counter() - start > STEP_TIMEOUT:
                    result["failures"] += 1
                    break
            else:
                if count >= 5:  # the first five warm up
                    result["painted"].append(time.perf_counter() - start)
            row = target
            time.sleep(rng.uniform(0.05, 0.15))
        result["window_s"] = time.perf_counter() - t0
        result["cpu_s"] = _proc_cpu(pid) - cpu0
        result["peak_rss_mib"] = _proc_hwm_mib(pid)
    finally:
        _tmux("kill-session", "-t", session)
    return result


BLACKBOX_ROWS: list[tuple[str, Any]] = [
    ("key probes", lambda r: len(r["painted"])),
    ("key→screen p50 ms", lambda r: _p(r["painted"], 0.5)),
    ("key→screen p95 ms", lambda r: _p(r["painted"], 0.95)),
    ("key→screen max ms", lambda r: _p(r["painted"], None)),
    ("app CPU % of one core", lambda r: 100 * r["cpu_s"] / r["window_s"]),
    ("app peak RSS MiB", lambda r: r["peak_rss_mib"]),
]


def run_blackbox(args: argparse.Namespace) -> None:
    """The tmux probe on both apps, then the comparison."""
    ours = blackbox_one("faltui", args)
    peers = [blackbox_one("peer", args), blackbox_one("peer-live", args)]
    print("load average (the machine is shared): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print_comparison(
        ours,
        peers,
        f"Job list under load, black box (tmux 160×48, send-keys → capture-pane shows the new "
        f"row's request id): {args.jobs} live jobs, a tenth changing every 100 ms; "
        f"{os.cpu_count()} CPUs; peer unchanging (issue #10's floor), peer-live with the same "
        "updates",
        BLACKBOX_ROWS,
    )
    for r in (ours, *peers):
        if r["failures"]:
            print(f"{r['scenario']}: {r['failures']} probe(s) timed out")


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
    parser.add_argument("--jobs", type=int, default=1000, help="live jobs in joblist/peer")
    parser.add_argument("--blackbox", action="store_true", help="tmux probe of joblist/peer")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child in JOBLIST_SCENARIOS:
        result = asyncio.run(run_joblist_scenario(args))
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    if args.child:
        result = asyncio.run(run_scenario(args, json.loads(args.urls), args.key))
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    if args.blackbox:
        run_blackbox(args)
        return 0
    if set(args.scenarios.split(",")) <= set(JOBLIST_SCENARIOS):
        run_joblist(args)
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
