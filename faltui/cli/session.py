"""A session's settings: the config, and with ``--demo`` the local emulator they point at.

Light on purpose: opening the TUI goes through here before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace

from faltui.core.config import Paths, Settings, load_settings


def demo_paths(paths: Paths) -> Paths:
    """Keep demo jobs, cache and state apart from real ones (their ids mean nothing to fal)."""
    return replace(
        paths,
        cache_dir=paths.cache_dir / "demo",
        data_dir=paths.data_dir / "demo",
    )


@contextlib.contextmanager
def session_settings(
    demo: bool, *, background: bool = False, start_when: threading.Event | None = None
) -> Iterator[Settings]:
    """Load the settings; with ``demo`` start the local emulator and point faltui at it.

    With ``background`` (the TUI) the emulator's ports are bound at once but its server starts
    in a thread (once ``start_when`` is set, if given: the TUI's first frame is drawn), and
    requests sent before it is up wait for it.
    """
    settings = load_settings()
    if not demo:
        yield settings
        return
    from faltui.emulator.keys import DEMO_KEY

    paths = demo_paths(settings.paths)
    # Persistent, on last session's ports: earlier demo results still preview, unfinished
    # demo jobs finish.
    folder = paths.data_dir / "emulator"
    if background:
        from faltui.emulator.demo import BackgroundDemo

        started = BackgroundDemo(folder, gate=start_when).start()
        urls, stop = started.urls, started.stop
    else:
        from faltui.emulator import start_demo

        emulator = start_demo(folder)
        urls, stop = emulator.urls, emulator.stop
    try:
        yield replace(
            settings.with_urls(**urls),
            key=DEMO_KEY,
            key_source="demo",
            demo=True,
            paths=paths,
        )
    finally:
        stop()
        if background and started.error:
            print(f"faltui: the demo emulator did not start: {started.error}", file=sys.stderr)
