"""Storage: CDN tokens, one-shot and multipart uploads, signed-URL uploads, file serving.

Routes (fal-protocol.md §8): ``POST /storage/auth/token``, ``POST /files/upload``,
``POST /files/upload/multipart`` + ``PUT {access_url}/multipart/{id}/{n}`` +
``POST {access_url}/multipart/{id}/complete``, ``POST /storage/upload/initiate[-multipart]`` +
``PUT /uploads/...`` (the signed-URL fallback), and ``GET /files/...``.

A multipart part is kept as the chunks it arrived in (joined once, at ``complete``). Its ETag
is opaque to clients (they only echo it back at ``complete``, protocol §8.3), so the emulator
does not hash the bytes: each stored part gets a fresh quoted 32-hex token, shaped like the MD5
a CDN sends. Hashing 300 MiB on the server's one event loop cost as much as reading it off the
socket (profile: CRC-32 0.4 s, MD5 more), time no real CDN charges a client.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faltui.emulator.common import Context, check_key, guarded, json_response, request_origin

_PART = re.compile(r"^(?P<file>.+)/multipart/(?P<upload>[^/]+)/(?P<part>\d+|complete)$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str | None, default: str = "upload.bin") -> str:
    """A file name safe to put in a URL path."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip("._")
    return cleaned[:120] or default


def new_upload_path(name: str | None) -> str:
    """``b/<8 hex>/<random>_<name>`` like fal's v3 CDN."""
    return f"b/{secrets.token_hex(4)}/{secrets.token_hex(6)}_{safe_name(name)}"


def new_part_etag() -> str:
    """A stored part's ETag: an opaque quoted token (see the module docstring)."""
    return f'"{secrets.token_hex(16)}"'


@dataclass
class PendingMultipart:
    """A multipart upload being assembled."""

    path: str
    content_type: str
    lifecycle: str | None
    #: Each part as the chunks it arrived in.
    parts: dict[int, list[bytes]] = field(default_factory=dict)
    #: Each stored part's ETag (a new one each time the part is stored).
    etags: dict[int, str] = field(default_factory=dict)

    async def store(self, number: int, body: AsyncIterator[bytes]) -> None:
        """Keep part ``number`` from its streamed body (a part sent again replaces it)."""
        chunks = [chunk async for chunk in body if chunk]
        self.parts[number] = chunks
        self.etags[number] = new_part_etag()

    def etag(self, number: int) -> str:
        """The ETag returned for part ``number``."""
        return self.etags[number]

    def assemble(self) -> bytes:
        """Every part in order, one copy."""
        return b"".join(chunk for n in sorted(self.parts) for chunk in self.parts[n])


