"""How the panes write things: server text made literal, job states, durations, sizes, snippets.

One place for every label more than one pane shows, so the job table, the results pane, the
job detail screen and the palette never disagree. Text we did not write goes through the one
sanitiser, ``faltui.core.text``: control, DEL, C1 and bidi characters are made visible, never
passed to the terminal. The ``str`` helpers return plain text; widgets put it into
``rich.text.Text`` or ``textual.content.Content`` built literally (``literal_text`` and
``literal_content`` do both steps) — never markup.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.content import Content

from faltui.core import text as core_text
from faltui.core.job import Job, JobState, state_text
from faltui.core.outputs import data_url_type, human_size, is_data_url, url_file_name

#: Keys of the input whose value best describes a job (first present wins).
PROMPT_KEYS = ("prompt", "text", "query", "question", "input", "instruction")

#: Longest single line a label shows (a 10,000-character name would swamp any pane).
MAX_LABEL = 500


def literal(text: object) -> str:
    """Text we did not write, safe to display: newlines and tabs kept, every other control,
    DEL, C1 and bidi character made visible (``\x1b`` shows as ``␛``), lines capped."""
    return core_text.clip_lines(core_text.safe_text(text))


def one_line(text: object, limit: int | None = None) -> str:
    """Literal text on a single line (runs of whitespace become one space), cut at ``limit``
    characters (default ``MAX_LABEL``) with ``…``."""
    return core_text.one_line(text, MAX_LABEL if limit is None else limit)


def literal_block(text: object) -> str:
    """Multi-line text we did not write (a log, an error), safe: newlines kept, tabs as spaces,
    every line capped."""
    value = "" if text is None else str(text)
    return core_text.safe_block(value.expandtabs(4))


#: Longest notification text (a 10,000-character server error would cover the screen).
MAX_NOTICE = 1200
#: Most lines a notification shows.
MAX_NOTICE_LINES = 12


def notice_text(text: object) -> str:
    """A notification's message: literal, at most ``MAX_NOTICE_LINES`` lines of at most
    ``MAX_LABEL`` characters, ``MAX_NOTICE`` in all (cut with ``…``)."""
    lines = core_text.safe_block(text, MAX_LABEL).split("\n")
    if len(lines) > MAX_NOTICE_LINES:
        lines = [*lines[: MAX_NOTICE_LINES - 1], core_text.ELLIPSIS]
    return core_text.clip("\n".join(lines), MAX_NOTICE)


#: Shown in an editor for an invisible or reordering character that has no control picture
#: (C1, bidi, separators, lone surrogates): one character for one, so the cursor still fits.
EDITOR_STAND_IN = "\ufffd"


def _editor_char(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\t":
        return char  # editors expand tabs themselves
    code = ord(char)
    return core_text.visible(char) if code < 0x20 or code == 0x7F else EDITOR_STAND_IN


def editor_display(text: str) -> str:
    """How an editor draws ``text`` it holds: the same length, one character for one, with
    every control (but tab), DEL, C1, bidi and separator character replaced by a visible one
    (``\x1b`` → ``␛``, ``\u202e`` → ``\ufffd``). The value itself is never changed."""
    return core_text.UNSAFE.sub(_editor_char, text)


def literal_text(text: object, style: str | Style = "", *, multiline: bool = False) -> Text:
    """A ``rich.text.Text`` of text we did not write: sanitised, never parsed as markup.

    Single line (``one_line``) unless ``multiline`` (``literal_block``).
    """
    value = literal_block(text) if multiline else one_line(text)
    return Text(value, style=style, end="")


def literal_content(text: object, *, multiline: bool = False) -> Content:
    """A ``textual.content.Content`` of text we did not write (for border titles, tooltips,
    placeholders and palette lines, which parse a plain ``str`` as markup)."""
    return Content(literal_block(text) if multiline else one_line(text))


def first_line(text: str, limit: int = 90) -> str:
    """The first non-blank line of a text, cut to ``limit`` characters with ``…``."""
    line = literal(text).strip().splitlines()[0] if text and text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def pretty_json(value: Any) -> str:
    """Indented JSON (non-ASCII kept) with every control, C1 and bidi character escaped
    (``\u001b``, ``\u009b`` …), lines capped; ``repr`` (made literal) for odd values."""
    try:
        return core_text.clip_lines(core_text.safe_json(value, default=str))
    except (TypeError, ValueError, RecursionError):
        return literal(repr(value))


#: The state label of a job whose submit may have reached fal unconfirmed (never resent).
UNKNOWN_LABEL = "unknown — may have run; not resent"
#: The same while fal's request history is being searched for it.
UNKNOWN_RECONCILING = "unknown — may have run; reconciling…"
#: The job list's narrow state column says less (its log column shows the whole reason).
UNKNOWN_SHORT = "unknown"
UNKNOWN_RECONCILING_SHORT = "checking…"


def state_label(job: Job, *, reconciling: bool = False, short: bool = False) -> str:
    """Short state text: ``"queued #3"`` (third in line), ``"running"``, … (as the CLI says).

    A job of unknown outcome says what that means: it may have run on fal, it was not sent
    again, and (``reconciling``) whether fal's request history is being searched for it now.
    ``short`` is for a narrow column (``unknown``, ``checking…``).
    """
    if job.state is JobState.unknown:
        if short:
            return UNKNOWN_RECONCILING_SHORT if reconciling else UNKNOWN_SHORT
        return UNKNOWN_RECONCILING if reconciling else UNKNOWN_LABEL
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
