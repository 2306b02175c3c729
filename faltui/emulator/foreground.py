"""Running an emulator in the foreground: print how to reach it, serve until Ctrl-C/SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any, TextIO

from faltui.emulator.common import ADMIN_KEY, DEMO_KEY
from faltui.emulator.server import Emulator


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def connection_lines(emulator: Emulator, ca_file: str | None = None) -> list[str]:
    """The environment a client needs, one ``NAME=value`` per line (plus two comments)."""
    lines = [f"FAL_KEY={DEMO_KEY}", f"# Admin-scope key (GET /v1/models/usage): {ADMIN_KEY}"]
    lines += [f"FALTUI_{name.upper()}_URL={url}" for name, url in emulator.urls.items()]
    if emulator.scheme == "https":
        lines.append("# fal's official clients (https only):")
        lines.append(f"FAL_QUEUE_RUN_HOST={emulator.base_url.removeprefix('https://')}")
        lines.append(f"FAL_RUN_HOST={emulator.run_url.removeprefix('https://')}")
        if ca_file:
            lines.append(f"SSL_CERT_FILE={ca_file}")
            lines.append(f"NODE_EXTRA_CA_CERTS={ca_file}")
    return lines


def run_foreground(
    emulator: Emulator,
    *,
    ca_file: str | None = None,
    extra: list[str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Start ``emulator``, print its address and connection lines, serve until interrupted."""
    import sys

    stream = out or sys.stdout
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    emulator.start()

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    say(f"faltui fal emulator listening on {emulator.base_url}")
    for line in connection_lines(emulator, ca_file):
        say(f"  {line}")
    say(f"Sync runs (fal.run): {emulator.run_url}   Admin: {emulator.base_url}/_emulator/stats")
    for line in extra or []:
        say(line)
    chaos = emulator.chaos.settings.describe()
    if chaos:
        say(f"Chaos: {chaos}")
    say("Press Ctrl-C to stop.")
    try:
        while emulator.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
