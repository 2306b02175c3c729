"""Uploads of local files to fal's CDN (fal-protocol §8.2, §8.3), streamed from disk.

A short-lived CDN token comes from the REST host (Key auth) and is cached per client until it
expires; the CDN itself only ever sees that token, never the API key. Files above
``MULTIPART_THRESHOLD`` go up in ``PART_SIZE`` parts, a few in parallel; every body is an async
generator reading ``CHUNK_SIZE`` pieces, so memory does not grow with the file size (and what
the page cache holds is read without a thread hop per piece).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import mimetypes
import os
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from faltui.core.client import USER_AGENT, FalClient
from faltui.core.errors import (
    ApiError,
    FaltuiError,
    FieldError,
    LockedError,
    UnauthorizedError,
    ValidationFailed,
)
from faltui.core.schema.files import file_problem, file_values_by_key, local_path
from faltui.core.upload_cache import UploadCache as UploadCache

MULTIPART_THRESHOLD = 100 * 1024**2
PART_SIZE = 10 * 1024**2
#: Bytes read from disk at a time.
CHUNK_SIZE = 512 * 1024
#: Parts of one multipart upload in flight at once.
PARALLEL_PARTS = 4
#: A token this close to its expiry is renewed first (seconds).
TOKEN_MARGIN = 60.0
DEFAULT_TOKEN_LIFE = 600.0

Progress = Callable[[int, int], Any]
PathKey = tuple[str | int, ...]


class UploadError(FaltuiError):
    """A local file could not be read or uploaded."""


@dataclass(frozen=True)
class CdnToken:
    """A CDN upload token (``POST /storage/auth/token``)."""

    token: str
    token_type: str
    base_url: str
    expires_at: float

    def header(self) -> dict[str, str]:
        """The CDN ``Authorization`` header."""
        return {"Authorization": f"{self.token_type} {self.token}"}

    def fresh(self, now: float) -> bool:
        """Still usable for a while."""
        return now < self.expires_at - TOKEN_MARGIN


_tokens: weakref.WeakKeyDictionary[FalClient, CdnToken] = weakref.WeakKeyDictionary()
_token_locks: weakref.WeakKeyDictionary[FalClient, asyncio.Lock] = weakref.WeakKeyDictionary()
_now: Callable[[], float] = time.time


def _parse_expiry(value: Any, now: float) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return now + DEFAULT_TOKEN_LIFE
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    return now + DEFAULT_TOKEN_LIFE


async def cdn_token(client: FalClient, *, refresh: bool = False) -> CdnToken:
    """The cached CDN token of ``client`` (fetched when missing, expiring or ``refresh``)."""
    lock = _token_locks.setdefault(client, asyncio.Lock())
    async with lock:
        cached = _tokens.get(client)
        if cached is not None and not refresh and cached.fresh(_now()):
            return cached
        url = client.settings.urls["rest"].rstrip("/") + "/storage/auth/token"
        response = await client.request(
            "POST",
            url,
            retry="idempotent",
            action="upload token",
            json_body={},
            params={"storage_type": "fal-cdn-v3"},
            headers={"Content-Type": "application/json"},
        )
        body = response.json() if response.content else {}
        if not isinstance(body, dict) or not body.get("token"):
            raise ApiError("upload token: the answer has no token", status=200, body=body)
        token = CdnToken(
            token=str(body["token"]),
            token_type=str(body.get("token_type") or "Bearer"),
            base_url=str(body.get("base_url") or client.settings.urls["cdn"]).rstrip("/"),
            expires_at=_parse_expiry(body.get("expires_at"), _now()),
        )
        _tokens[client] = token
        return token


class _Counter:
    """Bytes sent per part, reported as one running total."""

    def __init__(self, total: int, progress: Progress | None, offset: int = 0) -> None:
        self.total = total
        self.progress = progress
        self.offset = offset
        self.parts: dict[int, int] = {}

    def reset(self, part: int) -> None:
        self.parts[part] = 0

    def add(self, part: int, n: int) -> None:
        self.parts[part] = self.parts.get(part, 0) + n
        if self.progress is not None:
            self.progress(self.offset + sum(self.parts.values()), self.total)


async def _file_chunks(
    path: Path, start: int, length: int, counter: _Counter | None, part: int
) -> AsyncIterator[bytes]:
    """``length`` bytes of ``path`` from ``start``, ``CHUNK_SIZE`` at a time.

    What the page cache already holds is read on the event loop (a non-blocking read that
    copies memory and cannot wait for the disk); the rest in a worker thread. A thread hop
    per chunk costs more than the copy itself, and freshly written or re-sent files are
    usually cached.
    """
    if counter is not None:
        counter.reset(part)
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        fd = handle.fileno()
        _read_ahead(fd, start, length)
        offset, left = start, length
        while left > 0:
            size = min(CHUNK_SIZE, left)
            chunk = _read_cached(fd, size, offset)
            if chunk is None:
                chunk = await asyncio.to_thread(os.pread, fd, size, offset)
            if not chunk:
                raise UploadError(f"{path} shrank while it was being uploaded")
            offset += len(chunk)
            left -= len(chunk)
            if counter is not None:
                counter.add(part, len(chunk))
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


#: ``os.preadv``'s "only if cached" flag (Linux); None once the file system refuses it.
_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)


def _read_cached(fd: int, size: int, offset: int) -> bytes | None:
    """Up to ``size`` bytes at ``offset`` if the page cache holds them (at least their
    start), else None: never waits for the disk."""
    global _NOWAIT
    if _NOWAIT is None:
        return None
    buffer = bytearray(size)
    try:
        got = os.preadv(fd, [buffer], offset, _NOWAIT)
    except BlockingIOError:
        return None
    except OSError:  # EOPNOTSUPP, EINVAL: this file system cannot say; use threads
        _NOWAIT = None
        return None
    if got == size:
        return bytes(buffer)
    return bytes(memoryview(buffer)[:got])


def _read_ahead(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start reading ``[offset, offset + length)`` into its cache."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, offset, length, os.POSIX_FADV_WILLNEED)


def _lifecycle_headers(lifecycle_seconds: int | None) -> dict[str, str]:
    if lifecycle_seconds is None:
        return {}
    value = json.dumps({"expiration_duration_seconds": int(lifecycle_seconds)})
    return {"X-Fal-Object-Lifecycle": value, "X-Fal-Object-Lifecycle-Preference": value}


def _file_name_header(name: str) -> str:
    """File names travel in a header: keep them ASCII-safe."""
    safe = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return safe.replace("\r", "").replace("\n", "") or "upload.bin"


_Sent = TypeVar("_Sent")


async def _with_token(client: FalClient, send: Callable[[CdnToken], Awaitable[_Sent]]) -> _Sent:
    """Run ``send(token)``; on a 401/403 from the CDN renew the token once and retry."""
    token = await cdn_token(client)
    try:
        return await send(token)
    except (UnauthorizedError, LockedError):
        token = await cdn_token(client, refresh=True)
        return await send(token)


def _access_url(response_body: Any) -> str:
    if isinstance(response_body, dict) and isinstance(response_body.get("access_url"), str):
        return str(response_body["access_url"])
    raise ApiError("upload: the CDN answer has no access_url", status=200, body=response_body)


async def upload_file(
    client: FalClient,
    path: str | Path,
    *,
    content_type: str | None = None,
    progress: Progress | None = None,
    lifecycle_seconds: int | None = None,
    _counter: _Counter | None = None,
) -> str:
    """Upload a local file; returns its CDN URL. ``progress(sent, total)`` follows the bytes."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UploadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise UploadError(f"{path} is not a file")
    if size == 0:
        raise UploadError(f"{path} is empty (0 bytes): nothing to upload")
    mime = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    counter = _counter or _Counter(size, progress)
    upload = _LocalFile(path, size, mime, counter, lifecycle_seconds)
    if size > MULTIPART_THRESHOLD:
        return await _upload_multipart(client, upload)
    try:
        return await _post_to_cdn(
            client, path.name, mime, lifecycle_seconds, upload.chunks, content_length=size
        )
    except (UnauthorizedError, LockedError):
        raise  # the key itself is refused: another route would be refused too
    except FaltuiError as first:
        # Like fal's own clients: when the CDN path fails, try the signed-URL upload.
        try:
            return await _upload_signed(client, upload)
        except FaltuiError:
            raise first from None


