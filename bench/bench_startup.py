"""Benchmark: start-up to first frame, faltui against a bare Textual app, black-box.

Each program is started in a fresh tmux window (160×48), a real terminal emulator that answers
the queries programs send at start (textual-image asks for graphics support and cell size), and
the clock runs from starting it until ``tmux capture-pane`` shows a marker text that is only
drawn in the first full frame (faltui: the Jobs pane's empty-table hint; the peer: the last row
of its list). The screen is polled every 5 ms (plus the few ms a capture takes).

Peer: a bare Textual app with a Static and an OptionList of 170 rows (faltui's bundled catalog
has 170 models), run by the same Python.

Prints the median and spread of ``--runs`` starts for each, and the ratio; no assertions::

    python bench/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, LINES = 160, 48
#: Give up on one start after this many seconds.
START_TIMEOUT = 30.0

PEER = """
from textual.app import App
from textual.widgets import OptionList, Static

class Bare(App):
    def compose(self):
        yield Static("bare textual app")
        yield OptionList(*[f"model {i:03}" for i in range(170)] + ["END-OF-LIST"])

    def on_mount(self):
        self.query_one(OptionList).highlighted = 170

Bare().run()
"""


def _screen(session: str) -> str:
    done = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
    )
    return done.stdout


def time_to_marker(argv: list[str], marker: str, env: dict[str, str]) -> float:
    """Seconds from starting ``argv`` in a fresh tmux window until ``marker`` is on screen.

    A tmux window gets the tmux server's environment, not the one of the command starting it:
    ``env`` is handed over with ``-e`` (and the window starts in ``FALTUI_HOME``)."""
    session = f"faltui-bench-{os.getpid()}"
    command = " ".join(shlex.quote(part) for part in argv)
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
    window = [option for name, value in env.items() for option in ("-e", f"{name}={value}")]
    started = time.perf_counter()
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            str(COLUMNS),
            "-y",
            str(LINES),
            "-c",
            env["FALTUI_HOME"],
            *window,
            command,
        ],
        check=True,
    )
    try:
        while time.perf_counter() - started < START_TIMEOUT:
            if marker in _screen(session):
                return time.perf_counter() - started
            time.sleep(0.005)
        raise TimeoutError(f"{marker!r} not drawn within {START_TIMEOUT}s by {argv}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def measure(label: str, argv: list[str], marker: str, env: dict[str, str], runs: int) -> float:
    """Median seconds of ``runs`` starts (one warm-up start first), printed with the spread."""
    time_to_marker(argv, marker, env)  # warm the disk cache
    times = sorted(time_to_marker(argv, marker, env) for _ in range(runs))
    median = statistics.median(times)
    print(
        f"{label:<28} median {median * 1000:7.0f} ms   min {times[0] * 1000:6.0f}   "
        f"max {times[-1] * 1000:6.0f}   (n={runs})"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="faltui-bench-startup-")
    # What the programs' windows get besides the tmux server's environment: their own faltui
    # home, no key (empty counts as none), and the module path when one is set (to measure
    # another checkout: PYTHONPATH=<checkout> python <checkout>/bench/bench_startup.py).
    env = {"FALTUI_HOME": home, "FAL_KEY": "", "FAL_KEY_ID": "", "FAL_KEY_SECRET": ""}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    # Byte-compile faltui as pip does on install: where PYTHONDONTWRITEBYTECODE is set (here
    # or in the tmux server's environment, which a new window inherits) the warm-up start
    # writes no .pyc files, and every start would compile faltui's ~200 modules again
    # (~250 ms) while the peer's Textual comes precompiled.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "faltui")],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
        check=True,
    )
    faltui = [sys.executable, "-m", "faltui"]
    peer_file = Path(home) / "bare_app.py"
    peer_file.write_text(PEER)
    marker = "No jobs yet"
    print(f"start-up to first frame, {COLUMNS}×{LINES} pty, Python {sys.version.split()[0]}")
    peer = measure(
        "bare Textual app (peer)", [sys.executable, str(peer_file)], "END-OF-LIST", env, args.runs
    )
    ours = measure("faltui (no key)", faltui, marker, env, args.runs)
    demo = measure("faltui --demo", [*faltui, "--demo"], marker, env, args.runs)
    print(f"ratio faltui / peer        {ours / peer:5.2f}×   (target ≤ 1.5×)")
    print(f"ratio faltui --demo / peer {demo / peer:5.2f}×   (target ≤ 1.5×)")


if __name__ == "__main__":
    main()
