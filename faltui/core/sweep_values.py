"""The values of one swept field, from what a person types: ``1..8``, ``2..6 step 2``, ``2,4,6``.

A sweep spec names the *texts* of the values; each text is later read by the field's own rules
(:func:`faltui.core.schema.input.coerce`, per model), exactly like the same text typed into the
form or given as ``--param``. This module only decides which texts a spec stands for:

- ``a..b`` — every number from ``a`` to ``b`` by 1 (``8..1`` counts down);
  ``a..b step s`` — by ``s`` (``1..2 step 0.25``). The numbers are read with the form's number
  rules and counted in decimal, so ``0.1`` steps give ``0.3``, never ``0.30000000000000004``.
- ``[…]`` — a JSON array: each item is one value (a prompt with commas: ``["a, b", "c"]``).
- ``*`` — every value an enum (or boolean) field allows.
- anything else — a comma list (``2,4,6``; ``jpeg, png``).

Free text (prompts) is never split: a prompt is one value whatever it holds; several prompts
come one per line in the TUI, one per ``--sweep prompt=…`` on the command line, or as a JSON
array. The same value twice is refused (it would run the same job twice).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from faltui.core.schema.input import parse_json, read_number, split_list, value_text
from faltui.core.schema.model import Field

#: Most jobs one sweep may submit (the same bound as the form's submit ×N).
MAX_SWEEP_JOBS = 500

#: Field kinds whose values are free text: never split, never read as a range.
TEXT_KINDS = frozenset({"string", "text", "file"})
#: The word that stands for every value of an enum or boolean field.
ALL_VALUES = "*"

_RANGE = re.compile(r"^\s*(?P<start>\S+?)\s*\.\.\s*(?P<end>\S+?)(?:\s+step\s+(?P<step>\S+))?\s*$")


class SweepValueError(ValueError):
    """A value spec that names no usable values (the message says why)."""


def is_text_field(field: Field | None) -> bool:
    """Whether the field takes free text (a prompt): its spec is one value, never split."""
    return field is not None and field.kind in TEXT_KINDS and not field.enum


def _decimal(text: str, what: str) -> Decimal:
    """A range end or step, read with the form's number rules (``1e3``, ``2.5``; not ``3,5``)."""
    try:
        number = read_number(text)
    except ValueError as exc:
        raise SweepValueError(f"the {what} of the range: {exc}") from None
    try:
        return Decimal(str(number)) if isinstance(number, float) else Decimal(number)
    except InvalidOperation:  # pragma: no cover - read_number already refused it
        raise SweepValueError(f"the {what} of the range is not a number: {text!r}") from None


def _number_text(value: Decimal) -> str:
    """``4`` not ``4.0``, ``0.3`` not ``3E-1``: how the value reads back in a field."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def range_texts(start_text: str, end_text: str, step_text: str | None) -> list[str]:
    """The numbers from start to end (both included) by step, as texts."""
    start = _decimal(start_text, "start")
    end = _decimal(end_text, "end")
    step = _decimal(step_text, "step") if step_text is not None else Decimal(1)
    if step <= 0:
        raise SweepValueError(f"the step of a range must be more than 0, got {step_text}")
    span = abs(end - start)
    count = int(span / step) + 1
    if count > MAX_SWEEP_JOBS:
        raise SweepValueError(
            f"{start_text}..{end_text} names {count} values; a sweep runs at most "
            f"{MAX_SWEEP_JOBS} jobs"
        )
    direction = 1 if end >= start else -1
    return [_number_text(start + direction * step * i) for i in range(count)]


def _json_items(text: str) -> list[str]:
    try:
        items = parse_json(text)
    except ValueError as exc:
        raise SweepValueError(str(exc)) from None
    if not isinstance(items, list):
        raise SweepValueError("expected a JSON array of values")
    return [item if isinstance(item, str) else value_text(item) for item in items]


def all_values(field: Field | None) -> list[str]:
    """Every value an enum (or boolean) field allows, as texts."""
    if field is not None and field.kind == "boolean":
        return ["true", "false"]
    values = (field.enum if field is not None else None) or []
    if field is None or field.kind not in ("enum", "image_size") or not values:
        raise SweepValueError(f"{ALL_VALUES} stands for every value of an enum or boolean field")
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def value_texts(spec: str, field: Field | None, *, as_json: bool = False) -> list[str]:
    """The value texts a spec names for ``field`` (its kind decides how the text splits).

    ``as_json``: the spec is JSON (``--sweep k:=…``): an array of values, or one value. Free
    text is read as JSON only so (a prompt may well start with ``[``).
    Raises ``SweepValueError`` for a spec naming no value, a bad range, or the same value twice.
    """
    stripped = spec.strip()
    if not stripped:
        raise SweepValueError("no values given")
    if as_json:
        texts = _json_items(stripped if stripped.startswith("[") else f"[{stripped}]")
    elif is_text_field(field):
        texts = [spec]
    elif stripped.startswith("["):
        texts = _json_items(stripped)
    elif stripped == ALL_VALUES:
        texts = all_values(field)
    elif match := _RANGE.match(stripped):
        texts = range_texts(match["start"], match["end"], match["step"])
    else:
        texts = split_list(stripped)
    return unique_texts(texts)


def unique_texts(texts: list[str]) -> list[str]:
    """``texts`` without blanks; the same value twice is an error (it would run twice)."""
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        if not text.strip():
            continue
        key = text.strip()
        if key in seen:
            raise SweepValueError(f"{key!r} is listed twice (it would run the same job twice)")
        seen.add(key)
        out.append(text)
    if not out:
        raise SweepValueError("no values given")
    return out


def describe_value(value: Any) -> str:
    """A value as the grid and the JSON lines key it: the text it reads back from."""
    return value_text(value)
