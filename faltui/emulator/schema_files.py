"""Extra endpoints from OpenAPI documents on disk (``faltui emulator --schemas DIR``).

Two document shapes are accepted:

* fal's per-endpoint **queue** document (what ``fal.ai/api/openapi/queue/openapi.json`` serves):
  ``POST /{endpoint id}`` with the input, ``GET /{endpoint id}/requests/{request_id}`` with the
  output. The endpoint id is ``info.x-fal-metadata.endpointId``, else the file name
  (``owner__app[__path].json``, ``/`` written as ``__``).
* a fal **app**'s own document (``/openapi.json`` of a ``fal.App``): every ``POST`` path with a
  request body is one endpoint, ``<app id><path>`` (``/`` is the app id itself). The app id
  comes from ``info.x-fal-metadata.endpointId`` or the file name, as above. Each is rewritten
  into fal's queue form so clients see what fal would serve.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

_NAMESPACES = {"workflows", "comfy"}
_QUEUE_STATUS = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]},
        "request_id": {"type": "string", "description": "The request id."},
        "response_url": {"type": "string", "description": "The response url."},
        "status_url": {"type": "string", "description": "The status url."},
        "cancel_url": {"type": "string", "description": "The cancel url."},
        "logs": {"type": "object", "additionalProperties": True},
        "metrics": {"type": "object", "additionalProperties": True},
        "queue_position": {"type": "integer", "description": "The queue position."},
    },
    "required": ["status", "request_id"],
}


class SchemaFileError(ValueError):
    """A schema file or folder that cannot be served (the message names the file)."""


def valid_endpoint_id(endpoint_id: str) -> bool:
    """``owner/app[/path]`` (``ns/owner/app[/path]`` for workflows/comfy), no empty segment."""
    parts = endpoint_id.split("/")
    if any(not part.strip() for part in parts):
        return False
    return len(parts) >= (3 if parts[0] in _NAMESPACES else 2)


def _post_body_schema(operation: Any) -> Any:
    try:
        return operation["requestBody"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None


def _response_schema(operation: Any) -> Any:
    try:
        return operation["responses"]["200"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None


def _metadata_id(doc: dict[str, Any]) -> str | None:
    meta = (doc.get("info") or {}).get("x-fal-metadata") or {}
    value = meta.get("endpointId") if isinstance(meta, dict) else None
    return value.strip().strip("/") if isinstance(value, str) and value.strip() else None


def _queue_document(
    endpoint_id: str,
    doc: dict[str, Any],
    input_schema: Any,
    output_schema: Any,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """``doc``'s components under fal's queue paths for ``endpoint_id``.

    ``operation_name`` (a fal app's sub-endpoint) is added to the display name.
    """
    out = copy.deepcopy(doc)
    components = out.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("QueueStatus", copy.deepcopy(_QUEUE_STATUS))
    info = out.setdefault("info", {})
    info.setdefault("title", f"Queue OpenAPI for {endpoint_id}")
    info.setdefault("version", "1.0.0")
    meta = info.get("x-fal-metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta["endpointId"] = endpoint_id
    if operation_name:
        base = meta.get("displayName") or info.get("title") or endpoint_id
        meta["displayName"] = f"{base} · {operation_name}"
    info["x-fal-metadata"] = meta
    request_id = {
        "name": "request_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    status_ref = {"$ref": "#/components/schemas/QueueStatus"}

    def answer(schema: Any, text: str) -> dict[str, Any]:
        return {"200": {"description": text, "content": {"application/json": {"schema": schema}}}}

    out["paths"] = {
        f"/{endpoint_id}": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": copy.deepcopy(input_schema)}},
                },
                "responses": answer(status_ref, "The request status."),
            }
        },
        f"/{endpoint_id}/requests/{{request_id}}/status": {
            "get": {"parameters": [request_id], "responses": answer(status_ref, "The status.")}
        },
        f"/{endpoint_id}/requests/{{request_id}}/cancel": {
            "put": {
                "parameters": [request_id],
                "responses": answer(
                    {"type": "object", "properties": {"success": {"type": "boolean"}}},
                    "The request was cancelled.",
                ),
            }
        },
        f"/{endpoint_id}/requests/{{request_id}}": {
            "get": {
                "parameters": [request_id],
                "responses": answer(copy.deepcopy(output_schema or {}), "Result of the request."),
            }
        },
    }
    return out


def documents_from(doc: Any, source: str, file_id: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(endpoint id, queue-form document) pairs an OpenAPI document defines.

    ``source`` names the document in errors; ``file_id`` is the id its file name spells.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise SchemaFileError(f"{source}: not an OpenAPI document (no 'paths' object)")
    base = _metadata_id(doc) or file_id
    posts = {
        path: item["post"]
        for path, item in doc["paths"].items()
        if isinstance(item, dict)
        and isinstance(item.get("post"), dict)
        and "/requests/" not in path
        and _post_body_schema(item["post"]) is not None
    }
    if not posts:
        raise SchemaFileError(f"{source}: no POST operation with a JSON request body")
    if base is None:
        raise SchemaFileError(
            f"{source}: cannot tell the endpoint id (set info.x-fal-metadata.endpointId or name "
            "the file owner__app.json)"
        )
    if f"/{base}" in posts:  # fal's queue form: one endpoint
        input_schema = _post_body_schema(posts[f"/{base}"])
        result = (doc["paths"].get(f"/{base}/requests/{{request_id}}") or {}).get("get")
        pairs = [(base, _queue_document(base, doc, input_schema, _response_schema(result)))]
    else:  # a fal app's own document: one endpoint per POST path
        pairs = []
        for path, operation in sorted(posts.items()):
            sub = path.strip("/")
            endpoint_id = base + ("/" + sub if sub else "")
            output = _response_schema(operation)
            if isinstance(output, dict) and output.get("$ref", "").endswith("/QueueStatus"):
                output = None
            name = (operation.get("summary") or sub) if sub else None
            queue_doc = _queue_document(
                endpoint_id, doc, _post_body_schema(operation), output, name
            )
            pairs.append((endpoint_id, queue_doc))
    for endpoint_id, _doc in pairs:
        if not valid_endpoint_id(endpoint_id):
            raise SchemaFileError(
                f"{source}: {endpoint_id!r} is not an endpoint id (owner/app[/path], or "
                "workflows|comfy/owner/app)"
            )
    return pairs


def _file_id(name: str) -> str:
    return name[: -len(".json")].replace("__", "/")


def load_schema_dir(folder: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """Every endpoint the ``*.json`` OpenAPI documents of ``folder`` define.

    Raises ``SchemaFileError`` naming the first file that cannot be served.
    """
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise SchemaFileError(f"{folder}: not a folder")
    files = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
    if not files:
        raise SchemaFileError(f"{folder}: no *.json OpenAPI documents in it")
    out: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            doc = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SchemaFileError(f"{file}: cannot read it ({exc})") from None
        except json.JSONDecodeError as exc:
            raise SchemaFileError(f"{file}: not valid JSON ({exc})") from None
        for endpoint_id, queue_doc in documents_from(doc, str(file), _file_id(file.name)):
            if endpoint_id in seen:
                other = seen[endpoint_id]
                raise SchemaFileError(f"{file}: {endpoint_id} is also defined by {other}")
            seen[endpoint_id] = str(file)
            out.append((endpoint_id, queue_doc))
    return out


def builtin_documents() -> list[tuple[str, dict[str, Any]]]:
    """The emulator's own extra endpoints (``faltui/emulator/data``: workflows/…, comfy/…)."""
    folder = resources.files("faltui.emulator") / "data"
    out: list[tuple[str, dict[str, Any]]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            doc = json.loads(entry.read_text(encoding="utf-8"))
            out.extend(documents_from(doc, entry.name, _file_id(entry.name)))
    return out
