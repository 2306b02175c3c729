"""``faltui run --param``: ``k=v`` items (typed by the schema), ``k:=<json>`` and nested keys.

Each value is read by :func:`faltui.core.schema.input.coerce`, the same function the form's
editors use (fal-protocol.md §10.4); an empty value leaves the key out, like an empty field.
"""

from __future__ import annotations

import re
from typing import Any

from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema.input import EMPTY, coerce, parse_json
from faltui.core.schema.model import EndpointSchema, Field, array_item, object_children
from faltui.core.schema.wording import MAX_LISTED, close_matches

_INDEX = re.compile(r"\[(\d+)\]")


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
                value = parse_json(text)
            elif field is None:  # free-form: JSON when it parses, else the text
                value = coerce(Field(name=str(key), path=(), kind="json"), text)
            else:
                value = coerce(field, text)
        except ValueError as exc:
            self.errors.append(FieldError(path, str(exc), "type"))
            return
        if value is EMPTY:  # "k=" leaves the key out, like an empty field in the form
            self.assigned.add(path)
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
