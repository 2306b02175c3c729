"""How the panes write things: server text made literal, job states, durations, sizes, snippets.

One place for every label more than one pane shows, so the job table, the results pane, the
job detail screen and the palette never disagree. Everything here returns plain ``str``;
widgets put it into ``rich.text.Text`` (never markup).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from faltui.core.job import Job, state_text
from faltui.core.outputs import data_url_type, human_size, is_data_url, url_file_name

#: Control characters (so escape sequences lose their ESC) and the bidi controls that can
#: make text read differently than it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")

#: Keys of the input whose value best describes a job (first present wins).
PROMPT_KEYS = ("prompt", "text", "query", "question", "input", "instruction")


def literal(text: object) -> str:
    """Server text made safe to display: control characters (and so escapes) and bidi
    controls removed."""
    return _CONTROL.sub("", str(text or ""))


def one_line(text: object) -> str:
    """Literal text on a single line (runs of whitespace become one space)."""
    return _SPACE.sub(" ", literal(text)).strip()


def literal_block(text: str) -> str:
    """Multi-line server text made safe: control characters removed, newlines and tabs kept."""
    return "\n".join(literal(line.replace("\t", "    ")) for line in str(text).splitlines())


def first_line(text: str, limit: int = 90) -> str:
    """The first non-blank line of a text, cut to ``limit`` characters with ``…``."""
    line = literal(text).strip().splitlines()[0] if text and text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def pretty_json(value: Any) -> str:
    """Indented JSON (non-ASCII kept), falling back to ``repr`` for odd values."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def state_label(job: Job) -> str:
    """Short state text: ``"queued #3"`` (third in line), ``"running"``, … (as the CLI says)."""
    return state_text(job)


def elapsed_seconds(job: Job, now: float) -> float | None:
    """Seconds from submission (or creation) to the end, or to ``now`` while unfinished."""
    start = job.submitted_at or job.created_at
    if not start:
        return None
    end = job.finished_at or now
    return max(0.0, end - start)


def format_duration(seconds: float | None) -> str:
    """``"0.4s"``, ``"12s"``, ``"3m04s"``, ``"2h05m"``; empty for unknown."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"


def format_time(timestamp: float | None) -> str:
    """A local timestamp with its UTC offset, or ``"—"``."""
    if not timestamp:
        return "—"
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def last_log(job: Job) -> str:
    """The job's latest log message (literal, one line)."""
    return one_line(job.last_log)


def is_url(text: str) -> bool:
    """True for the http(s) and data: URLs fal takes as file inputs."""
    return text.startswith(("http://", "https://", "data:"))


def file_name(url: str) -> str:
    """The last path segment of a URL (``data:`` URLs are named by their media type)."""
    if is_data_url(url):
        return data_url_type(url) or "data URI"
    return url_file_name(url) or url


def display_url(url: str | None) -> str:
    """A URL for display; inline ``data:`` URLs are summarised, not dumped."""
    if not url:
        return ""
    if is_data_url(url):
        kind = one_line(url[5:].split(",", 1)[0]) or "data"
        return f"(inline data: URL, {kind}, {human_size(len(url))})"
    return one_line(url)


def prompt_snippet(job: Job) -> str:
    """What the job is about: its prompt (or similar text), else its label, else its inputs.

    A URL input is shown by its file name (``audio_url: speech.wav``): the CDN host and
    upload id in front of it say nothing to the person who picked the file.
    """
    payload = job.input
    for key in PROMPT_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return one_line(value)
    if job.label:
        return one_line(job.label)
    for key, value in payload.items():
        if isinstance(value, list) and value and isinstance(value[0], str):
            value = value[0]
        if isinstance(value, str) and value.strip():
            return one_line(f"{key}: {file_name(value)}" if is_url(value) else value)
    return ""


def short_model(endpoint_id: str) -> str:
    """The endpoint id without the common ``fal-ai/`` owner."""
    return one_line(endpoint_id).removeprefix("fal-ai/")
