"""Pieces shared by the emulator's route modules: the context protocol, auth, guarded handlers."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from faltui.emulator.catalog import EmulatorCatalog
from faltui.emulator.chaos import Chaos, DroppedResponse
from faltui.emulator.files import FileStore
from faltui.emulator.outputs import OutputBuilder
from faltui.emulator.state import JobStore

DEMO_KEY = "demo-key-id:demo-key-secret"
LOCKED_KEY = "locked-key:locked"
LOCKED_DETAIL = "User is locked. Reason: Exhausted balance. Add funds to continue."


class Context(Protocol):
    """What route modules need from the ``Emulator``."""

    counters: Counter[str]
    chaos: Chaos
    store: JobStore
    catalog: EmulatorCatalog
    files: FileStore
    outputs: OutputBuilder
    keys: set[str]
    locked_keys: set[str]
    log_window: int | None
    sse_keepalive: float
    result_ttl: float | None
    webhooks: list[dict[str, Any]]
    cdn_tokens: set[str]

    @property
    def closing(self) -> bool: ...

    @property
    def base_url(self) -> str: ...


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact, UTF-8)."""
    return Response(
        json.dumps(body, separators=(",", ":")), status, headers, media_type="application/json"
    )


def api_key(request: Request) -> str | None:
    """The key of an ``Authorization: Key <key>`` header, or ``None``."""
    value = request.headers.get("authorization", "")
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "key" and rest.strip() else None


def check_key(ctx: Context, request: Request) -> Response | None:
    """``None`` when the request carries a valid key, else fal's 401/403 response."""
    key = api_key(request)
    if key is not None and key in ctx.locked_keys:
        return json_response({"detail": LOCKED_DETAIL}, 403)
    if key is None or key not in ctx.keys:
        return json_response({"detail": "Unauthorized"}, 401)
    return None


def platform_error(status: int, kind: str, message: str) -> Response:
    """Platform API error envelope (fal-protocol.md §9.3)."""
    return json_response({"error": {"type": kind, "message": message}}, status)


Handler = Callable[[], Awaitable[Response]]


async def guarded(ctx: Context, route: str, handler: Handler) -> Response:
    """Count the call, apply latency and scripted failures/drops around ``handler``."""
    ctx.counters[route] += 1
    if ctx.chaos.latency > 0:
        await asyncio.sleep(ctx.chaos.latency)
    failure = ctx.chaos.take_failure(route)
    if failure is not None:
        return failure.response()
    response = await handler()
    if ctx.chaos.take_drop(route):
        return DroppedResponse()
    return response


def sse_event(data: Any) -> str:
    """One server-sent event carrying JSON."""
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"
