"""Turn ``faltui run`` flags into a model input, typed and checked by the model's schema."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from faltui.cli.support import EXIT_USAGE, CliFailure, read_json_file
from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema import EndpointSchema, Field, coerce, parse_params, validate

#: The seed's ``--size`` shorthands (fal-ai-community ``generate.sh``).
SIZE_SHORTHANDS = {
    "square": "square",
    "portrait": "portrait_4_3",
    "landscape": "landscape_4_3",
}

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _field(schema: EndpointSchema | None, name: str) -> Field | None:
    if schema is None:
        return None
    return next((f for f in schema.input if f.name == name), None)


def _names(schema: EndpointSchema | None) -> set[str]:
    return {f.name for f in schema.input} if schema is not None else set()


def _typed(schema: EndpointSchema | None, name: str, text: str, errors: list[FieldError]) -> Any:
    """Text typed by the schema's field; without a schema, numbers become numbers."""
    field = _field(schema, name)
    if field is None:
        if _NUMBER.match(text):
            return float(text) if "." in text else int(text)
        return text
    try:
        return coerce(field, text)
    except ValueError as exc:
        errors.append(FieldError((name,), str(exc), "type"))
        return text


def _target(schema: EndpointSchema | None, preferred: str, *fallbacks: str) -> str:
    """The input name a convenience flag fills: the first the schema has, else ``preferred``."""
    names = _names(schema)
    if not names or preferred in names:
        return preferred
    return next((n for n in fallbacks if n in names), preferred)


def _media(
    schema: EndpointSchema | None, payload: dict[str, Any], kind: str, value: str | None
) -> None:
    """``--image-url`` fills ``image_url``, or ``image_urls`` as a one-item list if that is all."""
    if value is None:
        return
    single, many = f"{kind}_url", f"{kind}_urls"
    names = _names(schema)
    if names and single not in names and many in names:
        payload[many] = [value]
    else:
        payload[_target(schema, single, f"input_{kind}_url", f"start_{kind}_url")] = value


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
        payload[_target(schema, "prompt", "text", "input", "query")] = args.prompt
    if args.text is not None:
        payload[_target(schema, "text", "prompt", "input")] = args.text
    _media(schema, payload, "image", args.image_url)
    _media(schema, payload, "video", args.video_url)
    _media(schema, payload, "audio", args.audio_url)
    if args.aspect_ratio is not None:
        payload["aspect_ratio"] = _typed(schema, "aspect_ratio", args.aspect_ratio, errors)
    if args.duration is not None:
        payload["duration"] = _typed(schema, "duration", args.duration, errors)
    if args.seed is not None:
        try:
            payload["seed"] = int(args.seed)
        except ValueError:
            errors.append(FieldError(("seed",), f"must be a whole number, got {args.seed!r}"))
    if args.size is not None:
        size = SIZE_SHORTHANDS.get(args.size, args.size)
        payload["image_size"] = _typed(schema, "image_size", size, errors)
    if args.num_images is not None:
        payload[_target(schema, "num_images", "num_outputs")] = _typed(
            schema, "num_images", args.num_images, errors
        )
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
                out[key] = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors.append(FieldError((key,), f"not valid JSON: {exc.msg}", "json"))
        elif "=" in item:
            key, raw = item.split("=", 1)
            out[key] = _typed(None, key, raw, errors)
        else:
            errors.append(FieldError((item,), "expected k=v or k:=json", "syntax"))
    if errors:
        raise ValidationFailed(errors)
    return out


def check_payload(schema: EndpointSchema | None, payload: dict[str, Any]) -> None:
    """Validate against the schema before any money is spent."""
    if schema is None:
        return
    errors = validate(schema, payload)
    if errors:
        raise ValidationFailed(errors)