@dataclass(frozen=True)
class _LocalFile:
    """A local file on its way up: where it is, its size and type, and who counts its bytes."""

    path: Path
    size: int
    mime: str
    counter: _Counter
    lifecycle_seconds: int | None

    def chunks(
        self, start: int = 0, length: int | None = None, part: int = 0
    ) -> AsyncIterator[bytes]:
        """The bytes of ``[start, start + length)`` (the whole file by default), streamed."""
        count = self.size - start if length is None else length
        return _file_chunks(self.path, start, count, self.counter, part)


async def _post_to_cdn(
    client: FalClient,
    file_name: str,
    mime: str,
    lifecycle_seconds: int | None,
    content: Callable[[], Any],
    *,
    content_length: int | None = None,
) -> str:
    """The CDN (``fal-cdn-v3``) one-shot upload: a storage token, then one POST of the bytes."""

    async def send(token: CdnToken) -> str:
        headers = {
            **token.header(),
            "Content-Type": mime,
            "X-Fal-File-Name": _file_name_header(file_name),
            **_lifecycle_headers(lifecycle_seconds),
        }
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        response = await client.request(
            "POST",
            token.base_url + "/files/upload",
            retry="idempotent",
            action=f"upload of {file_name}",
            headers=headers,
            key=False,
            content=content,
        )
        return _access_url(response.json())

    return await _with_token(client, send)


