"""Pure helpers of the parameter form: text ↔ typed values, range checks, labels, error paths.

Nothing here imports Textual, so the rules the form applies (what counts as empty, how a typed
number becomes an ``int`` or a ``float``, what a range error says) are testable on their own.
Field objects are ``faltui.core.schema.Field``; only their documented attributes are read.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from faltui.core.schema import Field


class _Unset:
    """The value of an editor that holds nothing (the key is left out of the payload)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: Marker for "no value": the field is omitted from the payload.
UNSET: Final = _Unset()

#: Values typed into a file field that are sent as they are (not local paths).
REMOTE_PREFIXES = ("http://", "https://", "data:", "s3://", "gs://")

_INTEGER_RE = re.compile(r"^[+-]?\d+$")


def attr(field: Field, name: str, default: Any = None) -> Any:
    """A Field attribute, tolerating parsers that leave optional ones out."""
    return getattr(field, name, default)


def label_of(field: Field) -> str:
    """The name a user sees: the field name (titles are often vague, names are what the API
    takes and what error messages use)."""
    return str(attr(field, "name", "") or attr(field, "title", "") or "?")


def help_of(field: Field) -> str:
    """The description, dedented, with runs of blank space collapsed (shown literally)."""
    text = attr(field, "description") or ""
    text = textwrap.dedent(str(text)).strip()
    return re.sub(r"\s+", " ", text)


def initial_value(field: Field, values: dict[str, Any] | None) -> Any:
    """What an editor starts with: the remembered value if any, else the default, else UNSET.

    With remembered values, a key that is absent means the user left it empty last time.
    """
    name = attr(field, "name")
    if values is not None:
        return values.get(name, UNSET)
    return default_of(field)


def default_of(field: Field) -> Any:
    """The schema default (UNSET when there is none, or when it is ``null``)."""
    if attr(field, "has_default", False) and attr(field, "default") is not None:
        return attr(field, "default")
    if attr(field, "kind") == "const":
        return _const_value(field)
    return UNSET


def _const_value(field: Field) -> Any:
    schema = attr(field, "schema") or {}
    if isinstance(schema, dict) and "const" in schema:
        return schema["const"]
    enum = attr(field, "enum") or []
    if enum:
        return enum[0]
    return attr(field, "default", UNSET)


def is_empty(value: Any) -> bool:
    """UNSET, None, blank strings and empty lists/dicts count as "not filled in"."""
    if value is UNSET or value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


def to_text(value: Any) -> str:
    """How a value is shown in a one-line or multi-line text box."""
    if value is UNSET or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(value)  # keep "3.0" recognisably a float
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def parse_number(field: Field, text: str) -> Any:
    """Text of an integer/number field → ``int`` / ``float`` (UNSET when blank).

    Uses the schema's ``coerce`` when it is available, then pins the Python type: integers
    stay ``int`` (``"2.0"`` is refused), numbers are always ``float``.
    """
    text = text.strip()
    if not text:
        return UNSET
    kind = attr(field, "kind")
    if kind == "integer":
        if not _INTEGER_RE.match(text):
            raise ValueError(f"{text!r} is not a whole number")
        value: Any = int(text)
    else:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
    coerced = _schema_coerce(field, text)
    if coerced is not UNSET and isinstance(coerced, (int, float)) and not isinstance(coerced, bool):
        value = coerced
    if kind == "integer":
        return int(value)
    return float(value)


def parse_text(field: Field, text: str) -> Any:
    """Text of a string-like field → ``str`` (UNSET when empty)."""
    if text == "" or (attr(field, "kind") != "text" and text.strip() == ""):
        return UNSET
    return text


def parse_json(text: str) -> Any:
    """Text of a JSON field → any JSON value (UNSET when blank)."""
    if not text.strip():
        return UNSET
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None


def _schema_coerce(field: Field, text: str) -> Any:
    try:
        from faltui.core.schema import coerce
    except ImportError:  # pragma: no cover - the schema module is optional at import time
        return UNSET
    try:
        return coerce(field, text)
    except ValueError:
        raise
    except Exception:  # a parser bug must not stop the user from typing
        return UNSET


