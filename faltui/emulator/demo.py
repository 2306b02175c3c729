"""The emulator behind ``faltui --demo``: persistent, on the same ports as last time.

Jobs and files live in the demo data folder (``Emulator(data_dir=...)``), and the emulator
listens on the ports it had before (``emulator.json``) so the URLs faltui's journal stored in
an earlier session — status URLs, result files — still answer. When those ports are taken
(another demo running) it takes free ones.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from faltui.emulator.server import Emulator, EmulatorStartError

PORTS_FILE = "emulator.json"


def _saved_ports(folder: Path) -> tuple[int, int]:
    try:
        saved = json.loads((folder / PORTS_FILE).read_text(encoding="utf-8"))
        return int(saved["port"]), int(saved["run_port"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0, 0


def start_demo(folder: Path, *, time_scale: float = 1.0) -> Emulator:
    """A started demo emulator keeping its state in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    port, run_port = _saved_ports(folder)
    emulator = Emulator(port=port, run_port=run_port, time_scale=time_scale, data_dir=folder)
    try:
        emulator.start()
    except EmulatorStartError:
        if not (port or run_port):
            raise
        emulator = Emulator(time_scale=time_scale, data_dir=folder)
        emulator.start()
    with contextlib.suppress(OSError):
        (folder / PORTS_FILE).write_text(
            json.dumps({"port": emulator.port, "run_port": emulator.run_port}), encoding="utf-8"
        )
    return emulator