async def _upload_signed(client: FalClient, upload: _LocalFile) -> str:
    """The fallback: ``storage/upload/initiate`` gives a signed PUT URL and the file's URL.

    The signed URL authorises the PUT by itself; it points at a storage host, never at fal's
    API, so the key is not sent there.
    """
    name = upload.path.name
    url = client.settings.urls["rest"].rstrip("/") + "/storage/upload/initiate"
    response = await client.request(
        "POST",
        url,
        retry="idempotent",
        action=f"upload of {name} (signed URL)",
        json_body={"file_name": name, "content_type": upload.mime},
        params={"storage_type": "fal-cdn-v3"},
        headers={
            "Content-Type": "application/json",
            **_lifecycle_headers(upload.lifecycle_seconds),
        },
    )
    body = response.json() if response.content else {}
    if not isinstance(body, dict):
        body = {}
    upload_url, file_url = body.get("upload_url"), body.get("file_url")
    if not isinstance(upload_url, str) or not isinstance(file_url, str):
        raise ApiError("upload: the signed-URL answer lacks upload_url/file_url", body=body)
    await client.request(
        "PUT",
        upload_url,
        retry="idempotent",
        action=f"upload of {name} (signed URL)",
        headers={"Content-Type": upload.mime, "Content-Length": str(upload.size)},
        key=False,
        content=upload.chunks,
    )
    return file_url


async def upload_bytes(
    client: FalClient,
    data: bytes,
    *,
    file_name: str,
    content_type: str | None = None,
    lifecycle_seconds: int | None = None,
) -> str:
    """Upload bytes held in memory (small things: a pasted image, a generated mask)."""
    mime = content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    return await _post_to_cdn(client, file_name, mime, lifecycle_seconds, lambda: data)


async def _upload_multipart(client: FalClient, upload: _LocalFile) -> str:
    path, size, mime = upload.path, upload.size, upload.mime
    part_size = PART_SIZE
    parts = (size + part_size - 1) // part_size

    async def send(token: CdnToken) -> str:
        auth = token.header()
        response = await client.request(
            "POST",
            token.base_url + "/files/upload/multipart",
            retry="idempotent",
            action=f"multipart upload of {path.name}",
            headers={
                **auth,
                "Content-Type": mime,
                "X-Fal-File-Name": _file_name_header(path.name),
                **_lifecycle_headers(upload.lifecycle_seconds),
            },
            key=False,
        )
        body = response.json()
        access_url = _access_url(body)
        upload_id = body.get("uploadId") or body.get("upload_id")
        if not upload_id:
            raise ApiError("multipart upload: the CDN answer has no uploadId", body=body)
        base = f"{access_url.rstrip('/')}/multipart/{upload_id}"
        gate = asyncio.Semaphore(PARALLEL_PARTS)
        etags: dict[int, str] = {}

        async def put_part(number: int) -> None:
            start = (number - 1) * part_size
            length = min(part_size, size - start)
            async with gate:
                answer = await client.request(
                    "PUT",
                    f"{base}/{number}",
                    retry="idempotent",
                    action=f"part {number}/{parts} of {path.name}",
                    headers={
                        **auth,
                        "Content-Type": mime,
                        "Content-Length": str(length),
                        "Accept-Encoding": "identity",
                    },
                    key=False,
                    content=lambda: upload.chunks(start, length, number),
                )
            etag = answer.headers.get("etag")
            if not etag:
                raise ApiError(f"part {number} of {path.name}: the CDN sent no ETag")
            etags[number] = etag

        try:
            async with asyncio.TaskGroup() as group:
                for number in range(1, parts + 1):
                    group.create_task(put_part(number))
        except BaseExceptionGroup as failed:
            raise _first_leaf(failed) from None
        try:
            await client.request(
                "POST",
                f"{base}/complete",
                retry="idempotent",
                action=f"completing the upload of {path.name}",
                json_body={"parts": [{"partNumber": n, "etag": etags[n]} for n in sorted(etags)]},
                headers={**auth, "Content-Type": "application/json"},
                key=False,
            )
        except (UnauthorizedError, LockedError):
            raise
        except FaltuiError:
            # A dropped answer to `complete` (and the retry's "unknown upload") does not mean
            # the file is missing: the CDN may have assembled it. Look before failing.
            if not await file_exists(client, access_url):
                raise
        return access_url

    return await _with_token(client, send)


