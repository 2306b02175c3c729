"""Open a URL or a downloaded file with the desktop's default application.

Over SSH there is no local desktop to open anything on: ``open_target`` returns ``False`` and
the caller copies the URL instead. On Linux without a display it also returns ``False`` rather
than letting ``webbrowser`` start a console browser inside the TUI's terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import webbrowser
from collections.abc import Mapping
from pathlib import Path

from faltui.tui.clipboard import is_ssh


def _as_url(target: str | Path) -> str:
    text = str(target)
    if "://" in text:
        return text
    path = Path(text).expanduser()
    if path.exists():
        return path.resolve().as_uri()
    return text


def _spawn(argv: list[str]) -> bool:
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True


def open_target(
    target: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> bool:
    """Open ``target`` (URL or local path); ``False`` when it cannot be opened here."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if is_ssh(env):
        return False
    url = _as_url(target)
    if platform == "darwin":
        return _spawn(["open", url])
    if platform.startswith("win"):
        try:
            os.startfile(url)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False  # only console browsers could run: they would take over the TUI's terminal
    opener = shutil.which("xdg-open")
    if opener:
        return _spawn([opener, url])
    try:
        return bool(webbrowser.open(url))
    except webbrowser.Error:
        return False


__all__ = ["open_target"]
