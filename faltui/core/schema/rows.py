"""Printable descriptions of fields: :func:`type_label` and :func:`field_rows`."""

from __future__ import annotations

import json
from typing import Any

from faltui.core.schema.model import Field, FieldRow

#: Enum values shown in a type label before eliding the rest.
MAX_LABEL_VALUES = 8


def _num(n: float) -> str:
    return f"{n:g}" if isinstance(n, float) else str(n)


def _values(values: list[Any] | None) -> str:
    values = values or []
    shown = [v if isinstance(v, str) else json.dumps(v) for v in values[:MAX_LABEL_VALUES]]
    more = len(values) - MAX_LABEL_VALUES
    return "|".join(shown) + (f"|…+{more}" if more > 0 else "")


def _range(f: Field) -> str:
    low = high = ""
    if f.minimum is not None:
        low = f"{_num(f.minimum)}.."
    elif f.exclusive_minimum is not None:
        low = f">{_num(f.exclusive_minimum)}.."
    if f.maximum is not None:
        high = _num(f.maximum)
    elif f.exclusive_maximum is not None:
        high = f"<{_num(f.exclusive_maximum)}"
    if not low and not high:
        return ""
    return f" [{low or '..'}{high}]"


def _length(f: Field) -> str:
    if f.min_length is not None and f.max_length is not None:
        return f" ({f.min_length}-{f.max_length} chars)"
    if f.max_length is not None:
        return f" (≤{f.max_length} chars)"
    if f.min_length is not None:
        return f" (≥{f.min_length} chars)"
    return ""


def type_label(f: Field) -> str:
    """A short type description: ``integer [1..4]``, ``string enum [a|b]``, ``file`` …"""
    kind = f.kind
    if kind == "enum":
        base = f"{f.value_type or 'value'} enum [{_values(f.enum)}]"
        if f.open_enum:
            base += " or any string"
    elif kind == "const":
        base = f"const {json.dumps(f.const, ensure_ascii=False)}"
    elif kind in ("integer", "number"):
        base = kind + _range(f)
    elif kind in ("string", "text"):
        base = kind + _length(f)
    elif kind == "boolean":
        base = "boolean"
    elif kind == "file":
        base = "file (path or URL)"
    elif kind == "file_list":
        base = "list of files (paths or URLs)"
    elif kind == "image_size":
        base = f"image size [{_values(f.enum)}] or WxH"
    elif kind == "array":
        inner = (
            type_label(f.item)
            if f.item is not None and f.item.kind != "object"
            else ("object" if f.item is not None else "any")
        )
        base = f"list of {inner}"
    elif kind == "object":
        base = f"object ({f.ref})" if f.ref else "object"
    else:
        base = "json"
    if f.variants and kind not in ("image_size", "enum"):
        others = [type_label(v) for v in f.variants if v.kind != kind]
        if others:
            base += " or " + " or ".join(dict.fromkeys(others))
    if f.nullable:
        base += " or null"
    return base


def default_text(f: Field) -> str:
    """The default as text (``""`` when there is none)."""
    if not f.has_default:
        return ""
    value = f.default
    if isinstance(value, str) and value.strip() and value == value.strip():
        return value
    return json.dumps(value, ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def field_rows(fields: list[Field], *, nested: bool = True, depth: int = 0) -> list[FieldRow]:
    """One row per field in schema order; ``nested`` adds object children and list items.

    Paths are dotted with ``[]`` for list items (``loras[].path``).
    """
    rows: list[FieldRow] = []
    for f in fields:
        rows.append(
            FieldRow(
                path_dotted=f.dotted or f.name,
                type_label=type_label(f),
                required=f.required,
                default_text=default_text(f),
                description=_one_line(f.description),
                depth=depth,
                advanced=f.advanced,
            )
        )
        if not nested or f.kind == "image_size":
            continue
        children = f.children
        if not children and f.item is not None:
            children = f.item.children
        if children:
            rows += field_rows(children, nested=True, depth=depth + 1)
    return rows
