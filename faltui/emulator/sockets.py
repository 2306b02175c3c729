"""The emulator's listening sockets and the URLs they serve, without the web server.

Kept apart from ``server.py`` (uvicorn, Starlette) so that ``faltui --demo`` can bind its
ports, and so know its URLs, before the web server is even imported.
"""

from __future__ import annotations

import errno
import socket


class EmulatorStartError(RuntimeError):
    """The emulator could not start listening (the message is one line for a user)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) TCP socket, or ``EmulatorStartError`` saying why not."""
    if not 0 <= port <= 65535:
        raise EmulatorStartError(f"port {port} is out of range (0-65535)")
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise EmulatorStartError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise EmulatorStartError(f"port {port} on {host} is already in use") from None
        if exc.errno == errno.EACCES:
            raise EmulatorStartError(f"not allowed to listen on {host}:{port}") from None
        raise EmulatorStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def origin(scheme: str, host: str, port: int) -> str:
    """``scheme://host:port`` of a listening port (loopback when bound to all interfaces)."""
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def service_urls(base: str, run: str) -> dict[str, str]:
    """Base URLs for ``Settings.urls`` of an emulator at ``base`` with its sync-run host at
    ``run``."""
    return {
        "queue": base,
        "run": run,
        "rest": base,
        "cdn": base,
        "platform": base + "/v1",
        "openapi": base + "/api/openapi/queue/openapi.json",
    }
