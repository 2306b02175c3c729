"""Turn ``faltui run`` flags into a model input, through the same pipeline as the TUI form.

Every typed value — ``--param k=v`` and the convenience flags alike — is read by
``faltui.core.schema.input.coerce`` (the function the form's editors use), and the whole input
passes ``faltui.core.schema.prepare`` (the gate the form and the job manager use), so the same
text gives the same value or the same error on both faces.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from faltui.cli.support import EXIT_USAGE, CliFailure, read_json_file
from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema import (
    EMPTY,
    EndpointSchema,
    Field,
    PreparedInput,
    coerce,
    parse_params,
    prepare,
)
from faltui.core.schema.input import parse_json

#: The seed's ``--size`` shorthands (fal-ai-community ``generate.sh``).
SIZE_SHORTHANDS = {
    "square": "square",
    "portrait": "portrait_4_3",
    "landscape": "landscape_4_3",
}

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

#: How ``--seed`` reads without a schema: an integer, or ``random``.
_SEED = Field("seed", ("seed",), kind="integer", nullable=True)


def _field(schema: EndpointSchema | None, name: str) -> Field | None:
    if schema is None:
        return None
    return next((f for f in schema.input if f.name == name), None)


def _names(schema: EndpointSchema | None) -> set[str]:
    return {f.name for f in schema.input} if schema is not None else set()


def _typed(
    schema: EndpointSchema | None,
    name: str,
    text: str,
    errors: list[FieldError],
    fallback: Field | None = None,
) -> Any:
    """Text typed by the schema's field (EMPTY when blank); without one, numbers become
    numbers (or ``fallback`` reads it)."""
    field = _field(schema, name) or fallback
    if field is None:
        if _NUMBER.match(text):
            return float(text) if "." in text else int(text)
        return text if text.strip() else EMPTY
    try:
        return coerce(field, text)
    except ValueError as exc:
        errors.append(FieldError((name,), str(exc), "type"))
        return EMPTY


def _put(payload: dict[str, Any], name: str, value: Any) -> None:
    """Set a key, or leave it out for an empty value (like an empty field in the form)."""
    if value is EMPTY:
        payload.pop(name, None)
    else:
        payload[name] = value


def _target(schema: EndpointSchema | None, preferred: str, *fallbacks: str) -> str:
    """The input name a convenience flag fills: the first the schema has, else ``preferred``."""
    names = _names(schema)
    if not names or preferred in names:
        return preferred
    return next((n for n in fallbacks if n in names), preferred)


def _media(
    schema: EndpointSchema | None,
    payload: dict[str, Any],
    kind: str,
    value: str | None,
    errors: list[FieldError],
) -> None:
    """``--image-url`` fills ``image_url``, or ``image_urls`` as a one-item list if that is all."""
    if value is None:
        return
    single, many = f"{kind}_url", f"{kind}_urls"
    names = _names(schema)
    if names and single not in names and many in names:
        _put(payload, many, _typed(schema, many, json.dumps([value]), errors))
    else:
        name = _target(schema, single, f"input_{kind}_url", f"start_{kind}_url")
        _put(payload, name, _typed(schema, name, value, errors))


def build_payload(args: argparse.Namespace, schema: EndpointSchema | None) -> dict[str, Any]:
    """The input object of ``faltui run``; raises ``ValidationFailed`` naming every bad field.

    A preset's input (``args.preset_input``, set by ``--preset``) is the base the other flags
    change."""
    payload: dict[str, Any] = dict(getattr(args, "preset_input", None) or {})
    if args.json_input:
        start = read_json_file(args.json_input)
        if not isinstance(start, dict):
            raise CliFailure("--json-input must hold a JSON object", EXIT_USAGE)
        payload.update(start)
    errors: list[FieldError] = []
    if args.prompt is not None:
        name = _target(schema, "prompt", "text", "input", "query")
        _put(payload, name, _typed(schema, name, args.prompt, errors))
    if args.text is not None:
        name = _target(schema, "text", "prompt", "input")
        _put(payload, name, _typed(schema, name, args.text, errors))
    _media(schema, payload, "image", args.image_url, errors)
    _media(schema, payload, "video", args.video_url, errors)
    _media(schema, payload, "audio", args.audio_url, errors)
    if args.aspect_ratio is not None:
        _put(payload, "aspect_ratio", _typed(schema, "aspect_ratio", args.aspect_ratio, errors))
    if args.duration is not None:
        _put(payload, "duration", _typed(schema, "duration", args.duration, errors))
    if args.seed is not None:
        _put(payload, "seed", _typed(schema, "seed", args.seed, errors, fallback=_SEED))
    if args.size is not None:
        size = SIZE_SHORTHANDS.get(args.size, args.size)
        _put(payload, "image_size", _typed(schema, "image_size", size, errors))
    if args.num_images is not None:
        name = _target(schema, "num_images", "num_outputs")
        _put(payload, name, _typed(schema, name, args.num_images, errors))
    if args.param:
        try:
            payload.update(_params(schema, args.param))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return payload


def _params(schema: EndpointSchema | None, items: list[str]) -> dict[str, Any]:
    if schema is not None:
        return parse_params(schema, items)
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for item in items:
        if ":=" in item:
            key, raw = item.split(":=", 1)
            try:
                out[key] = parse_json(raw)
            except ValueError as exc:
                errors.append(FieldError((key,), str(exc), "json"))
        elif "=" in item:
            key, raw = item.split("=", 1)
            fallback = _SEED if key == "seed" else None
            _put(out, key, _typed(None, key, raw, errors, fallback=fallback))
        else:
            errors.append(FieldError((item,), "expected k=v or k:=json", "syntax"))
    if errors:
        raise ValidationFailed(errors)
    return out


def prepare_input(args: argparse.Namespace, schema: EndpointSchema | None) -> PreparedInput:
    """The flags' input through the gate (``--no-validate``: without the schema's checks);
    raises ``ValidationFailed`` before anything is uploaded, sent or paid for."""
    payload = build_payload(args, schema)
    return prepare(None if args.no_validate else schema, payload)
