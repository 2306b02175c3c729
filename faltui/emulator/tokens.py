"""Temporary auth tokens: ``POST {rest}/tokens/`` (what fal-js and fal_client call for realtime
and browser streaming), and the ``fal_jwt_token`` query parameter they authorise."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route

from faltui.emulator.common import Context, check_key, guarded, json_response

DEFAULT_EXPIRATION = 120
MAX_EXPIRATION = 3600


@dataclass(frozen=True)
class TemporaryToken:
    """What a token allows: some app aliases, until a time (``time.time`` seconds)."""

    allowed_apps: frozenset[str]
    expires_at: float


class TokenStore:
    """Issued temporary tokens."""

    def __init__(self) -> None:
        self._tokens: dict[str, TemporaryToken] = {}
        self._lock = threading.Lock()

    def issue(self, allowed_apps: list[str], seconds: int) -> str:
        """A new JWT-shaped token for ``allowed_apps`` valid ``seconds``."""
        expires = time.time() + seconds

        def part(data: dict[str, object]) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        token = ".".join(
            [
                part({"alg": "none", "typ": "JWT"}),
                part({"allowed_apps": allowed_apps, "exp": int(expires), "iss": "faltui"}),
                secrets.token_urlsafe(16),
            ]
        )
        with self._lock:
            self._tokens[token] = TemporaryToken(frozenset(allowed_apps), expires)
        return token

    def allows(self, token: str, alias: str | None) -> bool:
        """True when ``token`` is unexpired and names ``alias`` (any app when ``None``)."""
        found = self._tokens.get(token)
        if found is None or found.expires_at < time.time():
            return False
        return alias is None or alias in found.allowed_apps

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._tokens.clear()


def alias_of(app_or_endpoint: str) -> str | None:
    """The app alias of an endpoint id (``fal-ai/flux/dev`` → ``flux``)."""
    parts = app_or_endpoint.strip("/").split("/")
    index = 2 if parts[0] in ("workflows", "comfy") else 1
    return parts[index] if len(parts) > index else None


def check_access(ctx: Context, conn: HTTPConnection, app: str) -> Response | None:
    """Like ``check_key``, but a ``fal_jwt_token`` naming ``app``'s alias also passes."""
    token = conn.query_params.get("fal_jwt_token")
    if token and not conn.headers.get("authorization"):
        if ctx.temporary_tokens.allows(token, alias_of(app)):
            return None
        return json_response({"detail": "Invalid or expired token"}, 401)
    return check_key(ctx, conn)


def _validation(loc: str, message: str, kind: str) -> Response:
    return json_response({"detail": [{"loc": ["body", loc], "msg": message, "type": kind}]}, 422)


class TokenRoutes:
    """``POST /tokens/`` bound to one emulator context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        """The token route (with and without the trailing slash)."""
        return [
            Route("/tokens/", self.issue, methods=["POST"]),
            Route("/tokens", self.issue, methods=["POST"]),
        ]

    async def issue(self, request: Request) -> Response:
        """Answer a JSON string: the token (what fal's REST API returns)."""

        async def handle() -> Response:
            denied = check_key(self.ctx, request)
            if denied is not None:
                return denied
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return _validation("body", "Body must be JSON", "json_invalid")
            if not isinstance(body, dict):
                return _validation("body", "Input should be a valid dictionary", "dict_type")
            apps = body.get("allowed_apps")
            if not isinstance(apps, list) or not apps or not all(isinstance(a, str) for a in apps):
                return _validation(
                    "allowed_apps", "Input should be a list of app names", "list_type"
                )
            seconds = body.get("token_expiration", DEFAULT_EXPIRATION)
            whole = isinstance(seconds, int) and not isinstance(seconds, bool)
            if not whole or not 1 <= seconds <= MAX_EXPIRATION:
                return _validation(
                    "token_expiration",
                    f"Input should be an integer between 1 and {MAX_EXPIRATION}",
                    "int_type",
                )
            return json_response(self.ctx.temporary_tokens.issue(apps, seconds))

        return await guarded(self.ctx, "tokens", handle)


def routes(ctx: Context) -> list[Route]:
    """Token routes for ``ctx``."""
    return TokenRoutes(ctx).routes()
