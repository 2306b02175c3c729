"""Playing a saved audio or video file with a command-line player, when one is installed.

``ffplay`` (FFmpeg; audio and video), ``afplay`` (macOS; audio) and ``paplay`` (PulseAudio /
PipeWire; WAV, FLAC, Ogg and other libsndfile formats, not MP3 or AAC) are tried in that order.
When none fits, the caller falls back to the platform's opener (``open`` / ``xdg-open``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Extensions paplay (libsndfile) can play.
PAPLAY_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".au", ".opus"})
#: Every player looked for, in order.
PLAYERS = ("ffplay", "afplay", "paplay")


@dataclass(frozen=True)
class Player:
    """A player command for one file."""

    name: str
    argv: list[str]


def choose_player(
    path: Path,
    kind: str,
    *,
    which: Callable[[str], str | None] = shutil.which,
    platform: str = sys.platform,
) -> Player | None:
    """The first installed player that can play ``path`` (``kind``: audio or video)."""
    ffplay = which("ffplay")
    if ffplay:
        argv = [ffplay, "-autoexit", "-loglevel", "error"]
        if kind == "audio":
            argv.append("-nodisp")
        return Player("ffplay", [*argv, str(path)])
    if kind != "audio":
        return None
    afplay = which("afplay") if platform == "darwin" else None
    if afplay:
        return Player("afplay", [afplay, str(path)])
    paplay = which("paplay")
    if paplay and path.suffix.lower() in PAPLAY_EXTENSIONS:
        return Player("paplay", [paplay, str(path)])
    return None


def why_no_player(path: Path, kind: str, which: Callable[[str], str | None] = shutil.which) -> str:
    """Why ``choose_player`` found nothing, in words."""
    if kind != "audio":
        return "ffplay is not installed (the only command-line video player faltui uses)"
    if which("paplay") and path.suffix.lower() not in PAPLAY_EXTENSIONS:
        return f"paplay cannot play {path.suffix or 'this'} files and ffplay is not installed"
    return f"none of {', '.join(PLAYERS)} is installed"


def start_player(player: Player) -> subprocess.Popen[bytes]:
    """Start the player detached from the terminal (no input, output discarded)."""
    return subprocess.Popen(
        player.argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
