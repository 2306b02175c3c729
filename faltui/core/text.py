"""Text we did not write, made safe to show a person: one sanitiser for every surface.

Server errors, log lines, request ids, file names and every schema string are data. On a
terminal, a control character in them is an instruction: ``ESC [ 2 J`` clears the screen,
OSC 52 writes the clipboard, OSC 8 hides a link, C1 ``U+009B`` is a one-byte CSI, and bidi
overrides reorder what is shown. So before any such text reaches a person:

* **C0 controls and DEL** become their Unicode *control pictures*: ``\\x1b`` → ``␛``,
  ``\\x00`` → ``␀``, ``\\x07`` → ``␇``, ``\\x7f`` → ``␡`` (one cell wide, so columns stay put).
  Newline and tab are kept where several lines are allowed (``\\r\\n`` becomes ``\\n``); a lone
  ``\\r`` shows as ``␍``.
* **Every other invisible or reordering character** — C1 controls ``U+0080``–``U+009F``, the
  bidi embeddings/overrides/isolates/marks ``U+202A``–``U+202E``, ``U+2066``–``U+2069``,
  ``U+200E``, ``U+200F``, ``U+061C``, the line/paragraph separators ``U+2028``/``U+2029`` and
  unpaired surrogates — becomes its escape, ``\\u009b`` style (lower-case hex, 4 digits).

Nothing is dropped silently, nothing is interpreted. ``safe_json`` writes JSON with the same
characters escaped (``\\u001b``, ``\\u009b``, ``\\u202e`` …), so the document still parses to
exactly the same value while its bytes carry no control or bidi character.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Characters that are never shown raw (see the module docstring).
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: ``UNSAFE`` minus newline and tab (multi-line text keeps those).
_UNSAFE_MULTILINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
#: The characters JSON leaves raw that ``safe_json`` escapes (C0 is escaped by ``json``).
_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_WHITESPACE_RUN = re.compile(r"[ \t\n\r\f\v]+")

#: Longest line shown before it is cut (a 10,000-character log line would swamp a screen).
MAX_LINE = 2000
ELLIPSIS = "…"


def visible(char: str) -> str:
    """How one unsafe character is shown: its control picture, else its ``\\uXXXX`` escape."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"\\u{code:04x}"


def _show(match: re.Match[str]) -> str:
    return visible(match.group())


def safe_text(text: object, *, multiline: bool = True) -> str:
    """``text`` with every control, bidi and separator character made visible.

    With ``multiline`` newlines and tabs are kept (``\\r\\n`` and a lone ``\\r`` before ``\\n``
    become ``\\n``); without, they are made visible too (see ``one_line`` to fold them).
    ``None`` is ``""``; anything else is ``str()``-ed first.
    """
    value = "" if text is None else str(text)
    if multiline:
        value = value.replace("\r\n", "\n")
        return _UNSAFE_MULTILINE.sub(_show, value)
    return UNSAFE.sub(_show, value)


def one_line(text: object, limit: int | None = None) -> str:
    """``text`` safe and on a single line: runs of whitespace (newlines, tabs) become one space.

    ``limit`` caps the length (see ``clip``).
    """
    value = "" if text is None else str(text)
    value = _WHITESPACE_RUN.sub(" ", value).strip()
    value = UNSAFE.sub(_show, value)
    return clip(value, limit) if limit is not None else value


def clip(text: str, limit: int = MAX_LINE) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when it was cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def clip_lines(text: str, limit: int = MAX_LINE) -> str:
    """Every line of ``text`` cut to ``limit`` characters (a 10,000-character line fits)."""
    if len(text) <= limit:
        return text
    return "\n".join(clip(line, limit) for line in text.split("\n"))


def safe_block(text: object, limit: int = MAX_LINE) -> str:
    """Multi-line text made safe and every line capped: what a log or error pane shows."""
    return clip_lines(safe_text(text), limit)


def _escape_json_char(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_json(
    value: Any,
    *,
    indent: int | None = 2,
    default: Any = None,
    separators: tuple[str, str] | None = None,
) -> str:
    """``value`` as JSON whose text holds no control, DEL, C1, bidi or separator character.

    Non-ASCII text stays readable (``ensure_ascii=False``); the unsafe characters, which can only
    occur inside JSON strings, are written as ``\\uXXXX`` escapes, so ``json.loads`` gives back
    exactly ``value``.
    """
    text = json.dumps(
        value, indent=indent, ensure_ascii=False, default=default, separators=separators
    )
    return _UNSAFE_IN_JSON.sub(_escape_json_char, text)


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds a character the terminal must never receive raw.

    Newline and tab count as safe (they are the only controls ``safe_text`` keeps).
    """
    return _UNSAFE_MULTILINE.search(text) is not None
