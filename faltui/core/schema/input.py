"""The one input pipeline, part 1: what a person types into one field becomes a value.

The TUI form (every editor) and ``faltui run`` (``--param k=v`` and the convenience flags) read
text with :func:`coerce` and check the value with :func:`read`, so the same text gives the
same value — or the same error — on both paths. Whole inputs go through the gate
(:func:`faltui.core.schema.prepare.prepare`).

The rules, decided once:

- **Empty.** Text that is empty or only blanks is :data:`EMPTY` for every kind: the key is
  left out of the input (a required field then reports "required"). ``random`` in a model's
  ``seed`` field is :data:`EMPTY` too: a fresh seed is chosen per job (``faltui.core.seeds``).
  ``null`` is ``None`` in nullable fields (and plain text elsewhere).
- **integer.** ASCII digits with an optional sign; a decimal or exponent form counts when it
  names a whole number: ``1e3`` → 1000, ``5.0`` → 5. Nothing is dropped or guessed:
  ``2.5``, ``3,5``, ``1_000``, ``0x10``, ``٣`` are errors naming what was expected.
- **number.** The same syntax. A whole number written without point or exponent stays an
  int (``5`` → 5, sent as ``5``); anything else is a float (``5.0`` → 5.0, ``2.5`` → 2.5).
  ``nan`` and ``inf`` are errors.
- **boolean.** true/false, yes/no, on/off, 1/0, y/n, t/f (any case).
- **enum.** The exact value; numbers by their numeric value (``1024`` → 1024 in an integer
  enum, ``"5"`` stays a string in a string enum); one case-insensitive match; open enums
  (flux-pro ``aspect_ratio``) take any text. **const**: the fixed value's text.
- **image_size.** A preset name, ``WxH`` (``1024x768``, also ``×``/``*``/``,``), or a JSON
  object. **object**: a JSON object. **array**: a JSON array, or a comma list of scalar items
  read by the item's rules. **json**: JSON when it parses, else the text itself.
- **file.** An http(s):// or data: URL, a ``file://`` URL or a local path
  (``faltui.core.schema.files``): other schemes are refused, local files must exist.
  **file_list**: a JSON array or a comma list of those.
- Strings and prompts are kept exactly as typed (spaces included) once they are not blank.

Bounds, lengths and enum membership are checked by ``faltui.core.schema.validate.check_value``
(the same messages as the gate); :func:`bounds_hint` and :func:`kind_hint` describe them.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Final

from faltui.core.errors import FieldError
from faltui.core.schema.files import file_problem, read_file_ref
from faltui.core.schema.model import Field
from faltui.core.schema.validate import check_value
from faltui.core.schema.wording import show_values
from faltui.core.seeds import RANDOM, is_seed_field


class _Empty:
    """The value of a field that holds nothing: its key is left out of the input."""

    _instance: _Empty | None = None

    def __new__(cls) -> _Empty:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "EMPTY"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Empty:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Empty:
        return self


#: "No value": the field is left out of the input.
EMPTY: Final = _Empty()

_TRUE = frozenset({"true", "yes", "1", "on", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "off", "n", "f"})
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
_WHOLE = re.compile(r"^[+-]?\d+$", re.ASCII)
_SIZE = re.compile(r"^\s*(\d+)\s*[xX×*,]\s*(\d+)\s*$", re.ASCII)
#: Kinds whose text is kept as typed ("null" stays the word null).
_TEXT_KINDS = frozenset({"string", "text", "file"})
_SCALARS = frozenset({"string", "text", "integer", "number", "boolean", "enum", "const", "file"})

# -- numbers ---------------------------------------------------------------------------


def _comma_hint(text: str) -> str:
    return " (write decimals with a point: 3.5)" if re.search(r"\d,\d", text) else ""


def _whole(digits: str, expected: str) -> int:
    try:
        return int(digits)
    except ValueError:  # Python refuses to read more than 4300 digits
        raise ValueError(f"expected {expected}; got {len(digits)} digits (too long)") from None


def read_integer(text: str) -> int:
    """``"42"``, ``"5.0"``, ``"1e3"`` → an int; raises ValueError for anything else."""
    s = text.strip()
    if _WHOLE.match(s):
        return _whole(s, "an integer")
    if not _NUMBER.match(s):
        raise ValueError(f"expected an integer; got {text!r}{_comma_hint(s)}")
    value = float(s)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"expected an integer; got {text!r} (too large)")
    if not value.is_integer():
        raise ValueError(f"expected an integer; got {text!r}")
    return int(value)


def read_number(text: str) -> int | float:
    """``"5"`` → 5, ``"2.5"``/``"5.0"``/``"1e3"`` → a float; raises ValueError otherwise."""
    s = text.strip()
    if _WHOLE.match(s):
        return _whole(s, "a number")
    if not _NUMBER.match(s):
        raise ValueError(f"expected a number; got {text!r}{_comma_hint(s)}")
    value = float(s)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"expected a number; got {text!r} (too large)")
    return value


# -- other kinds ---------------------------------------------------------------------------


def parse_json(text: str) -> Any:
    """JSON text → a value; raises ValueError saying where the JSON is wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # a number of more than 4300 digits
        raise ValueError(f"not valid JSON ({exc})") from None


