"""Synthetic load for the job list benchmarks: N live jobs that keep logging.

Two apps carry the same load, so their figures compare:

* ``faltui`` — the real ``FaltuiApp`` (no key: nothing goes to the network), its job manager
  holding N running jobs; every 100 ms a tenth of them get a log line (``Step k/28``) and are
  marked changed, the way the core reports them; the main screen flushes them at 10 Hz.
* ``peer`` — a bare Textual app: a ``DataTable`` with the same N rows and a ``Static`` under it
  that shows the highlighted row's request id, nothing changing (the floor issue #10 measures
  against);
* ``peer-live`` — the same with the same load: every 100 ms the same tenth of the rows get a
  new log cell (``update_cell``).

In both, the results area says ``request rq-NNNN`` for the highlighted row (row NNNN), so a
black-box probe can tell from the screen alone that a key took effect.

Run one for real (the tmux probe of ``bench_tui.py --blackbox`` does)::

    python bench/joblist_load.py faltui -n 1000
    python bench/joblist_load.py peer -n 1000
    python bench/joblist_load.py peer-live -n 1000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable, Static  # noqa: E402

from faltui.core.client.models import LogLine  # noqa: E402
from faltui.core.job import Job, JobState  # noqa: E402

ENDPOINT = "fal-ai/flux/dev"
#: Seconds between two waves of updates; each wave touches ``1 / WAVES`` of the jobs.
WAVE_SECONDS = 0.1
WAVES = 10
STEPS = 28


def request_id(index: int) -> str:
    """The request id of row ``index`` (what the results area shows)."""
    return f"rq-{index:04d}"


def make_jobs(count: int, now: float | None = None) -> list[Job]:
    """``count`` running jobs, a second apart, each with a first log line."""
    now = time.time() if now is None else now
    jobs = []
    for index in range(count):
        created = now - 600 + index * 0.5
        job = Job(
            endpoint_id=ENDPOINT,
            input={"prompt": "a lighthouse at dusk, film grain", "seed": 1000 + index},
            id=f"job-{index:05d}",
            state=JobState.running,
            request_id=request_id(index),
            created_at=created,
            submitted_at=created + 0.2,
            started_at=created + 1,
        )
        job.add_logs([LogLine(f"Step 1/{STEPS}: denoising", "", "INFO")])
        jobs.append(job)
    return jobs


class Waves:
    """Which jobs change in each wave, and their next log line."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.wave = 0

    def next(self) -> tuple[range, int]:
        """(indexes of the rows to update, the step they reach)."""
        part = self.wave % WAVES
        step = 1 + (self.wave // WAVES) % STEPS
        self.wave += 1
        return range(part, self.count, WAVES), step


# -- faltui --------------------------------------------------------------------------------


def faltui_app(count: int, home: Path) -> Any:
    """The real app with ``count`` live jobs that keep changing (started on mount)."""
    from faltui.core.config import Paths, Settings
    from faltui.tui.app import FaltuiApp

    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    app = FaltuiApp(Settings(key=None, paths=paths))
    jobs = make_jobs(count)
    waves = Waves(count)

    def wave() -> None:
        rows, step = waves.next()
        for index in rows:
            job = jobs[index]
            job.add_logs([LogLine(f"Step {step}/{STEPS}: denoising", "", "INFO")])
            app.main._mark_dirty(job)  # what the job manager's event callback does

    def start() -> None:
        manager = app.services.jobs
        for job in jobs:
            manager._jobs[job.id] = job  # as if submitted (no network in this bench)
            app.main._mark_dirty(job)
        app.set_interval(WAVE_SECONDS, wave)

    app.call_after_refresh(start)
    return app


def focus_jobs(app: Any) -> None:
    """Put the keyboard in the job list, cursor on the first row."""
    app.main.action_pane("jobs")
    table = app.main.job_table
    table.job_list.focus()
    table.move_cursor(0)


# -- the peer ---------------------------------------------------------------------------------


class PeerApp(App[None]):
    """A bare Textual app: a 1,000-row DataTable and a Static showing the highlighted row."""

    CSS = """
    DataTable { height: 1fr; }
    #peer-results { height: 12; border-top: solid $panel-lighten-2; padding: 0 1; }
    """

    def __init__(self, count: int, *, live: bool = False) -> None:
        super().__init__()
        self.count = count
        self.live = live
        self.waves = Waves(count)
        self.started = time.time()

    def compose(self) -> ComposeResult:
        yield DataTable(id="peer-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="peer-results", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("model", "prompt", "state", "elapsed", "log"):
            table.add_column(key.title(), key=key)
        for index in range(self.count):
            table.add_row(
                "flux/dev",
                f"a lighthouse at dusk · seed {1000 + index}",
                "running",
                "10m00s",
                f"Step 1/{STEPS}: denoising",
                key=str(index),
            )
        table.focus()
        if self.live:
            self.set_interval(WAVE_SECONDS, self.wave)

    def wave(self) -> None:
        rows, step = self.waves.next()
        table = self.query_one(DataTable)
        for index in rows:
            table.update_cell(str(index), "log", f"Step {step}/{STEPS}: denoising")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        index = int(event.row_key.value or 0)
        self.query_one("#peer-results", Static).update(
            f"{ENDPOINT}  running  request {request_id(index)}\nStep 1/{STEPS}: denoising"
        )

    @property
    def cursor_row(self) -> int:
        """The highlighted row."""
        return self.query_one(DataTable).cursor_row

    @property
    def shown_request(self) -> str:
        """What the results area says."""
        return str(self.query_one("#peer-results", Static).render())


def main() -> int:
    parser = argparse.ArgumentParser(description="an app under synthetic job-list load")
    parser.add_argument("app", choices=("faltui", "peer", "peer-live"))
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    if args.app.startswith("peer"):
        PeerApp(args.n, live=args.app == "peer-live").run()
        return 0
    with tempfile.TemporaryDirectory(prefix="faltui-bench-probe-") as tmp:
        app = faltui_app(args.n, Path(tmp))

        def ready() -> None:
            app.call_after_refresh(focus_jobs, app)

        app.call_after_refresh(lambda: app.set_timer(0.5, ready))
        app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