class StorageRoutes:
    """Upload and download handlers bound to one emulator context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pending: dict[str, PendingMultipart] = {}
        #: Signed upload ids of the fallback path → (file path, content type, multipart?).
        self.signed: dict[str, tuple[str, str, bool]] = {}
        self._lock = threading.Lock()
        ctx.reset_hooks.append(self.clear)

    def clear(self) -> None:
        """Forget every upload in progress (``Emulator.reset``)."""
        with self._lock:
            self.pending.clear()
            self.signed.clear()

    def routes(self) -> list[Route]:
        """All storage routes (must precede the queue catch-all)."""
        return [
            Route("/storage/auth/token", self.token, methods=["POST"]),
            Route("/storage/upload/initiate", self.initiate, methods=["POST"]),
            Route("/storage/upload/initiate-multipart", self.initiate_multipart, methods=["POST"]),
            Route("/uploads/{rest:path}", self.signed_upload, methods=["PUT", "POST"]),
            Route("/files/upload", self.upload, methods=["POST"]),
            Route("/api/storage/upload", self.form_upload, methods=["POST"]),
            Route("/files/upload/multipart", self.multipart_initiate, methods=["POST"]),
            Route("/files/{path:path}", self.files, methods=["GET", "PUT", "POST"]),
        ]

    # --- helpers -----------------------------------------------------------------------------

    def _url(self, request: Request, path: str) -> str:
        return f"{request_origin(self.ctx, request)}/files/{path}"

    def _check_token(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.ctx.cdn_tokens:
            return json_response({"detail": "Invalid or missing CDN token"}, 401)
        return None

    @staticmethod
    def _lifecycle(request: Request) -> str | None:
        return request.headers.get("x-fal-object-lifecycle") or request.headers.get(
            "x-fal-object-lifecycle-preference"
        )

    @staticmethod
    def _content_type(request: Request) -> str:
        return request.headers.get("content-type") or "application/octet-stream"

    # --- fal_v3 ------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        """Issue a short-lived CDN token (§8.2 step 1)."""

        async def handle() -> Response:
            denied = check_key(self.ctx, request)
            if denied is not None:
                return denied
            token = secrets.token_urlsafe(24)
            self.ctx.cdn_tokens.add(token)
            expires = datetime.now(UTC) + timedelta(hours=1)
            return json_response(
                {
                    "token": token,
                    "token_type": "Bearer",
                    "base_url": request_origin(self.ctx, request),
                    "expires_at": expires.isoformat(),
                }
            )

        return await guarded(self.ctx, "storage_token", handle)

    async def upload(self, request: Request) -> Response:
        """One-shot upload of the raw body (§8.2 step 2)."""

        async def handle() -> Response:
            denied = self._check_token(request)
            if denied is not None:
                return denied
            data = await request.body()
            path = new_upload_path(request.headers.get("x-fal-file-name"))
            self.ctx.files.put(
                path,
                data,
                self._content_type(request),
                upload=True,
                lifecycle=self._lifecycle(request),
            )
            return json_response({"access_url": self._url(request, path), "file_size": len(data)})

        return await guarded(self.ctx, "upload", handle)

    async def form_upload(self, request: Request) -> Response:
        """``POST /api/storage/upload`` (multipart/form-data ``file``), as SKILL's upload.sh."""

        async def handle() -> Response:
            denied = check_key(self.ctx, request)
            if denied is not None:
                return denied
            found = parse_form_file(request.headers.get("content-type", ""), await request.body())
            if found is None:
                return json_response({"detail": "multipart/form-data with a 'file' part"}, 422)
            data, name, content_type = found
            path = new_upload_path(name)
            self.ctx.files.put(path, data, content_type, upload=True)
            return json_response({"url": self._url(request, path)})

        return await guarded(self.ctx, "upload", handle)

    async def multipart_initiate(self, request: Request) -> Response:
        """Start a multipart upload (§8.3 step 1)."""

        async def handle() -> Response:
            denied = self._check_token(request)
            if denied is not None:
                return denied
            path = new_upload_path(request.headers.get("x-fal-file-name"))
            upload_id = secrets.token_hex(12)
            with self._lock:
                self.pending[upload_id] = PendingMultipart(
                    path, self._content_type(request), self._lifecycle(request)
                )
            return json_response({"access_url": self._url(request, path), "uploadId": upload_id})

        return await guarded(self.ctx, "multipart_initiate", handle)

    async def files(self, request: Request) -> Response:
        """GET a stored file, or a multipart part/complete under an access URL."""
        path = request.path_params["path"]
        if request.method == "GET":
            if request.headers.get("authorization"):
                # Downloads must never carry credentials: tests assert this stays 0.
                self.ctx.counters["file_with_auth"] += 1
            return await guarded(self.ctx, "file", lambda: self._serve(path))
        match = _PART.match(path)
        if match is None:
            return json_response({"detail": "Not Found"}, 404)
        if match.group("part") == "complete" and request.method == "POST":
            return await guarded(
                self.ctx, "multipart_complete", lambda: self._complete(request, match)
            )
        if match.group("part").isdigit() and request.method == "PUT":
            return await guarded(self.ctx, "multipart_part", lambda: self._part(request, match))
        return json_response({"detail": "Method Not Allowed"}, 405)

    async def _serve(self, path: str) -> Response:
        stored = self.ctx.files.get(path)
        if stored is None:
            return json_response({"detail": "File not found"}, 404)
        return Response(
            stored.data,
            200,
            {"etag": stored.etag, "cache-control": "public, max-age=3600"},
            media_type=stored.content_type,
        )

    def _pending_for(self, match: re.Match[str]) -> PendingMultipart | None:
        pending = self.pending.get(match.group("upload"))
        if pending is None or pending.path != match.group("file"):
            return None
        return pending

    async def _part(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._check_token(request)
        if denied is not None:
            return denied
        pending = self._pending_for(match)
        if pending is None:
            return json_response({"detail": "Unknown multipart upload"}, 404)
        number = int(match.group("part"))
        if number < 1:
            return json_response({"detail": "Part numbers start at 1"}, 400)
        await pending.store(number, request.stream())
        return part_answer(pending, number)

    async def _complete(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._check_token(request)
        if denied is not None:
            return denied
        pending = self._pending_for(match)
        if pending is None:
            return json_response({"detail": "Unknown multipart upload"}, 404)
        error = _check_parts(await request.body(), pending)
        if error is not None:
            return json_response({"detail": error}, 400)
        self.ctx.files.put(
            pending.path,
            pending.assemble(),
            pending.content_type,
            upload=True,
            lifecycle=pending.lifecycle,
        )
        with self._lock:
            self.pending.pop(match.group("upload"), None)
        return json_response({"access_url": self._url(request, pending.path)})

    # --- signed-URL fallback (§8.4) ----------------------------------------------------------

    async def _initiate(self, request: Request, multipart: bool) -> Response:
        denied = check_key(self.ctx, request)
        if denied is not None:
            return denied
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return json_response({"detail": "Body must be a JSON object"}, 422)
        content_type = str(body.get("content_type") or "application/octet-stream")
        name = body.get("file_name") or f"{int(time.time())}.bin"
        path = new_upload_path(str(name))
        upload_id = secrets.token_hex(12)
        self.signed[upload_id] = (path, content_type, multipart)
        if multipart:
            self.pending[upload_id] = PendingMultipart(path, content_type, self._lifecycle(request))
        signature = secrets.token_hex(8)
        origin = request_origin(self.ctx, request)
        return json_response(
            {
                "upload_url": f"{origin}/uploads/{upload_id}?signature={signature}",
                "file_url": self._url(request, path),
            }
        )

    async def initiate(self, request: Request) -> Response:
        """``POST /storage/upload/initiate`` → a signed PUT URL and the public file URL."""
        return await guarded(self.ctx, "upload_initiate", lambda: self._initiate(request, False))

    async def initiate_multipart(self, request: Request) -> Response:
        """``POST /storage/upload/initiate-multipart`` (fal-js > 90 MiB)."""
        return await guarded(self.ctx, "multipart_initiate", lambda: self._initiate(request, True))

    async def signed_upload(self, request: Request) -> Response:
        """``PUT /uploads/<id>``; multipart: ``PUT …/<n>`` then ``POST …/complete``."""
        parts = request.path_params["rest"].strip("/").split("/")
        upload_id = parts[0]
        known = self.signed.get(upload_id)
        if known is None or "signature" not in request.query_params:
            return json_response({"detail": "Invalid signed URL"}, 403)
        path, content_type, multipart = known
        if len(parts) == 1 and request.method == "PUT" and not multipart:

            async def single() -> Response:
                data = await request.body()
                ctype = request.headers.get("content-type") or content_type
                self.ctx.files.put(path, data, ctype, upload=True)
                return Response(b"", 200)

            return await guarded(self.ctx, "upload", single)
        pending = self.pending.get(upload_id)
        if pending is None or len(parts) != 2:
            return json_response({"detail": "Not Found"}, 404)
        if parts[1] == "complete" and request.method == "POST":

            async def finish() -> Response:
                error = _check_parts(await request.body(), pending)
                if error is not None:
                    return json_response({"detail": error}, 400)
                self.ctx.files.put(path, pending.assemble(), pending.content_type, upload=True)
                self.pending.pop(upload_id, None)
                return json_response({"file_url": self._url(request, path)})

            return await guarded(self.ctx, "multipart_complete", finish)
        if parts[1].isdigit() and request.method == "PUT":

            async def put_part() -> Response:
                number = int(parts[1])
                if number < 1:
                    return json_response({"detail": "Part numbers start at 1"}, 400)
                await pending.store(number, request.stream())
                return part_answer(pending, number)

            return await guarded(self.ctx, "multipart_part", put_part)
        return json_response({"detail": "Method Not Allowed"}, 405)


def part_answer(pending: PendingMultipart, number: int) -> Response:
    """A stored part: ``ETag`` header (fal_client reads it) and ``{partNumber, etag}`` JSON
    (fal-js reads the body)."""
    etag = pending.etag(number)
    return json_response({"partNumber": number, "etag": etag}, 200, {"ETag": etag})


def _check_parts(raw: bytes, pending: PendingMultipart) -> str | None:
    """Why a ``complete`` body does not match the uploaded parts, or ``None``."""
    try:
        body: Any = json.loads(raw or b"{}")
    except ValueError:
        return "complete body must be JSON"
    listed = body.get("parts") if isinstance(body, dict) else None
    if not isinstance(listed, list) or not listed:
        return "complete body needs a non-empty 'parts' list"
    numbers = []
    for item in listed:
        if not isinstance(item, dict):
            return "each part must be an object with partNumber and etag"
        number, etag = item.get("partNumber"), item.get("etag")
        if number not in pending.parts:
            return f"part {number} was never uploaded"
        if str(etag).strip('"') != pending.etag(number).strip('"'):
            return f"part {number}: etag mismatch"
        numbers.append(number)
    if sorted(numbers) != sorted(pending.parts):
        return "parts list does not cover every uploaded part"
    return None


def parse_form_file(content_type: str, body: bytes) -> tuple[bytes, str, str] | None:
    """(bytes, file name, content type) of the ``file`` part of a multipart/form-data body."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                return data, part.get_filename() or "upload.bin", part.get_content_type()
    return None


def routes(ctx: Context) -> list[Route]:
    """Storage routes for ``ctx``."""
    return StorageRoutes(ctx).routes()