def split_list(text: str) -> list[str]:
    """A comma list's items, trimmed, empty ones dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _describe(f: Field) -> str:
    """What a value of ``f`` must look like, for error messages."""
    if f.kind in ("enum", "const"):
        kind = {"string": "a string", "integer": "an integer", "number": "a number"}.get(
            f.value_type, "a value"
        )
        return f"{kind} from: {show_values(f.enum)}"
    return {
        "string": "a string",
        "text": "a string",
        "file": "a file path or URL",
        "file_list": "a comma-separated list (or JSON array) of file paths or URLs",
        "integer": "an integer",
        "number": "a number",
        "boolean": "a boolean (true/false, yes/no, 1/0, on/off)",
        "image_size": f"a preset ({show_values(f.enum)}), WxH, or a JSON object",
        "array": "a JSON array" + (" or a comma-separated list" if _scalar_items(f) else ""),
        "object": "a JSON object",
        "json": "JSON",
    }.get(f.kind, "a value")


def _scalar_items(f: Field) -> bool:
    return f.item is not None and f.item.kind in _SCALARS


def _enum(f: Field, text: str) -> Any:
    values = f.enum or []
    for v in values:
        if isinstance(v, str) and v == text:
            return v
    stripped = text.strip()
    for v in values:  # numbers/booleans by their text: "1024" → 1024
        if not isinstance(v, str) and json.dumps(v) == stripped:
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            try:
                if read_number(stripped) == v:
                    return v
            except ValueError:
                pass
    folded = [v for v in values if isinstance(v, str) and v.casefold() == stripped.casefold()]
    if len(folded) == 1:
        return folded[0]
    if f.open_enum:
        return text
    raise ValueError(f"expected one of {show_values(values)}; got {text!r}")


def _image_size(f: Field, text: str) -> Any:
    s = text.strip()
    if s in (f.enum or []):
        return s
    m = _SIZE.match(s)
    if m:
        return {"width": int(m.group(1)), "height": int(m.group(2))}
    if s.startswith("{"):
        value = parse_json(s)
        if isinstance(value, dict):
            return value
    folded = [v for v in f.enum or [] if isinstance(v, str) and v.casefold() == s.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ValueError(
        f"expected an image size: a preset ({show_values(f.enum)}), WxH like 1024x768, "
        f'or JSON like {{"width": 1024, "height": 768}}; got {text!r}'
    )


def _file(text: str) -> str:
    ref = read_file_ref(text)
    if ref.kind == "unsupported":
        raise ValueError(ref.problem)
    return ref.text


def _file_list(text: str) -> list[Any]:
    if text.strip().startswith("["):
        value = parse_json(text)
        if not isinstance(value, list):
            raise ValueError(f"expected a JSON array; got {text!r}")
        items = value
    else:
        items = split_list(text)
    return [_file(item) if isinstance(item, str) else item for item in items]


def _coerce_kind(f: Field, text: str) -> Any:
    kind = f.kind
    if kind in ("string", "text"):
        return text
    if kind == "file":
        return _file(text)
    if kind == "integer":
        return read_integer(text)
    if kind == "number":
        return read_number(text)
    if kind == "boolean":
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(f"expected a boolean (true/false, yes/no, 1/0, on/off); got {text!r}")
    if kind == "enum":
        return _enum(f, text)
    if kind == "const":
        if text == str(f.const) or json.dumps(f.const) == text.strip():
            return copy.deepcopy(f.const)
        raise ValueError(f"this field is fixed to {show_values([f.const])}; got {text!r}")
    if kind == "image_size":
        return _image_size(f, text)
    if kind == "file_list":
        return _file_list(text)
    if kind == "array":
        if text.strip().startswith("["):
            value = parse_json(text)
            if not isinstance(value, list):
                raise ValueError(f"expected a JSON array; got {text!r}")
            return value
        if f.item is not None and f.item.kind in _SCALARS:
            items = [coerce(f.item, part) for part in split_list(text)]
            return [item for item in items if item is not EMPTY]
        raise ValueError(f"expected a JSON array like [...]; got {text!r}")
    if kind == "object":
        value = parse_json(text)
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object like {{...}}; got {text!r}")
        return value
    # kind "json" (unknown shape): JSON when it parses, else the text itself
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return text


def coerce(field: Field, text: str) -> Any:
    """Turn typed ``text`` into a value of ``field``'s type, or :data:`EMPTY`.

    Raises ``ValueError`` whose message names the expected type and allowed values (the
    caller adds the field's path). Unions try their kind, then each variant.
    """
    if not isinstance(text, str):
        raw = text
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
    stripped = text.strip()
    if not stripped:
        return EMPTY
    if is_seed_field(field) and stripped.lower() == RANDOM:
        return EMPTY
    if field.nullable and stripped == "null" and field.kind not in _TEXT_KINDS:
        return None
    try:
        return _coerce_kind(field, text)
    except ValueError as first:
        for variant in field.variants:
            if variant.kind == field.kind and variant.enum == field.enum:
                continue
            try:
                return _coerce_kind(variant, text)
            except ValueError:
                continue
        if field.variants and field.kind not in ("image_size", "enum"):
            options = " or ".join(dict.fromkeys(_describe(v) for v in field.variants))
            raise ValueError(f"expected {options}; got {text!r}") from None
        raise first from None


def read(field: Field, text: str, path: tuple[str | int, ...]) -> tuple[Any, list[FieldError]]:
    """Text of one field → ``(value or EMPTY, problems)``: what the form shows as you type.

    The problems are those the gate reports for the same value (type, bounds, length, enum,
    and for files an unsupported scheme or a missing local file), each at ``path``.
    """
    try:
        value = coerce(field, text)
    except ValueError as exc:
        return EMPTY, [FieldError(path, str(exc), "parse")]
    if value is EMPTY:
        return EMPTY, []
    try:
        problems = check_value(field, value, path)
    except Exception as exc:  # a checker bug: say so (the gate refuses such an input too)
        return value, [FieldError(path, unchecked_message(exc), "internal")]
    for where, message in file_problems(field, value, path):
        problems.append(FieldError(where, message, "file"))
    return value, problems


def unchecked_message(exc: BaseException) -> str:
    """What a field says when the checker itself failed on it."""
    return f"could not be checked ({type(exc).__name__}: {exc}); not submitted (a faltui bug)"


def file_problems(
    field: Field, value: Any, path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems of the file references in one value of a file or file-list field."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if field.kind == "file" and isinstance(value, str):
        problem = file_problem(value)
        if problem:
            found.append((path, problem))
    elif field.kind == "file_list" and isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                problem = file_problem(item)
                if problem:
                    found.append(((*path, i), problem))
    return found


# -- values back to text -------------------------------------------------------------------


def value_text(value: Any) -> str:
    """How a value shows in a text box; :func:`coerce` reads it back as the same value."""
    if value is EMPTY or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)  # 3.0 stays recognisably a float
    return json.dumps(value, ensure_ascii=False)


def default_value(field: Field) -> Any:
    """What an untouched field holds: the schema default (EMPTY when there is none or it is
    ``null``); a const field always holds its value."""
    if field.kind == "const":
        return copy.deepcopy(field.const)
    if field.has_default and field.default is not None:
        return copy.deepcopy(field.default)
    return EMPTY


def is_empty(value: Any) -> bool:
    """EMPTY, None, blank strings and empty lists/objects count as "not filled in"."""
    if value is EMPTY or value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | dict):
        return len(value) == 0
    return False


# -- hints ---------------------------------------------------------------------------------


def _num(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def bounds_hint(field: Field) -> str:
    """``1–4``, ``> 0 ≤ 14142``, ``≤ 2500 chars`` … ('' when unbounded)."""
    lo, hi = field.minimum, field.maximum
    xlo, xhi = field.exclusive_minimum, field.exclusive_maximum
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
    if field.max_length is not None:
        parts.append(f"≤ {field.max_length} chars")
    return " ".join(parts)


_KIND_HINTS = {
    "integer": "integer",
    "number": "number",
    "file": "URL or local path (local path uploads on submit)",
    "file_list": "URLs or local paths (local paths upload on submit)",
    "array": "list",
    "json": "JSON",
    "const": "fixed",
}


def kind_hint(field: Field) -> str:
    """A short hint for a field's label: its kind and bounds (``integer 1–4``)."""
    parts = [_KIND_HINTS.get(field.kind, "")]
    if is_seed_field(field):
        parts = ["integer · empty = random"]
    bounds = bounds_hint(field)
    if bounds:
        parts.append(bounds)
    if field.deprecated:
        parts.append("(deprecated)")
    return " ".join(p for p in parts if p)
