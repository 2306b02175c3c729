"""Platform API (``/v1/models``, pricing) and the per-endpoint OpenAPI documents."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faltui.emulator.billing import price_for
from faltui.emulator.common import (
    Context,
    api_key,
    check_key,
    guarded,
    json_response,
    platform_error,
)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MODEL_STATUSES = ("active", "deprecated")
MODEL_EXPANDS = ("openapi-3.0", "enterprise_status")


def encode_cursor(offset: int) -> str:
    """Opaque cursor for an offset (base64 of the decimal, like fal's ``Mg==``)."""
    return base64.b64encode(str(offset).encode("ascii")).decode("ascii")


def decode_cursor(cursor: str) -> int:
    """Offset of a cursor; ``ValueError`` when malformed."""
    try:
        value = int(base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii"))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if value < 0:
        raise ValueError(f"invalid cursor {cursor!r}")
    return value


def endpoint_ids(request: Request) -> list[str]:
    """``endpoint_id`` values, repeated and/or comma-separated."""
    out: list[str] = []
    for value in request.query_params.getlist("endpoint_id"):
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _matches(model: dict[str, Any], query: str) -> bool:
    meta = model.get("metadata") or {}
    haystack = " ".join(
        [
            str(model.get("endpoint_id", "")),
            str(meta.get("display_name", "")),
            str(meta.get("description", "")),
            str(meta.get("category", "")),
            " ".join(str(t) for t in meta.get("tags") or []),
        ]
    ).lower()
    return all(term in haystack for term in query.lower().split())


class PlatformRoutes:
    """Catalog handlers bound to one emulator context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        """The platform and OpenAPI routes."""
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/models/pricing", self.pricing, methods=["GET"]),
            Route("/v1/models/pricing/estimate", self.estimate, methods=["POST"]),
            Route("/api/openapi/queue/openapi.json", self.openapi, methods=["GET"]),
        ]

    def _optional_auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") is None:
            return None
        key = api_key(request)
        if key is None or key not in self.ctx.keys | self.ctx.locked_keys:
            return platform_error(401, "authorization_error", "Invalid API key")
        return None

    def _required_auth(self, request: Request) -> Response | None:
        denied = check_key(self.ctx, request)
        if denied is None:
            return None
        if denied.status_code == 403:
            return platform_error(403, "authorization_error", "User is locked")
        return platform_error(401, "authorization_error", "Authentication required")

    async def models(self, request: Request) -> Response:
        """``GET /v1/models``: filter, search, page, optionally embed OpenAPI documents."""

        async def handle() -> Response:
            denied = self._optional_auth(request)
            if denied is not None:
                return denied
            params = request.query_params
            try:
                limit = int(params.get("limit", DEFAULT_LIMIT))
            except ValueError:
                return platform_error(400, "validation_error", "limit must be an integer")
            if not 1 <= limit <= MAX_LIMIT:
                return platform_error(
                    400, "validation_error", f"limit must be between 1 and {MAX_LIMIT}"
                )
            try:
                offset = decode_cursor(params["cursor"]) if params.get("cursor") else 0
            except ValueError as exc:
                return platform_error(400, "validation_error", str(exc))
            ids = endpoint_ids(request)
            if len(ids) > 50:
                return platform_error(400, "validation_error", "at most 50 endpoint_id values")
            expand: set[str] = set()
            for value in params.getlist("expand"):
                expand.update(v.strip() for v in value.split(",") if v.strip())
            unknown = sorted(expand - set(MODEL_EXPANDS))
            if unknown:
                allowed = ", ".join(MODEL_EXPANDS)
                return platform_error(
                    400, "validation_error", f"unknown expand value {unknown[0]!r} ({allowed})"
                )
            status = (params.get("status") or "").strip().lower()
            if status and status not in MODEL_STATUSES:
                return platform_error(
                    400, "validation_error", "status must be 'active' or 'deprecated'"
                )
            models = self._filter(request, ids)
            page = models[offset : offset + limit]
            more = offset + limit < len(models)
            out = []
            for model in page:
                item = dict(model)
                if "openapi-3.0" in expand:
                    doc = self.ctx.catalog.openapi(model["endpoint_id"])
                    item["openapi"] = doc or {
                        "error": {"code": "not_found", "message": "No OpenAPI document"}
                    }
                if "enterprise_status" in expand:
                    item["enterprise_status"] = "ready"
                out.append(item)
            return json_response(
                {
                    "models": out,
                    "next_cursor": encode_cursor(offset + limit) if more else None,
                    "has_more": more,
                }
            )

        return await guarded(self.ctx, "models", handle)

    def _filter(self, request: Request, ids: list[str]) -> list[dict[str, Any]]:
        params = request.query_params
        catalog = self.ctx.catalog
        if ids:
            models = [catalog.by_id[i] for i in ids if i in catalog.by_id]
        else:
            models = list(catalog.models)
        query = (params.get("q") or "").strip()
        if query:
            models = [m for m in models if _matches(m, query)]
        category = (params.get("category") or "").strip().lower()
        if category:
            models = [
                m
                for m in models
                if str((m.get("metadata") or {}).get("category", "")).lower() == category
            ]
        status = (params.get("status") or "").strip().lower()
        if status:
            models = [
                m
                for m in models
                if str((m.get("metadata") or {}).get("status", "active")).lower() == status
            ]
        return models

    async def pricing(self, request: Request) -> Response:
        """``GET /v1/models/pricing?endpoint_id=…`` (auth required)."""

        async def handle() -> Response:
            denied = self._required_auth(request)
            if denied is not None:
                return denied
            ids = endpoint_ids(request)
            if not ids:
                return platform_error(400, "validation_error", "endpoint_id is required")
            prices = [self.price(i) for i in ids if self.ctx.catalog.knows(i)]
            return json_response({"prices": prices, "next_cursor": None, "has_more": False})

        return await guarded(self.ctx, "pricing", handle)

    def price(self, endpoint_id: str) -> dict[str, Any]:
        """The emulated price of an endpoint (``billing.price_for``)."""
        return price_for(self.ctx.catalog, endpoint_id).as_dict()

    async def estimate(self, request: Request) -> Response:
        """``POST /v1/models/pricing/estimate`` (unit_price or historical_api_price)."""

        async def handle() -> Response:
            denied = self._required_auth(request)
            if denied is not None:
                return denied
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("endpoints"), dict):
                return platform_error(400, "validation_error", "endpoints is required")
            kind = body.get("estimate_type", "unit_price")
            total = 0.0
            for endpoint_id, spec in body["endpoints"].items():
                spec = spec if isinstance(spec, dict) else {}
                quantity = spec.get("unit_quantity", spec.get("call_quantity", 1))
                if not isinstance(quantity, int | float):
                    return platform_error(400, "validation_error", "quantity must be a number")
                total += self.price(endpoint_id)["unit_price"] * quantity
            return json_response(
                {"estimate_type": kind, "total_cost": round(total, 6), "currency": "USD"}
            )

        return await guarded(self.ctx, "pricing", handle)

    async def openapi(self, request: Request) -> Response:
        """``GET /api/openapi/queue/openapi.json?endpoint_id=…`` (no auth)."""

        async def handle() -> Response:
            endpoint_id = (request.query_params.get("endpoint_id") or "").strip().strip("/")
            if not endpoint_id:
                return json_response({"detail": "endpoint_id is required"}, 400)
            doc = self.ctx.catalog.openapi(endpoint_id)
            if doc is None:
                return json_response(
                    {"detail": f"No OpenAPI document for endpoint '{endpoint_id}'"}, 404
                )
            return json_response(doc)

        return await guarded(self.ctx, "openapi", handle)


async def unknown_platform_route(request: Request) -> Response:
    """Any other ``/v1/...`` path: the platform's ``not_found`` envelope."""
    return platform_error(404, "not_found", f"No route {request.method} {request.url.path}")


def routes(ctx: Context) -> list[Route]:
    """Platform routes for ``ctx`` (the ``/v1`` catch-all goes last, see ``fallback_routes``)."""
    return PlatformRoutes(ctx).routes()


def fallback_routes() -> list[Route]:
    """The ``/v1/...`` catch-all (after every real platform route)."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route("/v1", unknown_platform_route, methods=methods),
        Route("/v1/{rest:path}", unknown_platform_route, methods=methods),
    ]
