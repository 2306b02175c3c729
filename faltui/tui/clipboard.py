"""Copy text to the user's clipboard: the system clipboard when there is one, else OSC 52.

``pyperclip`` reaches the local clipboard (pbcopy, xclip/xsel/wl-copy, Windows). Without such a
tool — or over SSH, where the remote machine's clipboard is of no use — Textual's
``App.copy_to_clipboard`` sends an OSC 52 escape that most terminals turn into a copy on the
user's own machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

#: How ``copy_text`` reached the clipboard.
PYPERCLIP = "pyperclip"
OSC52 = "osc52"


class _CopyingApp(Protocol):
    def copy_to_clipboard(self, text: str) -> None: ...


def is_ssh(env: Mapping[str, str] | None = None) -> bool:
    """True when running in an SSH session (``SSH_CONNECTION`` or ``SSH_TTY`` set)."""
    env = os.environ if env is None else env
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))


def copy_text(app: _CopyingApp, text: str, *, env: Mapping[str, str] | None = None) -> str:
    """Copy ``text``; return how: ``"pyperclip"`` (system clipboard) or ``"osc52"``.

    Over SSH the system clipboard belongs to the remote host, so OSC 52 is used directly.
    """
    if not is_ssh(env):
        try:
            import pyperclip

            pyperclip.copy(text)
        except Exception:  # PyperclipException (no clipboard tool), ImportError, OS errors
            pass
        else:
            return PYPERCLIP
    app.copy_to_clipboard(text)
    return OSC52


def describe(how: str) -> str:
    """Words for a notification: ``"to the system clipboard"`` / ``"via OSC 52 …"``."""
    if how == PYPERCLIP:
        return "to the system clipboard"
    return "via OSC 52 (terminal clipboard)"


__all__ = ["OSC52", "PYPERCLIP", "copy_text", "describe", "is_ssh"]
