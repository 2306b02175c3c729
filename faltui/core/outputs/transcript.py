"""Timestamped transcripts: whisper-style ``chunks`` as segments, and as SRT / WebVTT subtitles.

fal's speech-to-text models (whisper, wizper) return ``chunks``:
``[{"timestamp": [start, end], "text": "…", "speaker": "SPEAKER_00"?}]``; either end of a
timestamp may be ``null`` (whisper leaves the last end open). Some models return ``segments``
with ``start`` / ``end`` keys instead; both are read here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

#: Seconds a cue lasts when neither its end nor the next start says.
OPEN_END_SECONDS = 2.0
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Segment:
    """One timed piece of a transcript (times in seconds; ``None`` when the model left it open)."""

    start: float | None
    end: float | None
    text: str
    speaker: str | None = None


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _segment(entry: Any) -> Segment | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        return None
    stamp = entry.get("timestamp")
    if isinstance(stamp, list | tuple) and len(stamp) == 2:
        start, end = _seconds(stamp[0]), _seconds(stamp[1])
    else:
        start, end = _seconds(entry.get("start")), _seconds(entry.get("end"))
    if start is None and end is None:
        return None
    speaker = entry.get("speaker")
    return Segment(start, end, entry["text"], speaker if isinstance(speaker, str) else None)


def find_segments(result: Any) -> list[Segment]:
    """The timed segments of a result (``chunks``, else ``segments``), in order; [] if none."""
    if not isinstance(result, dict):
        return []
    for key in ("chunks", "segments"):
        entries = result.get(key)
        if isinstance(entries, list):
            found = [s for s in (_segment(e) for e in entries) if s is not None]
            if found:
                return found
    return []


def cue_times(segments: list[Segment]) -> list[tuple[float, float]]:
    """(start, end) of every segment with the open ends filled in.

    A missing start is the previous end (0 for the first); a missing end is the next start,
    else ``OPEN_END_SECONDS`` after the start. An end is never before its start.
    """
    times: list[tuple[float, float]] = []
    previous_end = 0.0
    for index, segment in enumerate(segments):
        start = segment.start if segment.start is not None else previous_end
        end = segment.end
        if end is None:
            following = segments[index + 1].start if index + 1 < len(segments) else None
            end = following if following is not None else start + OPEN_END_SECONDS
        end = max(end, start)
        times.append((start, end))
        previous_end = end
    return times


def clock(seconds: float, separator: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SRT) or, with ``separator="."``, ``HH:MM:SS.mmm`` (WebVTT)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{millis:03d}"


def short_clock(seconds: float | None) -> str:
    """``1:02.5`` (or ``1:02:03.0`` past an hour) for tables; ``?`` when unknown."""
    if seconds is None:
        return "?"
    tenths = round(seconds * 10)
    minutes, tenth_seconds = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    secs = f"{tenth_seconds / 10:04.1f}"
    return f"{hours}:{minutes:02d}:{secs}" if hours else f"{minutes}:{secs}"


def _cue_text(text: str) -> str:
    """Cue text that cannot end or break a cue: no blank lines, no ``-->``, no controls."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return _BLANK_LINES.sub("\n", cleaned).replace("-->", "->") or "…"


def to_srt(segments: list[Segment]) -> str:
    """SubRip subtitles (numbered cues, ``,`` before milliseconds, speaker as a prefix)."""
    blocks = []
    for number, (segment, (start, end)) in enumerate(
        zip(segments, cue_times(segments), strict=True), 1
    ):
        text = _cue_text(segment.text)
        if segment.speaker:
            text = f"{_cue_text(segment.speaker)}: {text}"
        blocks.append(f"{number}\n{clock(start)} --> {clock(end)}\n{text}\n")
    return "\n".join(blocks)


def to_vtt(segments: list[Segment]) -> str:
    """WebVTT subtitles (``WEBVTT`` header, ``.`` before milliseconds, speaker as a voice tag)."""
    blocks = ["WEBVTT\n"]
    for segment, (start, end) in zip(segments, cue_times(segments), strict=True):
        text = _cue_text(segment.text).replace("&", "&amp;").replace("<", "&lt;")
        if segment.speaker:
            speaker = _cue_text(segment.speaker).replace(">", "").replace("&", "&amp;")
            text = f"<v {speaker}>{text}"
        blocks.append(f"{clock(start, '.')} --> {clock(end, '.')}\n{text}\n")
    return "\n".join(blocks)
