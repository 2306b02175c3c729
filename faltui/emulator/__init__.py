"""The local fal emulator: fal's HTTP protocol on loopback with real generated files.

``Emulator`` serves the queue, sync run, storage, platform catalog and OpenAPI routes of
fal-protocol.md §13 on one origin; ``serve_forever`` runs one in the foreground.
"""

from faltui.emulator.common import ADMIN_KEY, DEMO_KEY, LOCKED_KEY
from faltui.emulator.server import Emulator, serve_forever
from faltui.emulator.state import EmulatedJob

__all__ = ["ADMIN_KEY", "DEMO_KEY", "LOCKED_KEY", "EmulatedJob", "Emulator", "serve_forever"]
