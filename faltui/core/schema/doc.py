"""Find a model's input and output schemas in its OpenAPI document: :func:`parse_openapi`.

fal-protocol.md §10.2: the input is the POST requestBody of ``/<endpoint id>`` (a ``$ref`` to
``...Input``), the output the 200 answer of ``GET /<id>/requests/{request_id}``; component
names are only a fallback. No exception escapes :func:`parse_openapi`.
"""

from __future__ import annotations

import logging
from typing import Any

from faltui.core.schema.model import EndpointSchema, Field
from faltui.core.schema.parse import FieldBuilder, mark_advanced
from faltui.core.schema.resolve import Resolver

log = logging.getLogger(__name__)


def _json_schema(container: Any) -> Any:
    """The schema under ``content["application/json"]`` (or the first content type)."""
    if not isinstance(container, dict):
        return None
    content = container.get("content")
    if not isinstance(content, dict) or not content:
        return None
    media = content.get("application/json")
    if not isinstance(media, dict):
        media = next((m for m in content.values() if isinstance(m, dict)), None)
    return media.get("schema") if isinstance(media, dict) else None


def _paths(doc: dict[str, Any]) -> dict[str, Any]:
    paths = doc.get("paths")
    return paths if isinstance(paths, dict) else {}


def find_input_schema(doc: dict[str, Any], endpoint_id: str | None) -> Any:
    """The POST requestBody schema of the submit path (prefer ``/<endpoint_id>``)."""
    candidates: list[tuple[int, Any]] = []
    for path, item in _paths(doc).items():
        post = item.get("post") if isinstance(item, dict) else None
        if not isinstance(post, dict):
            continue
        schema = _json_schema(post.get("requestBody"))
        if schema is None:
            continue
        rank = 0 if endpoint_id and path == "/" + endpoint_id.strip("/") else 1
        rank += 2 if "/requests/" in str(path) else 0
        candidates.append((rank, schema))
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1] if candidates else None


def find_output_schema(doc: dict[str, Any]) -> Any:
    """The 200 schema of ``GET /<id>/requests/{request_id}`` (the result)."""
    for path, item in _paths(doc).items():
        if not isinstance(item, dict) or not str(path).rstrip("/").endswith("}"):
            continue
        if "/requests/" not in str(path) or str(path).endswith("/status"):
            continue
        get = item.get("get")
        responses = get.get("responses") if isinstance(get, dict) else None
        if not isinstance(responses, dict):
            continue
        ok = responses.get("200", responses.get(200))
        schema = _json_schema(ok)
        if schema is not None:
            return schema
    return None


def _component(doc: dict[str, Any], suffix: str) -> Any:
    comps = doc.get("components")
    schemas = comps.get("schemas") if isinstance(comps, dict) else None
    if not isinstance(schemas, dict):
        return None
    for name, schema in schemas.items():
        if str(name).endswith(suffix) and isinstance(schema, dict):
            return {"$ref": f"#/components/schemas/{name}"}
    return None


def _endpoint_id(doc: dict[str, Any]) -> str | None:
    info = doc.get("info")
    meta = info.get("x-fal-metadata") if isinstance(info, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("endpointId"), str):
        return str(meta["endpointId"])
    for path, item in _paths(doc).items():
        if isinstance(item, dict) and "post" in item and "/requests/" not in str(path):
            return str(path).strip("/") or None
    return None


def _top(
    builder: FieldBuilder, ref_or_schema: Any, fallback_suffix: str, doc: dict[str, Any]
) -> tuple[dict[str, Any], list[Field]]:
    """Resolve a top-level input/output schema and build its fields."""
    resolver = builder.resolver
    schema, seen, _ = resolver.resolve(ref_or_schema)
    if (not schema or "x-faltui-unresolved" in schema) and fallback_suffix:
        schema, seen, _ = resolver.resolve(_component(doc, fallback_suffix))
    schema = {k: v for k, v in schema.items() if k != "x-faltui-unresolved"}
    fields = builder.properties(schema, (), seen, 0)
    return schema, fields


def parse_openapi(doc: Any, endpoint_id: str | None = None) -> EndpointSchema:
    """Parse a fal per-endpoint OpenAPI document (never raises on odd constructs)."""
    if not isinstance(doc, dict):
        return EndpointSchema(endpoint_id, [], [], {}, {}, {})
    try:
        endpoint_id = endpoint_id or _endpoint_id(doc)
        builder = FieldBuilder(Resolver(doc))
        in_schema, inputs = _top(builder, find_input_schema(doc, endpoint_id), "Input", doc)
        out_schema, outputs = _top(builder, find_output_schema(doc), "Output", doc)
        mark_advanced(inputs)
    except Exception:  # pragma: no cover - last-resort guard, builders already degrade
        log.warning("could not parse the OpenAPI document of %s", endpoint_id, exc_info=True)
        return EndpointSchema(endpoint_id, [], [], {}, {}, doc)
    return EndpointSchema(endpoint_id, inputs, outputs, in_schema, out_schema, doc)
