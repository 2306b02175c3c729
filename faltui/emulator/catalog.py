"""The emulator's catalog: which endpoints exist, their category, schemas and model objects.

It holds every bundled model and schema (``faltui.core.bundled``), the emulator's own extra
endpoints (``workflows/…``, ``comfy/…``) and whatever ``add`` is given (``--schemas DIR``).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from faltui.core import bundled
from faltui.emulator import schemas
from faltui.emulator.schema_files import builtin_documents

#: Category used when an endpoint's metadata has none.
DEFAULT_CATEGORY = "text-to-image"


class EmulatorCatalog:
    """Endpoints known to the emulator."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any] | None] = {}
        self._added_models: dict[str, dict[str, Any]] = {}
        self._added_docs: dict[str, dict[str, Any]] = {}
        self._index: dict[str, dict[str, Any]] | None = None
        #: Prices set by ``set_price`` (tests, demos): endpoint id → (unit price, unit).
        self.prices: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        for endpoint_id, doc in builtin_documents():
            self.add(endpoint_id, doc, tags=["emulator"])
        self._baseline: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        self.keep_as_baseline()

    def keep_as_baseline(self) -> None:
        """Remember the endpoints served now (built-ins, ``--schemas``) for ``restore``."""
        with self._lock:
            self._baseline = (dict(self._added_models), dict(self._added_docs))

    def restore(self) -> None:
        """Forget endpoints added since the last ``keep_as_baseline``."""
        models, docs = self._baseline
        with self._lock:
            self._added_models, self._added_docs = dict(models), dict(docs)
            self._index = None
            self.prices.clear()

    def set_price(self, endpoint_id: str, unit_price: float, unit: str) -> None:
        """Price ``endpoint_id`` at ``unit_price`` per ``unit`` instead of by its category
        (e.g. a vague unit such as ``compute_seconds``); forgotten by ``restore``."""
        self.prices[endpoint_id] = (unit_price, unit)

    # --- contents ------------------------------------------------------------------------------

    @cached_property
    def _bundled(self) -> list[dict[str, Any]]:
        models = bundled.bundled_models()
        known = {m.get("endpoint_id") for m in models}
        for endpoint_id in bundled.bundled_schema_ids():
            if endpoint_id not in known:
                models.append(model_from_openapi(endpoint_id, self.openapi(endpoint_id) or {}))
        return models

    def add(self, endpoint_id: str, doc: dict[str, Any], *, tags: list[str] | None = None) -> None:
        """Serve ``endpoint_id`` from a queue-form OpenAPI document (replaces a bundled one)."""
        self.add_model(model_from_openapi(endpoint_id, doc, tags=tags or []), doc)

    def add_model(self, model: dict[str, Any], doc: dict[str, Any] | None = None) -> None:
        """List a Platform-API model object (and serve ``doc`` as its OpenAPI document)."""
        endpoint_id = str(model["endpoint_id"])
        with self._lock:
            if doc is not None:
                self._added_docs[endpoint_id] = doc
            self._added_models[endpoint_id] = model
            self._index = None

    @property
    def added(self) -> list[str]:
        """Endpoint ids served from added documents (built-in extras and ``--schemas``)."""
        return list(self._added_models)

    @property
    def models(self) -> list[dict[str, Any]]:
        """Platform-API model objects: bundled order, then the added endpoints."""
        added = self._added_models
        return [m for m in self._bundled if m.get("endpoint_id") not in added] + list(
            added.values()
        )

    @property
    def by_id(self) -> dict[str, dict[str, Any]]:
        """Model objects keyed by endpoint id."""
        index = self._index
        if index is None:
            index = {
                m["endpoint_id"]: m for m in self.models if isinstance(m.get("endpoint_id"), str)
            }
            self._index = index
        return index

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
        """The endpoint's OpenAPI document (parsed once, shared: do not mutate)."""
        added = self._added_docs.get(endpoint_id)
        if added is not None:
            return added
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


def model_from_openapi(
    endpoint_id: str, doc: dict[str, Any], *, tags: list[str] | None = None
) -> dict[str, Any]:
    """A Platform-API model object (§9.1) describing an endpoint from its OpenAPI document."""
    info = doc.get("info") or {}
    meta = info.get("x-fal-metadata") or {}
    meta = meta if isinstance(meta, dict) else {}
    display = meta.get("displayName") or info.get("x-fal-display-name")
    if not isinstance(display, str) or not display.strip():
        display = endpoint_id.split("/", 1)[-1]
    description = info.get("description")
    return {
        "endpoint_id": endpoint_id,
        "metadata": {
            "display_name": display,
            "category": meta.get("category") or DEFAULT_CATEGORY,
            "description": description if isinstance(description, str) else "",
            "status": "active",
            "tags": list(tags or []),
            "updated_at": "2026-01-01T00:00:00Z",
            "is_favorited": False,
            "thumbnail_url": meta.get("thumbnailUrl") or "",
            "model_url": f"https://fal.run/{endpoint_id}",
            "date": "2026-01-01T00:00:00Z",
            "highlighted": False,
            "pinned": False,
        },
    }
