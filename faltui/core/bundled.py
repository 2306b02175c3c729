"""The offline snapshot shipped inside the package: model catalog and OpenAPI documents.

``faltui/data/catalog.json`` holds Platform-API-shaped model objects (fal-protocol.md §9.1) and
``faltui/data/schemas/<id with "/" → "__">.json`` the OpenAPI documents fal serves for some of
them. Both are rebuilt by ``scripts/build_catalog.py``. Everything is read through
``importlib.resources`` (works from a wheel or a zip) and cached after the first read.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

_DATA_PACKAGE = "faltui"


def _data() -> Traversable:
    return resources.files(_DATA_PACKAGE) / "data"


def schema_file_name(endpoint_id: str) -> str:
    """File name of an endpoint's bundled OpenAPI document."""
    return endpoint_id.strip("/").replace("/", "__") + ".json"


@lru_cache(maxsize=1)
def _catalog() -> dict[str, Any]:
    catalog: dict[str, Any] = json.loads((_data() / "catalog.json").read_text(encoding="utf-8"))
    return catalog


def bundled_models() -> list[dict[str, Any]]:
    """Every model object of the snapshot (fresh copies: callers may mutate them)."""
    return copy.deepcopy(_catalog()["models"])


@lru_cache(maxsize=1)
def bundled_schema_ids() -> list[str]:
    """Endpoint ids that have a bundled OpenAPI document, sorted."""
    folder = _data() / "schemas"
    if not folder.is_dir():
        return []
    return sorted(
        entry.name[: -len(".json")].replace("__", "/")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


@lru_cache(maxsize=256)
def _openapi_text(endpoint_id: str) -> str | None:
    entry = _data() / "schemas" / schema_file_name(endpoint_id)
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def bundled_openapi(endpoint_id: str) -> dict[str, Any] | None:
    """The bundled OpenAPI document of ``endpoint_id`` (a fresh dict), or ``None``."""
    text = _openapi_text(endpoint_id.strip().strip("/"))
    return json.loads(text) if text is not None else None


def _snapshot_date() -> str:
    try:
        return str(_catalog().get("snapshot_date", ""))
    except (OSError, ValueError):
        return ""


#: Date the bundled catalog was taken (``YYYY-MM-DD``).
BUNDLED_SNAPSHOT_DATE: str = _snapshot_date()