async def file_exists(client: FalClient, url: str) -> bool:
    """True when ``url`` serves a file (HEAD, else the first byte by GET); never sends a key."""
    headers = {"User-Agent": USER_AGENT}
    try:
        response = await client.http.head(url, headers=headers, follow_redirects=True)
        if response.is_success:
            return True
        async with client.http.stream(
            "GET", url, headers={**headers, "Range": "bytes=0-0"}, follow_redirects=True
        ) as answer:
            return answer.is_success
    except httpx.HTTPError:
        return False


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


# -- local paths inside a payload -------------------------------------------------------------


def find_local_files(payload: dict[str, Any], *, strict: bool = True) -> list[tuple[PathKey, Path]]:
    """Existing local files named by ``*_url`` / ``*_urls`` values (paths or ``file://``).

    With ``strict`` (the default) a value that looks like a local path but names no file
    raises ``ValidationFailed`` (see ``missing_local_files``) instead of being sent as-is.
    """
    if strict:
        missing = missing_local_files(payload)
        if missing:
            raise ValidationFailed(missing)
    found: list[tuple[PathKey, Path]] = []
    for where, value in file_values_by_key(payload):
        candidate = local_path(value)
        if candidate is not None and candidate.is_file():
            found.append((where, candidate))
    return found


def missing_local_files(payload: dict[str, Any]) -> list[FieldError]:
    """A ``FieldError`` for each ``*_url`` value that is neither a URL fal fetches nor an
    existing local file (``faltui.core.schema.files`` decides)."""
    return [
        FieldError(where, problem, "file")
        for where, value in file_values_by_key(payload)
        if (problem := file_problem(value))
    ]


def _set(payload: Any, where: PathKey, value: Any) -> None:
    target = payload
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value


async def upload_local_files(
    client: FalClient,
    payload: dict[str, Any],
    progress: Progress | None = None,
    *,
    lifecycle_seconds: int | None = None,
    cache: UploadCache | None = None,
    files: Sequence[tuple[PathKey, Path]] | None = None,
) -> dict[str, Any]:
    """A copy of ``payload`` with every local file uploaded and replaced by its URL.

    ``files`` says where the local files are (``PreparedInput.local_files``, found through
    the schema); without it they are found by fal's ``*_url`` key names. Raises
    ``ValidationFailed`` (nothing uploaded) when a value looks like a local path but no such
    file exists. A file named twice is uploaded once; with a ``cache``, once across calls too.
    """
    if files is None:
        missing = missing_local_files(payload)
        if missing:
            raise ValidationFailed(missing)
        found = find_local_files(payload)
    else:
        gone = [
            FieldError(where, f"no such local file: {file}", "file")
            for where, file in files
            if not file.is_file()
        ]
        if gone:
            raise ValidationFailed(gone)
        found = list(files)
    if not found:
        return payload
    result = copy.deepcopy(payload)
    unique: dict[Path, int] = {}
    for _, file in found:
        resolved = file.resolve()
        if resolved not in unique:
            unique[resolved] = resolved.stat().st_size
    total = sum(unique.values())
    urls: dict[Path, str] = {}
    sent = 0
    for file, size in unique.items():
        counter = _Counter(total, progress, offset=sent)

        def upload(file: Path = file, counter: _Counter = counter) -> Awaitable[str]:
            return upload_file(
                client,
                file,
                progress=progress,
                lifecycle_seconds=lifecycle_seconds,
                _counter=counter,
            )

        if cache is None:
            urls[file] = await upload()
        else:
            urls[file], uploaded = await cache.url_for(file, lifecycle_seconds, upload)
            if not uploaded and progress is not None:
                progress(sent + size, total)  # already on the CDN: counts as sent
        sent += size
    for where, file in found:
        _set(result, where, urls[file.resolve()])
    return result
