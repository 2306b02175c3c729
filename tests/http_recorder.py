"""A tiny loopback HTTP server that records every request (for "who gets the key" tests).

It stands for a foreign origin (a CDN, some other host): it answers from a table of canned
responses and keeps each request's method, path, headers and body size.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    size: int


@dataclass
class Canned:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


class Recorder:
    """Run with ``with Recorder() as rec:``; ``rec.base_url``, ``rec.requests``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.responses: dict[str, Canned] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def serve(self, path: str, body: bytes | str, status: int = 200, **headers: str) -> str:
        """Answer ``path`` with ``body``; returns its full URL."""
        data = body.encode() if isinstance(body, str) else body
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()} or {
            "content-type": "application/json"
        }
        self.responses[path] = Canned(status, data, hdrs)
        return self.base_url + path

    async def _handle(self, request: Request) -> Response:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        path = request.url.path
        self.requests.append(
            Recorded(request.method, path, {k.lower(): v for k, v in request.headers.items()}, size)
        )
        canned = self.responses.get(path, Canned(404, b'{"detail": "nothing here"}'))
        return Response(canned.body, status_code=canned.status, headers=canned.headers)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers_seen(self, name: str) -> list[str | None]:
        return [r.headers.get(name.lower()) for r in self.requests]

    def __enter__(self) -> Recorder:
        methods = ["GET", "POST", "PUT", "DELETE", "HEAD"]
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("recorder server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=5)
