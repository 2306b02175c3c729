"""Fault injection: forced error responses, dropped connections and added latency.

Route names are the keys of ``Emulator.counters`` (submit, status, result, cancel, ...).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

#: Scope key under which the server's per-request cycle object is stashed (for dropping).
CYCLE_KEY = "faltui.emulator.cycle"

NGINX_BODY = (
    "<html>\r\n<head><title>{code} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{code}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
DEFAULT_ERROR_TYPES = {
    429: "rate_limited",
    500: "internal_error",
    502: "runner_incomplete_response",
    503: "runner_scheduling_failure",
    504: "request_timeout",
}


@dataclass
class ForcedFailure:
    """One scripted error response."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    with_request_id: bool = True

    def response(self) -> Response:
        """The Starlette response to send instead of the real one."""
        headers = dict(self.headers)
        if self.with_request_id:
            headers.setdefault("x-fal-request-id", str(uuid.uuid4()))
        body = self.body
        if body is None and not self.with_request_id and self.status in (502, 503, 504):
            return Response(NGINX_BODY.format(code=self.status), self.status, headers, "text/html")
        if body is None:
            error_type = DEFAULT_ERROR_TYPES.get(self.status, "bad_request")
            body = {"detail": f"Emulated failure {self.status}", "error_type": error_type}
            headers.setdefault("X-Fal-Error-Type", error_type)
        if isinstance(body, str | bytes):
            return Response(body, self.status, headers, "text/plain")
        return Response(json.dumps(body), self.status, headers, "application/json")


class Chaos:
    """Knobs tests turn to make the emulator misbehave."""

    def __init__(self) -> None:
        #: Seconds added before every response.
        self.latency: float = 0.0
        self._failures: dict[str, list[ForcedFailure]] = {}
        self._drops: dict[str, int] = {}
        self._lock = threading.Lock()

    def fail_next(
        self,
        route: str,
        status: int,
        count: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        with_request_id: bool = True,
    ) -> None:
        """Answer the next ``count`` calls of ``route`` with ``status`` (handler not run).

        Without ``body``: 502/503/504 without a request id get nginx's HTML page (an ingress
        error), everything else a fal JSON error ``{"detail", "error_type"}``.
        """
        failure = ForcedFailure(status, body, dict(headers or {}), with_request_id)
        with self._lock:
            self._failures.setdefault(route, []).extend([failure] * count)

    def drop_next(self, route: str, count: int = 1) -> None:
        """Run the handler of the next ``count`` calls, then close without any response."""
        with self._lock:
            self._drops[route] = self._drops.get(route, 0) + count

    def take_failure(self, route: str) -> ForcedFailure | None:
        """Pop the next scripted failure of ``route``."""
        with self._lock:
            queue = self._failures.get(route)
            return queue.pop(0) if queue else None

    def take_drop(self, route: str) -> bool:
        """Consume one scripted drop of ``route``."""
        with self._lock:
            left = self._drops.get(route, 0)
            if left <= 0:
                return False
            self._drops[route] = left - 1
            return True

    def reset(self) -> None:
        """Forget every scripted failure, drop and latency."""
        with self._lock:
            self._failures.clear()
            self._drops.clear()
            self.latency = 0.0


class DroppedResponse(Response):
    """Closes the client connection without sending a status line."""

    def __init__(self) -> None:
        super().__init__(b"", 500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cycle = scope.get(CYCLE_KEY)
        transport = getattr(cycle, "transport", None)
        if cycle is None or transport is None:  # not under uvicorn's h11 server: best effort
            raise ConnectionAbortedError("emulated dropped connection")
        cycle.disconnected = True
        transport.close()


class CycleCaptureMiddleware:
    """Outermost ASGI layer: remembers uvicorn's request cycle so a handler can drop it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[CYCLE_KEY] = getattr(send, "__self__", None)
        await self.app(scope, receive, send)
