"""Small OpenAPI helpers for the emulator: ``$ref`` resolution and fal-style input validation.

The validator is deliberately the emulator's own (it does not use ``faltui.core.schema``) so that
client-side validation is tested against an independent implementation. Errors follow the
FastAPI/pydantic convention fal replays: ``{"loc": ["body", ...], "msg": ..., "type": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MAX_DEPTH = 12


def resolve(schema: Any, doc: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """``schema`` with ``$ref`` (and single-element ``allOf``) followed; sibling keys kept."""
    if not isinstance(schema, dict):
        return {}
    out = dict(schema)
    for _ in range(_MAX_DEPTH):
        ref = out.get("$ref")
        all_of = out.get("allOf")
        if isinstance(ref, str):
            target = lookup_ref(ref, doc)
            merged = dict(target)
            merged.update({k: v for k, v in out.items() if k != "$ref"})
            out = merged
        elif isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            merged = resolve(all_of[0], doc, depth + 1)
            merged.update({k: v for k, v in out.items() if k != "allOf"})
            out = merged
        else:
            break
    return out


def lookup_ref(ref: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The component a local ``#/...`` reference points at (``{}`` when missing)."""
    if not ref.startswith("#/"):
        return {}
    node: Any = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node if isinstance(node, dict) else {}


def _operation_schema(doc: dict[str, Any], endpoint_id: str, output: bool) -> dict[str, Any]:
    paths = doc.get("paths") or {}
    if output:
        candidates = [f"/{endpoint_id}/requests/{{request_id}}"] + [
            p for p in paths if p.endswith("/requests/{request_id}")
        ]
        for path in candidates:
            try:
                schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"][
                    "schema"
                ]
            except (KeyError, TypeError):
                continue
            return resolve(schema, doc)
        suffix = "Output"
    else:
        candidates = [f"/{endpoint_id}"] + [p for p in paths if "/requests/" not in p]
        for path in candidates:
            try:
                schema = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            except (KeyError, TypeError):
                continue
            return resolve(schema, doc)
        suffix = "Input"
    for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        if name.endswith(suffix) and isinstance(schema, dict):
            return resolve(schema, doc)
    return {}


def input_schema(doc: dict[str, Any], endpoint_id: str) -> dict[str, Any]:
    """The resolved ``...Input`` object schema of an endpoint's OpenAPI document."""
    return _operation_schema(doc, endpoint_id, output=False)


def output_schema(doc: dict[str, Any], endpoint_id: str) -> dict[str, Any]:
    """The resolved ``...Output`` object schema (``{}`` when the document has none)."""
    return _operation_schema(doc, endpoint_id, output=True)


def _error(loc: list[Any], msg: str, kind: str, value: Any) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": kind, "input": value}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    return True


_TYPE_ERRORS = {
    "string": ("Input should be a valid string", "string_type"),
    "integer": ("Input should be a valid integer", "int_type"),
    "number": ("Input should be a valid number", "float_type"),
    "boolean": ("Input should be a valid boolean", "bool_type"),
    "array": ("Input should be a valid list", "list_type"),
    "object": ("Input should be a valid dictionary", "dict_type"),
    "null": ("Input should be None", "none_required"),
}


def _literal_message(options: list[Any]) -> str:
    shown = [repr(o) if isinstance(o, str) else str(o) for o in options]
    if len(shown) == 1:
        return f"Input should be {shown[0]}"
    return "Input should be " + ", ".join(shown[:-1]) + f" or {shown[-1]}"


def validate_value(
    schema: dict[str, Any], value: Any, doc: dict[str, Any], loc: list[Any], depth: int = 0
) -> list[dict[str, Any]]:
    """Every problem of ``value`` against ``schema`` (required, types, enums, bounds)."""
    if depth > _MAX_DEPTH:
        return []
    schema = resolve(schema, doc)
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list) and variants:
        if value is None and schema.get("nullable"):
            return []
        attempts: list[list[dict[str, Any]]] = []
        for variant in variants:
            errors = validate_value(variant, value, doc, loc, depth + 1)
            if not errors:
                return []
            attempts.append(errors)
        # Report the branch whose type matched (e.g. the enum for a string), else the first.
        for errors in attempts:
            if not errors[0]["type"].endswith(("_type", "none_required")):
                return errors[:1]
        return attempts[0][:1]
    if value is None and schema.get("nullable"):
        return []
    if "const" in schema and value != schema["const"]:
        return [_error(loc, _literal_message([schema["const"]]), "literal_error", value)]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        if value not in enum or (isinstance(value, bool) and not any(e is value for e in enum)):
            return [_error(loc, _literal_message(enum), "literal_error", value)]
        return []
    kind = schema.get("type")
    if isinstance(kind, str) and not _type_ok(kind, value):
        msg, err_type = _TYPE_ERRORS.get(kind, ("Input has the wrong type", "type_error"))
        return [_error(loc, msg, err_type, value)]
    errors = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        errors.extend(_bounds(schema, value, loc))
    if isinstance(value, str):
        if isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
            errors.append(
                _error(
                    loc,
                    f"String should have at least {schema['minLength']} characters",
                    "string_too_short",
                    value,
                )
            )
        if isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
            errors.append(
                _error(
                    loc,
                    f"String should have at most {schema['maxLength']} characters",
                    "string_too_long",
                    value,
                )
            )
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                errors.extend(validate_value(items, item, doc, [*loc, index], depth + 1))
    if isinstance(value, dict) and (schema.get("properties") or schema.get("required")):
        errors.extend(validate_object(schema, value, doc, loc, depth + 1))
    return errors


def _bounds(schema: dict[str, Any], value: float, loc: list[Any]) -> list[dict[str, Any]]:
    checks: list[tuple[str, Callable[[float], bool], str, str]] = [
        ("minimum", lambda b: value >= b, "greater than or equal to", "greater_than_equal"),
        ("maximum", lambda b: value <= b, "less than or equal to", "less_than_equal"),
        ("exclusiveMinimum", lambda b: value > b, "greater than", "greater_than"),
        ("exclusiveMaximum", lambda b: value < b, "less than", "less_than"),
    ]
    for key, ok, words, err_type in checks:
        bound = schema.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool) and not ok(bound):
            return [_error(loc, f"Input should be {words} {bound}", err_type, value)]
    return []


def validate_object(
    schema: dict[str, Any],
    value: dict[str, Any],
    doc: dict[str, Any],
    loc: list[Any],
    depth: int = 0,
) -> list[dict[str, Any]]:
    """Problems of an object: missing required keys, then each known property's value."""
    errors: list[dict[str, Any]] = []
    for name in schema.get("required") or []:
        if name not in value:
            errors.append(_error([*loc, name], "Field required", "missing", value))
    properties = schema.get("properties") or {}
    for name, item in value.items():
        if name in properties:
            errors.extend(validate_value(properties[name], item, doc, [*loc, name], depth + 1))
    return errors


def validate_input(doc: dict[str, Any], endpoint_id: str, payload: Any) -> list[dict[str, Any]]:
    """fal-style ``detail`` items for ``payload`` against the endpoint's input schema."""
    schema = input_schema(doc, endpoint_id)
    if not schema:
        return []
    if not isinstance(payload, dict):
        return [_error([], "Input should be a valid dictionary", "dict_type", payload)]
    return validate_object(schema, payload, doc, [])
