"""Benchmark: typed query → repaint in the model search, faltui against a bare Textual app.

Black box, as issue #10 asks: each app runs in a real terminal (a tmux session, 160×48). A
character is sent with ``tmux send-keys`` and the clock runs until ``tmux capture-pane`` shows
the query typed so far in the search box *and* the list's count line for it — the frame that
answers the keystroke. Queries are typed a character at a time, then cleared.

Peer: a bare Textual app with an ``Input``, a ``Static`` count line and an ``OptionList`` of the
same models, filtered by substring on every change, run by the same Python.

The catalog is the bundled one (170 models), or with ``--models N`` the bundled one scaled to N
models as ``bench_search.py`` builds it, given to faltui as its cached live catalog.

Prints figures (no assertions)::

    python bench/bench_search_ui.py [--rounds 3] [--models 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

COLUMNS, LINES = 160, 48
QUERIES = ["flux", "video", "whisper", "kling", "speech", "upscale"]
TIMEOUT = 10.0

PEER = """
import json, sys
from textual.app import App
from textual.widgets import Input, OptionList, Static

NAMES = json.loads(open(sys.argv[1]).read())

class Peer(App):
    def compose(self):
        yield Input(placeholder="search models", id="q")
        yield Static(f"{len(NAMES)} models", id="count")
        yield OptionList(*NAMES)

    def on_input_changed(self, event):
        query = event.value.lower()
        hits = [n for n in NAMES if query in n.lower()]
        self.query_one(OptionList).set_options(hits)
        total = len(NAMES)
        label = f"{len(hits)} of {total} models" if query else f"{total} models"
        self.query_one("#count", Static).update(label)

Peer().run()
"""


def catalog(count: int | None) -> list[Any]:
    """The bundled catalog, or (``count``) the bundled one scaled to ``count`` models."""
    from bench_search import scaled_catalog

    from faltui.core.bundled import bundled_models
    from faltui.core.catalog import ModelInfo

    if count is None:
        return [ModelInfo.from_api(raw) for raw in bundled_models()]
    return scaled_catalog(count)


def give_faltui(models: list[Any], home: str) -> None:
    """Put ``models`` in faltui's cache of the live catalog under ``home`` (FALTUI_HOME)."""
    from faltui.core.config import Paths

    cache = Paths.discover({"FALTUI_HOME": home}).cache_dir / "catalog" / "live-models.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    objects = [{"endpoint_id": m.endpoint_id, "metadata": m.raw.get("metadata", {})}
               for m in models]  # fmt: skip
    cache.write_text(json.dumps({"saved_at": time.time(), "models": objects}))


def capture(session: str) -> str:
    done = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
    )
    return done.stdout


def wait_for(session: str, check: object, timeout: float = TIMEOUT) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if check(capture(session)):  # type: ignore[operator]
            return True
        time.sleep(0.002)
    return False


def shown(screen: str, query: str) -> bool:
    """The query in the search box and a count line that answers it."""
    lines = screen.splitlines()
    typed = any(line.lstrip("│ ▊").startswith(query + " ") or line.lstrip("│ ▊") == query
                for line in lines[:6])  # fmt: skip
    counted = any(" of " in line and "models" in line for line in lines)
    return typed and counted


def cleared(screen: str) -> bool:
    return " of " not in "\n".join(ln for ln in screen.splitlines() if "models" in ln)


def probe(name: str, command: str, rounds: int, env: dict[str, str]) -> list[float]:
    """Keystroke → answered frame, every character of every query, ``rounds`` times."""
    session = f"bench-search-{name}-{os.getpid()}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(COLUMNS), "-y", str(LINES), command],
        check=True,
        env=env,
    )
    times: list[float] = []
    try:
        if not wait_for(session, lambda s: "models" in s, 30):
            raise RuntimeError(f"{name} did not start:\n{capture(session)}")
        time.sleep(1.0)  # let start-up work (catalog, journal) settle
        for _ in range(rounds):
            for query in QUERIES:
                for n in range(1, len(query) + 1):
                    subprocess.run(["tmux", "send-keys", "-t", session, "-l", query[n - 1]])
                    t0 = time.perf_counter()
                    if wait_for(session, lambda s, q=query[:n]: shown(s, q)):
                        times.append(time.perf_counter() - t0)
                subprocess.run(["tmux", "send-keys", "-t", session, "C-u"])
                wait_for(session, cleared)
                time.sleep(0.05)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", type=int, default=None, help="scale the catalog to N models")
    args = parser.parse_args()
    models = catalog(args.models)
    names = [f"{m.display_name}  {m.endpoint_id}" for m in models]
    with tempfile.TemporaryDirectory(prefix="faltui-bench-search-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAL")}
        env["FALTUI_HOME"] = home
        if args.models is not None:
            give_faltui(models, home)
        faltui = shlex.join([sys.executable, "-m", "faltui"])
        ours = probe("faltui", faltui, args.rounds, env)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
            script.write(PEER)
        try:
            names_file = Path(home) / "peer-names.json"
            names_file.write_text(json.dumps(names))
            peer_cmd = shlex.join([sys.executable, script.name, str(names_file)])
            peer = probe("peer", peer_cmd, args.rounds, env)
        finally:
            os.unlink(script.name)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    print(f"typed query → answered frame (tmux {COLUMNS}×{LINES}), {len(names)} models")
    for label, values in (("faltui", ours), ("bare Textual (peer)", peer)):
        print(
            f"{label:22} n={len(values):3}  p50 {pct(values, 0.5):6.1f} ms  "
            f"p95 {pct(values, 0.95):6.1f} ms  mean {statistics.mean(values) * 1000:6.1f} ms"
        )
    print(f"ratio p95 faltui / peer: {pct(ours, 0.95) / pct(peer, 0.95):.2f} (target ≤ 1.2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
