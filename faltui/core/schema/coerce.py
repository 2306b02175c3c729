"""Text → typed values by schema: :func:`coerce` (one field) and :func:`parse_params` (CLI).

fal-protocol.md §10.4: booleans from true/false/yes/no/1/0/on/off, string enums keep
numeric-looking values as strings (``duration="5"``), integer enums become ints, JSON for
objects/arrays, ``WxH`` for image sizes, comma lists for file lists and scalar arrays.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any

from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema.model import EndpointSchema, Field, array_item, object_children

_TRUE = frozenset({"true", "yes", "1", "on", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "off", "n", "f"})
_SIZE = re.compile(r"^\s*(\d+)\s*[xX×*,]\s*(\d+)\s*$")
_INDEX = re.compile(r"\[(\d+)\]")
_SCALARS = frozenset({"string", "text", "integer", "number", "boolean", "enum", "const", "file"})

#: How many allowed values an error message lists before eliding the rest.
MAX_LISTED = 12


def show_values(values: list[Any] | None, limit: int = MAX_LISTED) -> str:
    """Allowed values for a message: ``"5", "10"`` for strings, bare numbers otherwise."""
    values = values or []
    shown = [json.dumps(v, ensure_ascii=False) for v in values[:limit]]
    more = len(values) - limit
    return ", ".join(shown) + (f" … ({more} more)" if more > 0 else "")


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


def _parse_int(text: str) -> int:
    s = text.strip()
    try:
        return int(s, 10)
    except ValueError:
        value = float(s)  # "5.0" or "1e3" are integers too; "5.5" is not
        if not math.isfinite(value) or value != int(value):
            raise ValueError from None
        return int(value)


def _parse_number(text: str) -> int | float:
    s = text.strip()
    try:
        return int(s, 10)
    except ValueError:
        value = float(s)
        if not math.isfinite(value):
            raise ValueError from None
        return value


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _enum(f: Field, text: str) -> Any:
    values = f.enum or []
    for v in values:
        if isinstance(v, str) and v == text:
            return v
    for v in values:  # numbers/booleans by their text: "1024" → 1024
        if not isinstance(v, str) and json.dumps(v) == text.strip():
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            try:
                if _parse_number(text) == v:
                    return v
            except ValueError:
                pass
    folded = [v for v in values if isinstance(v, str) and v.casefold() == text.strip().casefold()]
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
        value = _parse_json(s)
        if isinstance(value, dict):
            return value
    folded = [v for v in f.enum or [] if isinstance(v, str) and v.casefold() == s.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ValueError(
        f"expected an image size: a preset ({show_values(f.enum)}), WxH like 1024x768, "
        f'or JSON like {{"width": 1024, "height": 768}}; got {text!r}'
    )


def _coerce_kind(f: Field, text: str) -> Any:
    kind = f.kind
    if kind in ("string", "text", "file"):
        return text
    if kind == "integer":
        try:
            return _parse_int(text)
        except ValueError:
            raise ValueError(f"expected an integer; got {text!r}") from None
    if kind == "number":
        try:
            return _parse_number(text)
        except ValueError:
            raise ValueError(f"expected a number; got {text!r}") from None
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
            return f.const
        raise ValueError(f"this field is fixed to {show_values([f.const])}; got {text!r}")
    if kind == "image_size":
        return _image_size(f, text)
    if kind == "file_list":
        if text.strip().startswith("["):
            value = _parse_json(text)
            if isinstance(value, list):
                return value
        return _split(text)
    if kind == "array":
        if text.strip().startswith("["):
            value = _parse_json(text)
            if not isinstance(value, list):
                raise ValueError(f"expected a JSON array; got {text!r}")
            return value
        if f.item is not None and f.item.kind in _SCALARS:
            return [coerce(f.item, part) for part in _split(text)]
        raise ValueError(f"expected a JSON array like [...]; got {text!r}")
    if kind == "object":
        value = _parse_json(text)
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object like {{...}}; got {text!r}")
        return value
    # kind "json" (unknown shape): JSON when it parses, else the text itself
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def coerce(field: Field, text: str) -> Any:
    """Turn command-line ``text`` into a value of ``field``'s type.

    Raises ``ValueError`` whose message names the expected type and allowed values.
    ``"null"`` gives None for nullable fields. Unions try their kind, then each variant.
    """
    if not isinstance(text, str):
        text = text if isinstance(text, (bytes, bytearray)) else str(text)
        text = text.decode("utf-8", "replace") if isinstance(text, (bytes, bytearray)) else text
    if field.nullable and text.strip() in ("null", "None"):
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


# -- parse_params ----------------------------------------------------------------------


def _split_key(key: str) -> list[str | int]:
    """``a.b[0].c`` or ``a.b.0.c`` → ``["a", "b", 0, "c"]``."""
    parts: list[str | int] = []
    for chunk in _INDEX.sub(r".\1", key).split("."):
        if chunk == "":
            raise ValueError(f"bad key {key!r}: empty segment")
        parts.append(int(chunk) if chunk.isdigit() else chunk)
    return parts


def _container(f: Field) -> bool:
    """Whether sub-keys can be assigned under ``f``."""
    return f.kind in ("object", "json", "image_size") or bool(object_children(f))


def close_matches(name: str, options: list[str]) -> list[str]:
    """Names in ``options`` that look like a typo of ``name`` (best first)."""
    found = difflib.get_close_matches(name, options, n=3, cutoff=0.6)
    lower = name.lower()
    found += [o for o in options if lower and lower in o.lower() and o not in found]
    return found[:3]


def _unknown(path: tuple[str | int, ...], name: str, options: list[str]) -> FieldError:
    near = close_matches(name, options)
    if near:
        hint = "did you mean " + " or ".join(near) + "?"
    elif options:
        shown = ", ".join(options[:MAX_LISTED]) + (" …" if len(options) > MAX_LISTED else "")
        hint = f"known: {shown}"
    else:
        hint = "this object takes no parameters"
    return FieldError(path, f"unknown parameter ({hint})", "unknown")


class _Assign:
    """Writes values into a nested payload, following the field tree."""

    def __init__(self, schema: EndpointSchema) -> None:
        self.schema = schema
        self.out: dict[str, Any] = {}
        self.errors: list[FieldError] = []
        self.assigned: set[tuple[str | int, ...]] = set()

    def set(self, parts: list[str | int], text: str, raw_json: bool) -> None:
        """Assign ``text`` at the key path ``parts``, typed by the field found there."""
        fields: list[Field] = self.schema.input
        container: Any = self.out
        field: Field | None = None
        path: tuple[str | int, ...] = ()
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            where = FieldError(path, "").dotted
            path += (part,)
            if isinstance(part, int):
                if field is not None and array_item(field) is None and field.kind != "json":
                    self.errors.append(FieldError(path[:-1], f"{where} is not a list", "type"))
                    return
                if not isinstance(container, list):
                    self.errors.append(FieldError(path[:-1], f"{where} is not a list", "type"))
                    return
                if part > len(container):
                    msg = f"index {part} skips items (next index is {len(container)})"
                    self.errors.append(FieldError(path, msg, "index"))
                    return
                field = array_item(field) if field is not None else None
            else:
                if not isinstance(container, dict):
                    self.errors.append(FieldError(path[:-1], f"{where} is not an object", "type"))
                    return
                if fields:
                    match = next((f for f in fields if f.name == part), None)
                    if match is None:
                        self.errors.append(_unknown(path, part, [f.name for f in fields]))
                        return
                    field = match
                elif field is not None and not _container(field):
                    msg = f"{where} is {field.kind}, it has no sub-keys"
                    self.errors.append(FieldError(path[:-1], msg, "type"))
                    return
                else:
                    field = None  # free-form object: anything goes
            fields = object_children(field) if field is not None else []
            if last:
                self._put(container, part, field, path, text, raw_json)
                return
            if isinstance(part, int):
                if part == len(container):
                    container.append([] if isinstance(parts[i + 1], int) else {})
                container = container[part]
            else:
                if part not in container or container[part] is None:
                    container[part] = [] if isinstance(parts[i + 1], int) else {}
                container = container[part]

    def _put(
        self,
        container: Any,
        key: str | int,
        field: Field | None,
        path: tuple[str | int, ...],
        text: str,
        raw_json: bool,
    ) -> None:
        try:
            if raw_json:
                value = _parse_json(text)
            elif field is None:  # free-form: JSON when it parses, else the text
                value = _coerce_kind(Field(name=str(key), path=(), kind="json"), text)
            else:
                value = coerce(field, text)
        except ValueError as exc:
            self.errors.append(FieldError(path, str(exc), "type"))
            return
        if isinstance(container, list):
            if key == len(container):
                container.append(value)
            else:
                container[key] = value  # type: ignore[index]
            return
        old = container.get(key)
        repeat = path in self.assigned
        if (
            repeat
            and not raw_json
            and field is not None
            and field.kind in ("file_list", "array")
            and isinstance(old, list)
            and isinstance(value, list)
        ):
            container[key] = old + value  # repeated list flags add up: k=a k=b
        else:
            container[key] = value
        self.assigned.add(path)


def parse_params(schema: EndpointSchema, items: list[str]) -> dict[str, Any]:
    """Build an input object from ``k=v`` (typed by the schema), ``k:=<json>`` and nested keys.

    Keys may be dotted (``a.b=1``) and index lists (``loras.0.path=x`` or
    ``loras[0].path=x``). A key the schema does not know is an error naming close matches
    (a silently ignored typo wastes money); when the schema declares no inputs at all,
    any key is accepted. Every problem is collected; raises ``ValidationFailed`` once.
    Only parsing is checked here: run :func:`validate` for required/range checks.
    """
    assign = _Assign(schema)
    for item in items:
        eq = item.find("=")
        if eq <= 0:
            assign.errors.append(FieldError((item,), "expected key=value or key:=<json>", "syntax"))
            continue
        raw_json = item[eq - 1] == ":"
        key = item[: eq - 1] if raw_json else item[:eq]
        text = item[eq + 1 :]
        try:
            parts = _split_key(key.strip())
        except ValueError as exc:
            assign.errors.append(FieldError((key,), str(exc), "syntax"))
            continue
        if not parts or isinstance(parts[0], int):
            assign.errors.append(FieldError((key,), "a key must start with a name", "syntax"))
            continue
        assign.set(parts, text, raw_json)
    if assign.errors:
        raise ValidationFailed(assign.errors)
    return assign.out
