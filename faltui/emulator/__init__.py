"""The local fal emulator: fal's HTTP protocol on loopback with real generated files.

``Emulator`` serves the queue, REST (storage, tokens), CDN, platform (catalog, pricing,
request history, usage) and OpenAPI routes of fal-protocol.md §13 on one port and the sync-run
API on a second; ``start_demo`` starts the persistent one behind ``faltui --demo``;
``faltui.emulator.cli`` is ``faltui emulator``.

Names are imported on first use, so ``faltui.emulator.cli`` (parsed on every ``faltui`` start)
does not pull in the web server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faltui.core.lazy import lazy_names

if TYPE_CHECKING:
    from faltui.emulator.demo import start_demo
    from faltui.emulator.keys import ADMIN_KEY, DEMO_KEY, LOCKED_KEY
    from faltui.emulator.server import Emulator, serve_forever
    from faltui.emulator.sockets import EmulatorStartError
    from faltui.emulator.state import EmulatedJob

_WHERE = {
    "ADMIN_KEY": "faltui.emulator.keys",
    "DEMO_KEY": "faltui.emulator.keys",
    "LOCKED_KEY": "faltui.emulator.keys",
    "EmulatedJob": "faltui.emulator.state",
    "Emulator": "faltui.emulator.server",
    "EmulatorStartError": "faltui.emulator.sockets",
    "serve_forever": "faltui.emulator.server",
    "start_demo": "faltui.emulator.demo",
}

__all__ = [
    "ADMIN_KEY",
    "DEMO_KEY",
    "LOCKED_KEY",
    "EmulatedJob",
    "Emulator",
    "EmulatorStartError",
    "serve_forever",
    "start_demo",
]


__getattr__ = lazy_names(__name__, _WHERE)
