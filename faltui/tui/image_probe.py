"""textual-image's widget class, imported off the path to the first frame.

Importing ``textual_image.widget`` asks the terminal about itself (graphics protocols, cell
size) and waits for the answers, up to a few hundred milliseconds in tmux. It cannot ask once
Textual runs (the answers would go to Textual's input), so ``start`` imports it in a thread
while faltui's own modules load, and ``image_class`` (which ``FaltuiApp.run`` calls before
Textual takes the terminal) waits for that thread. The widget it picks, and so the renderer
(sixel, kitty graphics, half cells), is the one the import chose, exactly as before.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widget import Widget

_lock = threading.Lock()
_thread: threading.Thread | None = None
#: The widget class once known (``None`` inside: textual-image missing or unusable).
_found: list[type[Widget] | None] = []


def _import() -> None:
    try:
        from textual_image.widget import Image
    except Exception:  # missing or unusable textual-image: no inline previews
        _found.append(None)
    else:
        _found.append(Image)


def start() -> None:
    """Import textual-image in a background thread (once; at once if already imported)."""
    global _thread
    with _lock:
        if _thread is not None or _found:
            return
        if "textual_image.widget" in sys.modules:
            _import()
            return
        _thread = threading.Thread(target=_import, name="faltui-image-probe", daemon=True)
        _thread.start()


def wait() -> None:
    """Wait for the import ``start`` began, if any (it has the terminal in raw mode)."""
    thread = _thread
    if thread is not None:
        thread.join()


def image_class() -> type[Widget] | None:
    """textual-image's widget for this terminal (``None``: no inline previews); imports it
    here when ``start`` was not called, else waits for that import."""
    start()
    wait()
    return _found[0]