def range_error(field: Field, value: Any) -> str | None:
    """Bounds problems of a typed value (numbers: min/max; strings: length), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        lo, hi = attr(field, "minimum"), attr(field, "maximum")
        xlo, xhi = attr(field, "exclusive_minimum"), attr(field, "exclusive_maximum")
        if isinstance(xlo, bool):  # OpenAPI 3.0 style: a flag on minimum
            xlo, lo = (lo, None) if xlo else (None, lo)
        if isinstance(xhi, bool):
            xhi, hi = (hi, None) if xhi else (None, hi)
        if lo is not None and value < lo:
            return f"must be ≥ {_num(lo)}"
        if hi is not None and value > hi:
            return f"must be ≤ {_num(hi)}"
        if xlo is not None and value <= xlo:
            return f"must be > {_num(xlo)}"
        if xhi is not None and value >= xhi:
            return f"must be < {_num(xhi)}"
        return None
    if isinstance(value, str):
        min_len, max_len = attr(field, "min_length"), attr(field, "max_length")
        if min_len is not None and len(value) < min_len:
            return f"needs at least {min_len} characters"
        if max_len is not None and len(value) > max_len:
            return f"at most {max_len} characters (now {len(value)})"
    return None


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def bounds_hint(field: Field) -> str:
    """``1–4``, ``> 0``, ``≤ 2500 chars`` … for the label line ('' when unbounded)."""
    lo, hi = attr(field, "minimum"), attr(field, "maximum")
    xlo, xhi = attr(field, "exclusive_minimum"), attr(field, "exclusive_maximum")
    if isinstance(xlo, bool):
        xlo, lo = (lo, None) if xlo else (None, lo)
    if isinstance(xhi, bool):
        xhi, hi = (hi, None) if xhi else (None, hi)
    parts: list[str] = []
    if lo is not None and hi is not None:
        parts.append(f"{_num(lo)}–{_num(hi)}")
    else:
        if lo is not None:
            parts.append(f"≥ {_num(lo)}")
        if xlo is not None:
            parts.append(f"> {_num(xlo)}")
        if hi is not None:
            parts.append(f"≤ {_num(hi)}")
    if xhi is not None:
        parts.append(f"< {_num(xhi)}")
    max_len = attr(field, "max_length")
    if max_len is not None:
        parts.append(f"≤ {max_len} chars")
    return " ".join(parts)


def kind_hint(field: Field) -> str:
    """A short dim hint after the label: the kind and its bounds."""
    kind = attr(field, "kind", "json")
    names = {
        "string": "",
        "text": "",
        "integer": "integer",
        "number": "number",
        "boolean": "",
        "enum": "",
        "file": "URL or local path (local path uploads on submit)",
        "file_list": "URLs or local paths (local paths upload on submit)",
        "image_size": "",
        "array": "list",
        "object": "",
        "json": "JSON",
        "const": "fixed",
    }
    parts = [names.get(kind, kind)]
    bounds = bounds_hint(field)
    if bounds:
        parts.append(bounds)
    if attr(field, "deprecated", False):
        parts.append("(deprecated)")
    return " ".join(p for p in parts if p)


def file_error(text: str) -> str | None:
    """A file field's value is a URL (sent as is) or a local path that must exist."""
    text = text.strip()
    if not text or text.lower().startswith(REMOTE_PREFIXES):
        return None
    if text.startswith("file://"):
        text = text[len("file://") :]
    path = Path(text).expanduser()
    if not path.exists():
        return f"no such local file: {path}"
    if path.is_dir():
        return f"is a folder, not a file: {path}"
    return None


def file_value(text: str) -> Any:
    """The payload value of a file field: URLs as typed, local paths expanded (~)."""
    text = text.strip()
    if not text:
        return UNSET
    if text.lower().startswith(REMOTE_PREFIXES) or text.startswith("file://"):
        return text
    return str(Path(text).expanduser())


def error_summary(paths: Sequence[str], limit: int = 4) -> str:
    """``a, b.c, d and 2 more`` for the notification."""
    shown = list(paths[:limit])
    rest = len(paths) - len(shown)
    text = ", ".join(shown)
    if rest > 0:
        text += f" and {rest} more"
    return text


def describe_errors(count: int) -> str:
    """``1 field needs`` / ``3 fields need``."""
    return f"{count} field needs" if count == 1 else f"{count} fields need"
