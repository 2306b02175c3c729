"""Fetching result files over HTTP: keyless requests, clear failures, a capped read.

Result files live on CDN hosts (``v3.fal.media``, storage buckets), never on fal's API hosts,
so a file request carries no ``Authorization`` (nor any cookie) — whatever the client's
defaults say. fal keeps results for a limited time; an expired file answers 404/403/410 and a
stopped emulator (an earlier ``--demo`` session) answers nothing. Both get a message that
says so instead of httpx's "All connection attempts failed".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx

from faltui.core.outputs.failures import GONE_NOTE as GONE_NOTE
from faltui.core.outputs.failures import DownloadError as DownloadError
from faltui.core.outputs.failures import FileGone as FileGone
from faltui.core.outputs.failures import PreviewTooLarge as PreviewTooLarge
from faltui.core.outputs.report import human_size
from faltui.core.version import __version__

#: Headers a file request must never carry.
SECRET_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
#: Statuses of a file that is gone (expired, deleted, or its signed URL lapsed).
GONE_STATUSES = frozenset({403, 404, 410})
#: How long a file host may take: to connect, and between two chunks.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
USER_AGENT = f"faltui/{__version__}"


def keyless_client() -> httpx.AsyncClient:
    """An HTTP client for file hosts: no credentials, redirects followed, sane timeouts."""
    return httpx.AsyncClient(
        follow_redirects=True,
        timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        headers={"User-Agent": USER_AGENT},
    )


def host_of(url: str) -> str:
    """``host:port`` of a URL, for messages."""
    return urlsplit(url).netloc or url[:40]


def status_failure(status: int) -> DownloadError:
    """The error for a non-2xx answer of a file host (named by the standard phrase, not the
    host's own reason text)."""
    try:
        words = f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        words = f"HTTP {status}"
    if status in GONE_STATUSES:
        return FileGone(f"{GONE_NOTE} ({words})", status=status)
    if status == 401:
        return DownloadError(
            f"the file host asks for credentials ({words}); faltui never sends your fal key "
            "to a file host",
            status=status,
        )
    if status >= 500:
        return DownloadError(f"the file host failed ({words}); try again later", status=status)
    return DownloadError(f"the file host refused the download ({words})", status=status)


def transport_failure(exc: httpx.HTTPError, url: str, received: int = 0) -> DownloadError:
    """The error for a request that got no (complete) answer."""
    host = host_of(url)
    if isinstance(exc, httpx.ConnectError):
        return DownloadError(
            f"{host} does not answer: {GONE_NOTE}, or the host cannot be reached from here"
        )
    if isinstance(exc, httpx.TimeoutException):
        return DownloadError(f"{host} did not answer in time ({type(exc).__name__})")
    if received:
        return DownloadError(f"the download from {host} broke off after {received} bytes: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return DownloadError(f"{host} closed the connection without answering; try again")
    return DownloadError(f"the download from {host} failed: {exc or type(exc).__name__}")


@asynccontextmanager
async def open_file(http: httpx.AsyncClient, url: str) -> AsyncIterator[httpx.Response]:
    """A streamed, successful (2xx) response for ``url``, sent without any credentials."""
    request = http.build_request("GET", url)
    for name in SECRET_HEADERS:
        request.headers.pop(name, None)
    try:
        response = await http.send(request, stream=True, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise transport_failure(exc, url) from exc
    try:
        if not response.is_success:
            raise status_failure(response.status_code)
        yield response
    finally:
        await response.aclose()


def content_length(response: httpx.Response) -> int | None:
    """The announced size of a response body (None when unknown or compressed)."""
    if response.headers.get("content-encoding", "identity") != "identity":
        return None  # the length is of the compressed bytes, not of what we save
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def fetch_capped(http: httpx.AsyncClient, url: str, cap: int) -> bytes:
    """The body of ``url`` when it is at most ``cap`` bytes; ``PreviewTooLarge`` otherwise.

    A larger file is refused on its announced length without reading the body, or as soon as
    more than ``cap`` bytes arrive — never held in memory whole.
    """
    async with open_file(http, url) as response:
        announced = content_length(response)
        if announced is not None and announced > cap:
            raise PreviewTooLarge(too_large(announced, cap))
        chunks: list[bytes] = []
        received = 0
        try:
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > cap:
                    raise PreviewTooLarge(too_large(None, cap))
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise transport_failure(exc, url, received) from exc
    return b"".join(chunks)


async def fetch_head(http: httpx.AsyncClient, url: str, limit: int) -> tuple[bytes, int | None]:
    """The first ``limit`` bytes of ``url`` (fewer for a shorter file) and the file's size when
    the host says it. The rest of the body is not read: the connection is dropped."""
    async with open_file(http, url) as response:
        total = content_length(response)
        chunks: list[bytes] = []
        received = 0
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                received += len(chunk)
                if received >= limit:
                    break
        except httpx.HTTPError as exc:
            raise transport_failure(exc, url, received) from exc
    data = b"".join(chunks)[:limit]
    if total is None and received < limit:
        total = received  # the whole file arrived
    return data, total


def too_large(size: int | None, cap: int) -> str:
    """The message of a file over the preview cap."""
    what = human_size(size) if size is not None else f"more than {human_size(cap)}"
    return f"the file is {what}, over the preview limit of {human_size(cap)}; not previewed"
