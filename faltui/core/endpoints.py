"""Endpoint ids and the URL rules of fal's queue (fal-protocol.md §3).

An endpoint id is ``owner/app[/path…]``; ids in the ``workflows`` and ``comfy`` namespaces keep
three segments (``workflows/owner/app``). Submit and sync-run URLs use the full id; status,
result and cancel URLs use only the app part. Prefer the URLs fal returns on submit: build these
only when re-attaching to a request by its id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from faltui.core.errors import EndpointIdError

NAMESPACES = frozenset({"workflows", "comfy"})
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


@dataclass(frozen=True)
class EndpointId:
    """A parsed endpoint id."""

    owner: str
    alias: str
    path: str = ""
    namespace: str | None = None

    @classmethod
    def parse(cls, text: str) -> EndpointId:
        """Parse ``owner/app[/path]`` (or ``workflows/owner/app[/path]``).

        Raises ``EndpointIdError`` with a message naming what is wrong.
        """
        raw = (text or "").strip()
        if not raw:
            raise EndpointIdError("empty endpoint id: expected owner/app, e.g. fal-ai/flux/dev")
        if "://" in raw:
            raise EndpointIdError(
                f"{raw!r} is a URL, not an endpoint id: expected owner/app, e.g. fal-ai/flux/dev"
            )
        parts = raw.strip("/").split("/")
        if any(p == "" for p in parts):
            raise EndpointIdError(f"endpoint id {raw!r} has an empty segment ('//')")
        for p in parts:
            if not _SEGMENT.match(p) or p in {".", ".."}:
                raise EndpointIdError(
                    f"endpoint id {raw!r}: segment {p!r} may hold only letters, digits, '.', "
                    "'_' and '-'"
                )
        if parts[0] in NAMESPACES:
            if len(parts) < 3:
                raise EndpointIdError(
                    f"endpoint id {raw!r}: the {parts[0]}/ namespace needs {parts[0]}/owner/app"
                )
            return cls(parts[1], parts[2], "/".join(parts[3:]), parts[0])
        if len(parts) < 2:
            raise EndpointIdError(
                f"endpoint id {raw!r} needs an owner and an app, e.g. fal-ai/{raw}"
            )
        return cls(parts[0], parts[1], "/".join(parts[2:]))

    @property
    def app(self) -> str:
        """The part used by status/result/cancel URLs: ``owner/app`` (or ``ns/owner/app``)."""
        base = f"{self.owner}/{self.alias}"
        return f"{self.namespace}/{base}" if self.namespace else base

    @property
    def full(self) -> str:
        """The whole id, normalised."""
        return f"{self.app}/{self.path}" if self.path else self.app

    def __str__(self) -> str:
        return self.full


def _join(base: str, *parts: str) -> str:
    return base.rstrip("/") + "/" + "/".join(p.strip("/") for p in parts if p)


def submit_url(queue_base: str, endpoint: EndpointId, extra_path: str = "") -> str:
    """``POST`` URL that submits a request to the queue."""
    return _join(queue_base, endpoint.full, extra_path)


def run_url(run_base: str, endpoint: EndpointId, extra_path: str = "") -> str:
    """``POST`` URL of the synchronous run API."""
    return _join(run_base, endpoint.full, extra_path)


def request_url(queue_base: str, endpoint: EndpointId, request_id: str) -> str:
    """``GET`` URL of a request's result (built from ``owner/app``)."""
    return _join(queue_base, endpoint.app, "requests", quote(request_id, safe=""))


def status_url(queue_base: str, endpoint: EndpointId, request_id: str) -> str:
    """``GET`` URL of a request's status."""
    return request_url(queue_base, endpoint, request_id) + "/status"


def status_stream_url(queue_base: str, endpoint: EndpointId, request_id: str) -> str:
    """``GET`` URL of a request's status stream (server-sent events)."""
    return request_url(queue_base, endpoint, request_id) + "/status/stream"


def cancel_url(queue_base: str, endpoint: EndpointId, request_id: str) -> str:
    """``PUT`` URL that cancels a request."""
    return request_url(queue_base, endpoint, request_id) + "/cancel"
