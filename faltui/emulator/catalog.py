"""The emulator's view of the bundled catalog: which endpoints exist, their category and schemas."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from faltui.core import bundled
from faltui.emulator import schemas

#: Category used when an endpoint's metadata has none.
DEFAULT_CATEGORY = "text-to-image"


class EmulatorCatalog:
    """Endpoints known to the emulator: every bundled model plus every bundled schema."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any] | None] = {}

    @cached_property
    def models(self) -> list[dict[str, Any]]:
        """Platform-API model objects, bundled order."""
        models = bundled.bundled_models()
        known = {m.get("endpoint_id") for m in models}
        for endpoint_id in bundled.bundled_schema_ids():
            if endpoint_id not in known:
                models.append(_model_from_openapi(endpoint_id, self.openapi(endpoint_id) or {}))
        return models

    @cached_property
    def by_id(self) -> dict[str, dict[str, Any]]:
        """Model objects keyed by endpoint id."""
        return {m["endpoint_id"]: m for m in self.models if isinstance(m.get("endpoint_id"), str)}

    def knows(self, endpoint_id: str) -> bool:
        """True when ``endpoint_id`` is in the catalog."""
        return endpoint_id in self.by_id

    def match(self, path: str) -> tuple[str, str] | None:
        """Split a request path into (known endpoint id, extra path), longest id first."""
        parts = path.strip("/").split("/")
        for size in range(len(parts), 1, -1):
            candidate = "/".join(parts[:size])
            if self.knows(candidate):
                return candidate, "/".join(parts[size:])
        return None

    def category(self, endpoint_id: str) -> str:
        """``metadata.category`` of the endpoint (or the OpenAPI ``x-fal-metadata`` one)."""
        meta = self.by_id.get(endpoint_id, {}).get("metadata") or {}
        category = meta.get("category")
        if isinstance(category, str) and category:
            return category
        doc = self.openapi(endpoint_id) or {}
        category = ((doc.get("info") or {}).get("x-fal-metadata") or {}).get("category")
        return category if isinstance(category, str) and category else DEFAULT_CATEGORY

    def openapi(self, endpoint_id: str) -> dict[str, Any] | None:
        """The bundled OpenAPI document (parsed once, shared: do not mutate)."""
        if endpoint_id not in self._docs:
            self._docs[endpoint_id] = bundled.bundled_openapi(endpoint_id)
        return self._docs[endpoint_id]

    def input_schema(self, endpoint_id: str) -> dict[str, Any]:
        """Resolved input object schema, ``{}`` when unknown."""
        doc = self.openapi(endpoint_id)
        return schemas.input_schema(doc, endpoint_id) if doc else {}

    def output_schema(self, endpoint_id: str) -> dict[str, Any]:
        """Resolved output object schema, ``{}`` when unknown or empty."""
        doc = self.openapi(endpoint_id)
        return schemas.output_schema(doc, endpoint_id) if doc else {}

    def validate(self, endpoint_id: str, payload: Any) -> list[dict[str, Any]]:
        """fal ``detail`` items for an input payload (``[]`` when valid or schema unknown)."""
        doc = self.openapi(endpoint_id)
        if not doc:
            return []
        return schemas.validate_input(doc, endpoint_id, payload)


def _model_from_openapi(endpoint_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    meta = (doc.get("info") or {}).get("x-fal-metadata") or {}
    return {
        "endpoint_id": endpoint_id,
        "metadata": {
            "display_name": endpoint_id.split("/", 1)[-1],
            "category": meta.get("category") or DEFAULT_CATEGORY,
            "description": (doc.get("info") or {}).get("description") or "",
            "status": "active",
            "tags": [],
            "updated_at": "2026-01-01T00:00:00Z",
            "is_favorited": False,
            "thumbnail_url": meta.get("thumbnailUrl") or "",
            "model_url": f"https://fal.run/{endpoint_id}",
            "date": "2026-01-01T00:00:00Z",
            "highlighted": False,
            "pinned": False,
        },
    }
