"""Copy text to the user's clipboard, and say truthfully where it went.

In order:

* ``pyperclip`` reaches the local system clipboard (pbcopy, xclip/xsel/wl-copy, Windows) —
  not over SSH, where the remote machine's clipboard is of no use;
* inside tmux, ``tmux load-buffer -w -`` puts the text in tmux's paste buffer and asks tmux to
  set the outer terminal's clipboard (tmux ≥ 3.2; that works with tmux's default
  ``set-clipboard external``, which drops an application's own OSC 52);
* else Textual's ``App.copy_to_clipboard`` sends an OSC 52 escape that most terminals turn into
  a copy on the user's own machine. GNU screen drops it unless configured; the message says so.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from typing import Protocol

#: How ``copy_text`` reached the clipboard.
PYPERCLIP = "pyperclip"
TMUX = "tmux"
TMUX_BUFFER = "tmux-buffer"
OSC52 = "osc52"
OSC52_SCREEN = "osc52-screen"

#: Seconds a ``tmux`` command may take before we give up on it.
TMUX_TIMEOUT = 2.0

Runner = Callable[..., subprocess.CompletedProcess[bytes]]


class _CopyingApp(Protocol):
    def copy_to_clipboard(self, text: str) -> None: ...


def is_ssh(env: Mapping[str, str] | None = None) -> bool:
    """True when running in an SSH session (``SSH_CONNECTION`` or ``SSH_TTY`` set)."""
    env = os.environ if env is None else env
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))


def in_tmux(env: Mapping[str, str]) -> bool:
    """True inside a tmux client (``TMUX`` set)."""
    return bool(env.get("TMUX"))


def in_screen(env: Mapping[str, str]) -> bool:
    """True inside GNU screen (``STY`` set)."""
    return bool(env.get("STY"))


def _system_clipboard(text: str) -> bool:
    try:
        import pyperclip

        pyperclip.copy(text)
    except Exception:  # PyperclipException (no clipboard tool), ImportError, OS errors
        return False
    return True


def _tmux_buffer(text: str, run: Runner) -> str | None:
    """Load ``text`` into tmux's paste buffer; TMUX when tmux also set the clipboard."""
    data = text.encode("utf-8")
    for args, how in (
        (["tmux", "load-buffer", "-w", "-"], TMUX),
        (["tmux", "load-buffer", "-"], TMUX_BUFFER),
    ):
        try:
            done = run(args, input=data, capture_output=True, timeout=TMUX_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode == 0:
            return how
    return None


def copy_text(
    app: _CopyingApp,
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    run: Runner = subprocess.run,
) -> str:
    """Copy ``text``; return how (one of the constants above) for :func:`describe`."""
    env = os.environ if env is None else env
    if not is_ssh(env) and _system_clipboard(text):
        return PYPERCLIP
    if in_tmux(env):
        how = _tmux_buffer(text, run)
        if how is not None:
            return how
    app.copy_to_clipboard(text)
    return OSC52_SCREEN if in_screen(env) else OSC52


def describe(how: str) -> str:
    """Words for a notification that say where the text went and what else it may take."""
    return {
        PYPERCLIP: "to the system clipboard",
        TMUX: "to tmux's paste buffer and your terminal's clipboard (tmux load-buffer -w)",
        TMUX_BUFFER: (
            "to tmux's paste buffer (prefix ] pastes it); for the system clipboard add "
            "'set -g set-clipboard on' to ~/.tmux.conf"
        ),
        OSC52_SCREEN: (
            "via OSC 52, which GNU screen drops unless your terminal sees it: if nothing "
            "was copied, run faltui outside screen or use tmux with set-clipboard on"
        ),
    }.get(how, "via OSC 52 (your terminal's clipboard, where the terminal allows it)")


__all__ = [
    "OSC52",
    "OSC52_SCREEN",
    "PYPERCLIP",
    "TMUX",
    "TMUX_BUFFER",
    "copy_text",
    "describe",
    "in_screen",
    "in_tmux",
    "is_ssh",
]
