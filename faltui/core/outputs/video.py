"""A video's first frame and duration: Pillow for animated images, ffprobe/ffmpeg for the rest.

Animated GIF / WebP / PNG "videos" (some models return them; so does the emulator) are read by
Pillow. MP4, WebM and the like need ``ffprobe`` (duration, size) and ``ffmpeg`` (first frame):
they are used when ``shutil.which`` finds them, and their absence is stated plainly. The
functions here block (decoding, subprocesses): callers run them in a thread.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

#: Seconds ffprobe / ffmpeg may take for one file.
TOOL_TIMEOUT = 30.0
#: Protocols ffprobe / ffmpeg may use (no ``concat:``, ``subfile:``… from a URL in a result).
PROTOCOLS = "file,http,https,tcp,tls"
#: Largest side of a first frame kept in memory.
FRAME_MAX_SIDE = 1024


@dataclass(frozen=True)
class VideoFacts:
    """What could be learnt about a video; ``note`` says what could not, and why."""

    duration: float | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    first_frame: Image.Image | None = None
    how: str = ""
    note: str | None = None


@dataclass(frozen=True)
class VideoTools:
    """Paths of ``ffprobe`` and ``ffmpeg`` (``None``: not installed)."""

    ffprobe: str | None
    ffmpeg: str | None

    @classmethod
    def find(cls, which: Callable[[str], str | None] = shutil.which) -> VideoTools:
        """Look both up on PATH."""
        return cls(which("ffprobe"), which("ffmpeg"))

    @property
    def missing(self) -> str | None:
        """Which tools are not installed, in words (``None`` when both are)."""
        gone = [name for name, path in self.named() if not path]
        if not gone:
            return None
        verb = "is" if len(gone) == 1 else "are"
        return f"{' and '.join(gone)} {verb} not installed (not on PATH)"

    def named(self) -> tuple[tuple[str, str | None], ...]:
        """(name, path) of each tool."""
        return (("ffprobe", self.ffprobe), ("ffmpeg", self.ffmpeg))


def _shrink(image: Image.Image) -> Image.Image:
    frame = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if max(frame.size) > FRAME_MAX_SIDE:
        frame.thumbnail((FRAME_MAX_SIDE, FRAME_MAX_SIDE))
    return frame


def animated_image_facts(data: bytes) -> VideoFacts | None:
    """Frames, duration and first frame of an animated GIF / WebP / PNG; ``None`` for other
    bytes (a real video container)."""
    try:
        image = Image.open(io.BytesIO(data))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    if image.format not in ("GIF", "WEBP", "PNG"):
        return None
    frames = int(getattr(image, "n_frames", 1) or 1)
    total_ms = 0.0
    try:
        first = _shrink(image)
        for index in range(frames):
            image.seek(index)
            image.load()  # WebP states a frame's duration only once the frame is read
            total_ms += float(image.info.get("duration", 0) or 0)
    except (OSError, ValueError, EOFError) as exc:
        return VideoFacts(how=f"{image.format} read by Pillow", note=f"cannot decode it: {exc}")
    width, height = image.size
    duration = total_ms / 1000 if total_ms > 0 else None
    note = None if duration is not None else "the animation does not state frame durations"
    return VideoFacts(duration, width, height, frames, first, f"animated {image.format}", note)


def _check_source(source: str) -> str:
    if source.startswith(("http://", "https://")) or Path(source).is_absolute():
        return source
    raise ValueError(f"not a URL or an absolute path: {source[:60]!r}")


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[-1][:200] if text else "no message"


def _run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=TOOL_TIMEOUT, check=False
    )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def probe(source: str, ffprobe: str) -> tuple[dict[str, Any], str | None]:
    """ffprobe's JSON about ``source`` (format and first video stream), or ({}, why not)."""
    argv = [ffprobe, "-v", "error", "-protocol_whitelist", PROTOCOLS, "-print_format", "json"]
    argv += ["-show_format", "-show_streams", "-select_streams", "v:0", _check_source(source)]
    try:
        done = _run(argv)
    except subprocess.TimeoutExpired:
        return {}, f"ffprobe took longer than {TOOL_TIMEOUT:g} s"
    except OSError as exc:
        return {}, f"ffprobe could not be started: {exc.strerror or exc}"
    if done.returncode != 0:
        return {}, f"ffprobe could not read it: {_first_line(done.stderr)}"
    try:
        info = json.loads(done.stdout or b"{}")
    except ValueError:
        return {}, "ffprobe answered something that is not JSON"
    return (info if isinstance(info, dict) else {}), None


def first_frame(source: str, ffmpeg: str) -> tuple[Image.Image | None, str | None]:
    """The first frame of ``source`` decoded by ffmpeg, or (None, why not)."""
    argv = [ffmpeg, "-v", "error", "-nostdin", "-protocol_whitelist", PROTOCOLS]
    argv += ["-i", _check_source(source), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"]
    try:
        done = _run(argv)
    except subprocess.TimeoutExpired:
        return None, f"ffmpeg took longer than {TOOL_TIMEOUT:g} s"
    except OSError as exc:
        return None, f"ffmpeg could not be started: {exc.strerror or exc}"
    if done.returncode != 0 or not done.stdout:
        return None, f"ffmpeg could not decode a frame: {_first_line(done.stderr)}"
    try:
        frame = Image.open(io.BytesIO(done.stdout))
        frame.load()
    except (OSError, ValueError) as exc:
        return None, f"ffmpeg's frame does not decode: {exc}"
    return _shrink(frame), None


def ffmpeg_facts(source: str, tools: VideoTools) -> VideoFacts:
    """Duration and size (ffprobe) and first frame (ffmpeg) of a local file or http(s) URL."""
    if tools.missing and not (tools.ffprobe or tools.ffmpeg):
        return VideoFacts(note=f"no first frame or duration: {tools.missing}")
    notes: list[str] = []
    duration = width = height = frames = None
    if tools.ffprobe:
        info, problem = probe(source, tools.ffprobe)
        if problem:
            notes.append(problem)
        fmt_value, streams_value = info.get("format"), info.get("streams")
        fmt: dict[str, Any] = fmt_value if isinstance(fmt_value, dict) else {}
        streams: list[Any] = streams_value if isinstance(streams_value, list) else []
        stream: dict[str, Any] = streams[0] if streams and isinstance(streams[0], dict) else {}
        duration = _number(fmt.get("duration")) or _number(stream.get("duration"))
        width = stream.get("width") if isinstance(stream.get("width"), int) else None
        height = stream.get("height") if isinstance(stream.get("height"), int) else None
        count = _number(stream.get("nb_frames"))
        frames = int(count) if count is not None else None
    else:
        notes.append("no duration: ffprobe is not installed (not on PATH)")
    image = None
    if tools.ffmpeg:
        image, problem = first_frame(source, tools.ffmpeg)
        if problem:
            notes.append(problem)
    else:
        notes.append("no first frame: ffmpeg is not installed (not on PATH)")
    used = " + ".join(name for name, path in tools.named() if path)
    return VideoFacts(duration, width, height, frames, image, used, "; ".join(notes) or None)
