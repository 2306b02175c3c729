"""Pieces shared by the emulator's route modules: the context protocol, auth, origins, handlers."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import HTTPConnection
from starlette.responses import Response

from faltui.emulator.catalog import EmulatorCatalog
from faltui.emulator.chaos import Chaos, DroppedResponse
from faltui.emulator.files import FileStore
from faltui.emulator.keys import ADMIN_KEY as ADMIN_KEY
from faltui.emulator.keys import DEMO_KEY as DEMO_KEY
from faltui.emulator.keys import LOCKED_KEY as LOCKED_KEY
from faltui.emulator.outputs import OutputBuilder
from faltui.emulator.state import JobStore

if TYPE_CHECKING:
    from faltui.emulator.streams import ChangeFeed
    from faltui.emulator.tokens import TokenStore

LOCKED_DETAIL = "User is locked. Reason: Exhausted balance. Add funds to continue."
#: Scope key set by ``RequestContextMiddleware`` when a request arrived on the sync-run port.
SYNC_SCOPE_KEY = "faltui.emulator.sync"
#: Stands for "the origin the client used" inside stored outputs; replaced when they are sent.
ORIGIN = "http://faltui-emulator.origin.invalid"


class Context(Protocol):
    """What route modules need from the ``Emulator``."""

    counters: Counter[str]
    chaos: Chaos
    store: JobStore
    catalog: EmulatorCatalog
    files: FileStore
    outputs: OutputBuilder
    keys: set[str]
    admin_keys: set[str]
    locked_keys: set[str]
    key_labels: dict[str, str]
    log_window: int | None
    sse_keepalive: float
    result_ttl: float | None
    webhooks: list[dict[str, Any]]
    cdn_tokens: set[str]
    public_url: str | None
    public_run_url: str | None
    returned_urls_only: set[str]
    temporary_tokens: TokenStore
    #: Called by ``Emulator.reset`` (route modules register their own state here).
    reset_hooks: list[Callable[[], None]]
    run_port: int
    stream_feed: ChangeFeed | None

    @property
    def closing(self) -> bool: ...

    def reset(self) -> None: ...

    @property
    def base_url(self) -> str: ...


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact, UTF-8)."""
    return Response(
        json.dumps(body, separators=(",", ":")), status, headers, media_type="application/json"
    )


def localized_response(
    body: Any, origin: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response whose stored ``ORIGIN`` placeholders become ``origin``."""
    text = json.dumps(body, separators=(",", ":")).replace(ORIGIN, origin)
    return Response(text, status, headers, media_type="application/json")


def localize(value: Any, origin: str) -> Any:
    """``value`` (JSON data) with every ``ORIGIN`` placeholder replaced by ``origin``."""
    return json.loads(json.dumps(value).replace(ORIGIN, origin))


def is_sync_host(conn: HTTPConnection) -> bool:
    """True when the request arrived on the sync-run port (fal.run rather than queue.fal.run)."""
    return bool(conn.scope.get(SYNC_SCOPE_KEY))


def request_origin(ctx: Context, conn: HTTPConnection) -> str:
    """``scheme://host[:port]`` the client used: ``--public-url``, else the request's headers.

    The scheme comes from ``X-Forwarded-Proto`` (a TLS-terminating proxy) or the connection; the
    host from ``X-Forwarded-Host`` or ``Host``, else the listening socket's address.
    """
    configured = ctx.public_run_url if is_sync_host(conn) else ctx.public_url
    if configured:
        return configured.rstrip("/")
    headers = conn.headers
    scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        scheme = conn.url.scheme if conn.url.scheme in ("http", "https") else "http"
    host = headers.get("x-forwarded-host", "").split(",")[0].strip() or headers.get("host", "")
    if not host:
        server = conn.scope.get("server") or ("127.0.0.1", 80)
        address = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        host = f"{address}:{server[1]}"
    return f"{scheme}://{host}"


def api_key(request: HTTPConnection) -> str | None:
    """The key of an ``Authorization: Key <key>`` header, or ``None``."""
    value = request.headers.get("authorization", "")
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "key" and rest.strip() else None


def check_key(ctx: Context, request: HTTPConnection) -> Response | None:
    """``None`` when the request carries a valid key, else fal's 401/403 response."""
    key = api_key(request)
    if key is not None and key in ctx.locked_keys:
        return json_response({"detail": LOCKED_DETAIL}, 403)
    if key is None or key not in ctx.keys:
        return json_response({"detail": "Unauthorized"}, 401)
    return None


def key_label(ctx: Context, request: HTTPConnection) -> str:
    """How usage names the key of a request (``auth_method``): never the key itself."""
    key = api_key(request) or ""
    return ctx.key_labels.get(key, "API key")


def platform_error(status: int, kind: str, message: str) -> Response:
    """Platform API error envelope (fal-protocol.md §9.3)."""
    return json_response({"error": {"type": kind, "message": message}}, status)


Handler = Callable[[], Awaitable[Response]]


async def guarded(ctx: Context, route: str, handler: Handler) -> Response:
    """Count the call, apply latency and scripted failures/drops around ``handler``."""
    ctx.counters[route] += 1
    # Faults are claimed on arrival: a call still in flight from before a fault was scripted
    # (a long status stream, say) must not take the fault meant for the next call.
    failure = ctx.chaos.take_failure(route)
    dropped = failure is None and ctx.chaos.take_drop(route)
    latency = ctx.chaos.delay()
    if latency > 0:
        await asyncio.sleep(latency)
    if failure is not None and not failure.after:
        return failure.response()
    response = await handler()
    if failure is not None:  # scripted with after=True: the work is done, the answer is lost
        return failure.response()
    if dropped:
        return DroppedResponse()
    return response


def sse_event(data: Any) -> str:
    """One server-sent event carrying JSON."""
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"
