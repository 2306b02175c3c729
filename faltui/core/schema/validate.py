"""Local validation of an input object against its schema, and defaults.

:func:`validate` reports every problem with its path (``FieldError.path`` uses ints for list
indexes), so a form can mark all bad fields at once and nothing is sent (or paid for) when
fal would answer 422 anyway.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from faltui.core.errors import FieldError
from faltui.core.schema.model import EndpointSchema, Field
from faltui.core.schema.wording import close_matches, show_values

Path = tuple[str | int, ...]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value == int(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _fmt(n: float) -> str:
    return f"{n:g}" if isinstance(n, float) else str(n)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: Path, message: str, kind: str) -> None:
        self.errors.append(FieldError(path, message, kind))

    def wrong(self, path: Path, expected: str, value: Any) -> None:
        self.add(path, f"expected {expected}, got {_type_name(value)}", "type")

    # -- entry -----------------------------------------------------------------------

    def check(self, f: Field, value: Any, path: Path) -> None:
        """Check ``value`` against ``f`` and its variants."""
        if value is None:
            if not f.nullable and f.kind != "json":  # unknown shapes: give null the benefit
                self.add(path, "must not be null", "type")
            return
        if f.variants and f.kind not in ("image_size", "enum"):
            self.union(f, value, path)
            return
        self.kind(f, value, path)

    def union(self, f: Field, value: Any, path: Path) -> None:
        """Valid when any variant accepts the value.

        Otherwise: the errors of the first variant whose type matched (the value had the
        right shape but bad content), or one "expected X or Y" error.
        """
        attempts = []
        for v in f.variants:
            sub = _Checker()
            sub.kind(v, value, path)
            if not sub.errors:
                return
            attempts.append(sub.errors)
        for errors in attempts:
            if not any(e.kind == "type" and e.path == path for e in errors):
                self.errors += errors
                return
        kinds = " or ".join(dict.fromkeys(v.kind for v in f.variants))
        self.add(path, f"expected {kinds}, got {_type_name(value)}", "type")

    def kind(self, f: Field, value: Any, path: Path) -> None:
        """Check ``value`` against ``f``'s own kind and bounds (no variants)."""
        kind = f.kind
        if kind in ("string", "text", "file"):
            if not isinstance(value, str):
                self.wrong(path, "a string", value)
                return
            self.length(f, len(value), path, "characters")
        elif kind == "integer":
            if not _is_int(value):
                self.wrong(path, "an integer", value)
                return
            self.bounds(f, value, path)
        elif kind == "number":
            if not _is_number(value):
                self.wrong(path, "a number", value)
                return
            self.bounds(f, value, path)
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.wrong(path, "a boolean", value)
        elif kind == "enum":
            self.enum(f, value, path)
        elif kind == "const":
            if value != f.const or type(value) is not type(f.const):
                self.add(path, f"must be {show_values([f.const])}", "const")
        elif kind == "image_size":
            self.image_size(f, value, path)
        elif kind in ("array", "file_list"):
            self.array(f, value, path)
        elif kind == "object":
            if not isinstance(value, dict):
                self.wrong(path, "an object", value)
                return
            self.children(f.children, value, path)

    def length(self, f: Field, n: int, path: Path, unit: str) -> None:
        if f.min_length is not None and n < f.min_length:
            self.add(path, f"too short: {n} {unit}, at least {f.min_length}", "short")
        if f.max_length is not None and n > f.max_length:
            self.add(path, f"too long: {n} {unit}, at most {f.max_length}", "length")

    def bounds(self, f: Field, value: float, path: Path) -> None:
        if f.minimum is not None and value < f.minimum:
            self.add(path, f"must be ≥ {_fmt(f.minimum)}, got {_fmt(value)}", "range")
        if f.maximum is not None and value > f.maximum:
            self.add(path, f"must be ≤ {_fmt(f.maximum)}, got {_fmt(value)}", "range")
        if f.exclusive_minimum is not None and value <= f.exclusive_minimum:
            self.add(path, f"must be > {_fmt(f.exclusive_minimum)}, got {_fmt(value)}", "range")
        if f.exclusive_maximum is not None and value >= f.exclusive_maximum:
            self.add(path, f"must be < {_fmt(f.exclusive_maximum)}, got {_fmt(value)}", "range")

    def enum(self, f: Field, value: Any, path: Path) -> None:
        values = f.enum or []
        if any(value == v and type(value) is type(v) for v in values):
            return
        if f.open_enum and isinstance(value, str):
            return
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and (str(value) in values or _fmt(value) in values):
            self.add(
                path,
                f'must be the string "{_fmt(value)}", not the number {_fmt(value)} '
                f"(one of {show_values(values)})",
                "enum",
            )
            return
        if isinstance(value, str) and any(json.dumps(v) == value for v in values):
            self.add(path, f"must be the number {value}, not the string {value!r}", "enum")
            return
        self.add(path, f"must be one of {show_values(values)}; got {json.dumps(value)}", "enum")

    def image_size(self, f: Field, value: Any, path: Path) -> None:
        if isinstance(value, str):
            if value not in (f.enum or []):
                self.add(
                    path,
                    f"unknown size preset {value!r}; use one of {show_values(f.enum)} "
                    "or an object {width, height}",
                    "enum",
                )
            return
        if not isinstance(value, dict):
            self.wrong(path, "a preset name or an object {width, height}", value)
            return
        self.children(f.children, value, path)

    def array(self, f: Field, value: Any, path: Path) -> None:
        if not isinstance(value, list):
            self.wrong(path, "a list", value)
            return
        if f.min_items is not None and len(value) < f.min_items:
            self.add(path, f"too few items: {len(value)}, at least {f.min_items}", "length")
        if f.max_items is not None and len(value) > f.max_items:
            self.add(path, f"too many items: {len(value)}, at most {f.max_items}", "length")
        if f.item is None:
            return
        for i, item in enumerate(value):
            if item is None and not f.item.nullable:
                self.add((*path, i), "must not be null", "type")
            else:
                self.check(f.item, item, (*path, i))

    def children(self, fields: list[Field], value: dict[str, Any], path: Path) -> None:
        for child in fields:
            if child.name not in value:
                if child.required:
                    self.add((*path, child.name), "required", "missing")
                continue
            self.check(child, value[child.name], (*path, child.name))


def check_value(f: Field, value: Any, path: Path = ()) -> list[FieldError]:
    """Every problem of one ``value`` against field ``f`` (paths relative to ``path``)."""
    checker = _Checker()
    checker.check(f, value, path)
    return checker.errors


def validate(schema: EndpointSchema, payload: Any, *, unknown: bool = False) -> list[FieldError]:
    """Every problem of ``payload`` against ``schema.input``, each with its path.

    Checks required fields (top level and inside objects/list items), types, enums, const,
    numeric bounds (incl. exclusive), string lengths and list sizes. Keys the schema does not
    declare are ignored (fal ignores them) unless ``unknown=True``.
    """
    checker = _Checker()
    if not isinstance(payload, dict):
        checker.wrong((), "a JSON object", payload)
        return checker.errors
    checker.children(schema.input, payload, ())
    if unknown and schema.input:
        names = [f.name for f in schema.input]
        for key in payload:
            if key not in names:
                near = close_matches(str(key), names)
                hint = f" (did you mean {' or '.join(near)}?)" if near else ""
                checker.add((str(key),), f"unknown parameter{hint}", "unknown")
    return checker.errors


def defaults(schema: EndpointSchema) -> dict[str, Any]:
    """The declared default of every top-level input that has one, in field order."""
    return {f.name: copy.deepcopy(f.default) for f in schema.input if f.has_default}
