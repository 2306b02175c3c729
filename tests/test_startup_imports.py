"""Start-up stays light: opening the TUI imports neither the subcommands, nor the HTTP client,
nor the image stack, nor the emulator's web server (they load on first use or after the first
frame). Each check runs in a fresh interpreter, where nothing was imported before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Modules the first frame must not wait for.
HEAVY = ("httpx", "PIL", "textual_image", "uvicorn", "starlette", "faltui.cli.commands")


def imported_after(code: str) -> list[str]:
    """Which of ``HEAVY`` a fresh interpreter has imported after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(
    "code",
    [
        "import faltui.tui.app",
        # What `faltui` (no subcommand) imports before the app runs, and the services the app
        # opens before its first frame (all but the fal client).
        "import faltui.cli, faltui.cli.session\n"
        "from faltui.core.config import Paths, Settings\n"
        "import tempfile, pathlib\n"
        "home = pathlib.Path(tempfile.mkdtemp())\n"
        "paths = Paths(home / 'c', home / 'k', home / 'd', home / 'o')\n"
        "from faltui.services import build_services\n"
        "services = build_services(Settings(paths=paths))\n"
        "services.open_all(skip=('client',))\n"
        "services.catalog.local_models()\n"
        "services.jobs.load_history(limit=10)\n"
        "services.journal.close()",
        # `faltui --demo` until the first frame: the emulator's ports are bound, its web server
        # is not started (nor imported) yet.
        "import os, tempfile, threading\n"
        "os.environ['FALTUI_HOME'] = tempfile.mkdtemp()\n"
        "from faltui.cli.session import session_settings\n"
        "with session_settings(True, background=True, start_when=threading.Event()) as s:\n"
        "    import faltui.tui.app\n"
        "    assert s.demo and s.key",
    ],
    ids=["import-app", "open-session", "demo-session"],
)
def test_the_first_frame_path_imports_nothing_heavy(code: str) -> None:
    assert imported_after(code) == []


def test_the_heavy_modules_are_still_there_when_used() -> None:
    """The check above can fail: the client, the outputs service and the emulator's server do
    import them."""
    code = (
        "from faltui.core.client import FalClient\n"
        "from faltui.core.outputs import Outputs\n"
        "import faltui.emulator.server\n"
        "from faltui.tui.image_probe import image_class\n"
        "image_class()"
    )
    assert set(imported_after(code)) == set(HEAVY) - {"faltui.cli.commands"}


def test_previews_use_the_widget_textual_image_chose_for_the_terminal(tmp_path: Path) -> None:
    from textual_image.widget import Image

    from faltui.core.outputs import Outputs
    from faltui.tui.image_probe import image_class
    from faltui.tui.widgets.cell_image import CellImage
    from faltui.tui.widgets.result_images import draws_with_cells
    from faltui.tui.widgets.results import ResultsPane

    assert image_class() is Image  # sixel, kitty graphics or half cells: its own choice
    pane = ResultsPane(lambda: Outputs(tmp_path))
    # Terminal graphics are drawn by textual-image; character cells by our CellImage.
    expected = CellImage if draws_with_cells(Image) else Image
    assert pane.preview_class is expected


def test_no_garbage_collection_runs_until_the_first_frame(tmp_path: Path) -> None:
    """Opening the TUI collects no cyclic garbage until the first frame is drawn (start-up
    allocates long-lived objects only), then collects as usual, also when the app ends."""
    probe = (
        "import gc, json, faltui.cli\n"
        "from faltui.tui.app import FaltuiApp\n"
        "seen = {}\n"
        "def run(self, **_):\n"
        "    seen['while_starting'] = gc.isenabled()\n"
        "    seen['imports_frozen'] = gc.get_freeze_count() > 0\n"
        "    self._on_first_frame()\n"
        "    seen['after_first_frame'] = gc.isenabled()\n"
        "    gc.disable()  # an app that ends before its first frame\n"
        "FaltuiApp.run = run\n"
        "assert faltui.cli.open_tui(False) == 0\n"
        "seen['after_the_app'] = gc.isenabled()\n"
        "print(json.dumps(seen))\n"
    )
    env = {**os.environ, "FALTUI_HOME": str(tmp_path), "FAL_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "while_starting": False,
        "imports_frozen": True,
        "after_first_frame": True,
        "after_the_app": True,
    }
