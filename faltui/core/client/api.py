"""Async client of fal's queue and sync APIs on one shared ``httpx.AsyncClient``.

Rules it follows (fal-protocol §3–§7, §12):

* The key (``Authorization: Key …``) is added per request, and only when
  ``Settings.may_send_key(url)`` says the URL is one of fal's API hosts. The shared client has
  no default auth header, so nothing else (CDN, result media, foreign URLs) ever receives it.
  A header value a server would refuse (control characters, non-ASCII) is caught before
  anything is sent, and no message ever quotes a header value.
* Submit and sync run are resent only when fal provably did not take them (§7.4 revised): a
  429, a connect error (nothing left this machine), or a 502/503 ingress page (no
  ``x-fal-request-id`` *and* a non-JSON nginx body). A 504, any other 5xx, a read timeout or a
  dropped answer raise ``OutcomeUnknownError``: never resent, reconciled through the request
  history instead (``faltui.core.reconcile``).
* Status, result and cancel are idempotent: retried on transport errors and on
  408/409/429/500/502/503/504 with or without a request id, ≤ ``RetryPolicy.attempts`` tries,
  exponential back-off with jitter, honouring ``Retry-After``. A result known to be an error
  (``result(…, failed=True)``) is not fetched again on a 5xx: that is the app's own answer.
* URLs returned by submit are used as-is; ``handle_for`` builds ``owner/app`` URLs only to
  re-attach to a request known by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import httpx_sse

from faltui.core import endpoints
from faltui.core.client.errors import error_from_response, is_ingress_error, retryable_flag
from faltui.core.client.http import (
    RetryPolicy,
    make_http_client,
    parse_retry_after,
    submit_headers,
)
from faltui.core.client.models import (
    IN_QUEUE,
    HistoryItem,
    QueueHandle,
    ResultAnswer,
    Status,
    parse_billable_units,
)
from faltui.core.client.pools import StreamPools
from faltui.core.config import Settings, header_value_problem, origin
from faltui.core.errors import (
    ApiError,
    AppError,
    ConfigError,
    FaltuiError,
    MissingKeyError,
    NotFoundError,
    OutcomeUnknownError,
    TransportError,
    UnauthorizedError,
)
from faltui.core.version import __version__

USER_AGENT = f"faltui/{__version__}"

#: ``"idempotent"``: safe to resend (GET/PUT). ``"replayed"``: idempotent, but the answer is
#: expected to be an error (a failed request's result), so a 5xx is not asked again.
#: ``"unsent"``: resend only if it provably never arrived. ``"never"``: one try.
RetryMode = Literal["idempotent", "replayed", "unsent", "never"]

#: Statuses an idempotent call is repeated on (fal-protocol §7.4).
IDEMPOTENT_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
Sleep = Callable[[float], Awaitable[Any]]
StatusCallback = Callable[[Status], Any]

#: Errors raised before a single byte of the request left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class WaitTimeout(FaltuiError):
    """``wait()`` gave up after its timeout; the request itself is left running."""

    def __init__(self, message: str, handle: QueueHandle, status: Status | None) -> None:
        super().__init__(message)
        self.handle = handle
        self.status = status


class FalClient:
    """fal's queue API (submit, status, stream, result, cancel) and sync run API."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        retry: RetryPolicy | None = None,
        http2: bool = False,
    ) -> None:
        self.settings = settings
        self._owns_http = http is None
        self.http = http if http is not None else make_http_client(settings, http2=http2)
        #: Status streams' own pools (when this client made its HTTP client; a given one is
        #: used for streams too).
        self.stream_pools = (
            StreamPools(
                lambda tls, size: make_http_client(
                    settings, http2=http2, max_connections=size, verify=tls
                )
            )
            if http is None
            else None
        )
        self.sleep = sleep
        self.rng = rng
        self.retry = retry or RetryPolicy()

    # -- plumbing ---------------------------------------------------------------------------

    def auth_headers(self, url: str) -> dict[str, str]:
        """``Authorization: Key …`` for fal's API hosts, nothing for any other URL."""
        if not self.settings.may_send_key(url):
            return {}
        return {"Authorization": f"Key {self.settings.require_key()}"}

    def headers_for(
        self, url: str, extra: dict[str, str] | None = None, *, key: bool = True
    ) -> dict[str, str]:
        """A fresh header dict for one request (the key only where allowed).

        With ``key=False`` the key is never added (``extra`` may carry another credential,
        e.g. the CDN token).
        """
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if extra:
            headers.update(extra)
        if key:
            headers.update(self.auth_headers(url))
        return headers

    async def request(
        self,
        method: str,
        url: str,
        *,
        retry: RetryMode,
        action: str,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        key: bool = True,
        timeout: httpx.Timeout | None = None,
        content: Callable[[], Any] | None = None,
    ) -> httpx.Response:
        """Send one call with the retry policy of ``retry``; return the (read) 2xx response.

        ``content`` is a factory returning a fresh body (bytes or async iterator) per attempt.
        Non-2xx answers raise the typed error of ``client_errors.error_from_response``.
        """
        check_header_values(self.headers_for(url, headers, key=key))
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts or retry == "never"
            kwargs: dict[str, Any] = {
                "headers": self.headers_for(url, headers, key=key),
                "params": params,
            }
            if timeout is not None:
                kwargs["timeout"] = timeout
            if content is not None:
                kwargs["content"] = content()
            elif json_body is not None:
                kwargs["json"] = json_body
            try:
                response = await self.http.request(method, url, **kwargs)
            except _NOT_SENT as exc:
                if last:
                    raise TransportError(
                        f"{action}: could not connect to {_host(url)} ({self._describe(exc)}); "
                        "nothing was sent",
                        maybe_sent=False,
                    ) from exc
                await self.sleep(self.retry.delay(attempt, self.rng, None))
                continue
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise TransportError(f"{action}: bad URL {url!r} ({exc})") from exc
            except httpx.TransportError as exc:
                if retry == "unsent":
                    what = f"{action}: no answer from {_host(url)} ({self._describe(exc)})"
                    raise OutcomeUnknownError(_unknown_message(what), detail=what) from exc
                if retry == "never" or last:
                    raise TransportError(
                        f"{action}: {_host(url)} did not answer ({self._describe(exc)})",
                        maybe_sent=True,
                    ) from exc
                await self.sleep(self.retry.delay(attempt, self.rng, None))
                continue
            if response.is_success:
                return response
            if not last and self._should_retry(response, retry):
                wait = self.retry.delay(
                    attempt, self.rng, parse_retry_after(response.headers.get("retry-after"))
                )
                await self.sleep(wait)
                continue
            error = error_from_response(response, action=action)
            if retry == "unsent" and _may_have_been_taken(response):
                raise OutcomeUnknownError(
                    _unknown_message(error.message),
                    detail=error.message,
                    status=response.status_code,
                    error_type=error.error_type,
                    body=error.body,
                    request_id=error.request_id,
                ) from error
            raise error

    @staticmethod
    def _should_retry(response: httpx.Response, retry: RetryMode) -> bool:
        """Whether a non-2xx answer may be asked again under ``retry`` (fal-protocol §7.4)."""
        status = response.status_code
        if response.headers.get("x-fal-request-timeout-type"):
            return False  # the caller's own timeout: never retried
        if retry == "idempotent":
            return status in IDEMPOTENT_RETRY_STATUSES and retryable_flag(response) is not False
        if retry == "replayed":
            return status in (408, 429)
        if retry == "unsent":
            if status == 429:
                return True
            if status in (502, 503) and is_ingress_error(response):
                return True
            # The sync API's "temporary failure, safe to retry" — never on a 504.
            return status != 504 and response.headers.get("x-fal-needs-retry", "").strip() == "1"
        return False

    def _describe(self, exc: BaseException) -> str:
        """An exception as text, with the key (should it ever appear) masked."""
        return self.settings.redact(_describe(exc))

    def _json(self, response: httpx.Response, action: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(
                f"{action}: the answer from {_host(str(response.url))} is not JSON",
                status=response.status_code,
                body=response.text[:300],
                request_id=response.headers.get("x-fal-request-id"),
            ) from exc

    # -- queue API ----------------------------------------------------------------------------

    def handle_for(self, endpoint_id: str, request_id: str) -> QueueHandle:
        """A handle for a request known only by its id (``owner/app`` URLs, §3)."""
        endpoint = endpoints.EndpointId.parse(endpoint_id)
        base = self.settings.urls["queue"]
        return QueueHandle(
            endpoint_id=endpoint.full,
            request_id=request_id,
            status_url=endpoints.status_url(base, endpoint, request_id),
            response_url=endpoints.request_url(base, endpoint, request_id),
            cancel_url=endpoints.cancel_url(base, endpoint, request_id),
            queue_position=None,
            status=IN_QUEUE,
        )

    async def submit(
        self,
        endpoint_id: str,
        payload: dict[str, Any],
        *,
        webhook: str | None = None,
        priority: str | None = None,
        runner_hint: str | None = None,
        start_timeout: float | None = None,
        lifecycle_seconds: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> QueueHandle:
        """Queue a request; returns its handle with the URLs fal returned.

        Never resent once it may have reached fal (``TransportError(maybe_sent=True)``).
        """
        endpoint = endpoints.EndpointId.parse(endpoint_id)
        url = endpoints.submit_url(self.settings.urls["queue"], endpoint)
        extra = submit_headers(
            priority=priority,
            runner_hint=runner_hint,
            start_timeout=start_timeout,
            lifecycle_seconds=lifecycle_seconds,
        )
        if headers:
            extra.update(headers)
        params = {"fal_webhook": webhook} if webhook else None
        response = await self.request(
            "POST",
            url,
            retry="unsent",
            action=f"submit to {endpoint.full}",
            json_body=payload,
            params=params,
            headers=extra,
        )
        body = self._json(response, "submit")
        if not isinstance(body, dict) or not body.get("request_id"):
            raise ApiError(
                f"submit to {endpoint.full}: the answer has no request_id",
                status=response.status_code,
                body=body,
            )
        request_id = str(body["request_id"])
        built = self.handle_for(endpoint.full, request_id)
        position = body.get("queue_position")
        return QueueHandle(
            endpoint_id=endpoint.full,
            request_id=request_id,
            status_url=str(body.get("status_url") or built.status_url),
            response_url=str(body.get("response_url") or built.response_url),
            cancel_url=str(body.get("cancel_url") or built.cancel_url),
            queue_position=position if isinstance(position, int) else None,
            status=str(body.get("status") or IN_QUEUE),
        )

    async def status(self, handle: QueueHandle, *, logs: bool = True) -> Status:
        """The request's current status (with its log window when ``logs``)."""
        response = await self.request(
            "GET",
            handle.status_url,
            retry="idempotent",
            action=f"status of {handle.request_id}",
            params={"logs": "1" if logs else "0"},
        )
        body = self._json(response, "status")
        if not isinstance(body, dict):
            raise ApiError("status: unexpected answer", status=response.status_code, body=body)
        status = Status.from_api(body)
        if not status.request_id:
            status.request_id = handle.request_id
        handle.status = status.state or handle.status
        handle.queue_position = status.queue_position
        return status

    async def stream_status(
        self, handle: QueueHandle, *, logs: bool = True
    ) -> AsyncGenerator[Status, None]:
        """Status events over server-sent events until ``COMPLETED``.

        Keep-alive comments are skipped. Raises ``TransportError`` when the stream breaks or
        ends before completion, and the typed error when it cannot be opened. A consumer that
        stops early should wrap it in ``contextlib.aclosing`` so the connection is released.
        """
        url = handle.status_stream_url
        action = f"status stream of {handle.request_id}"
        try:
            async with (
                self._stream_client() as http,
                httpx_sse.aconnect_sse(
                    http,
                    "GET",
                    url,
                    headers=self.headers_for(url),
                    params={"logs": "1" if logs else "0"},
                ) as source,
            ):
                response = source.response
                if not response.is_success:
                    await response.aread()
                    raise error_from_response(response, action=action)
                async for event in source.aiter_sse():
                    if not event.data.strip():
                        continue
                    try:
                        body = json.loads(event.data)
                    except ValueError:
                        continue
                    if not isinstance(body, dict):
                        continue
                    status = Status.from_api(body)
                    if not status.request_id:
                        status.request_id = handle.request_id
                    handle.status = status.state or handle.status
                    handle.queue_position = status.queue_position
                    yield status
                    if status.done:
                        return
        except httpx.HTTPError as exc:
            raise TransportError(f"{action}: {_describe(exc)}", maybe_sent=True) from exc
        raise TransportError(f"{action}: the stream closed before the request completed")

    def _stream_client(self) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
        if self.stream_pools is None:
            return contextlib.nullcontext(self.http)
        return self.stream_pools.client()

    async def result(self, handle: QueueHandle, *, failed: bool = False) -> dict[str, Any]:
        """The output of a completed request; a failed request raises its mapped error.

        ``failed``: the status already said the request failed, so a 5xx answer is the app's
        own error (replayed by the queue) and is not asked for again.
        """
        return (await self.result_answer(handle, failed=failed)).output

    async def result_answer(self, handle: QueueHandle, *, failed: bool = False) -> ResultAnswer:
        """``result`` with what fal billed for it (``x-fal-billable-units``, §4.9)."""
        response = await self.request(
            "GET",
            handle.response_url,
            retry="replayed" if failed else "idempotent",
            action=f"result of {handle.request_id}",
        )
        body = self._json(response, "result")
        return ResultAnswer(
            body if isinstance(body, dict) else {"output": body},
            parse_billable_units(response.headers),
            response.headers.get("x-fal-request-id") or handle.request_id,
        )

    async def cancel(self, handle: QueueHandle) -> None:
        """Ask fal to cancel; ``AlreadyCompletedError`` when the request had finished."""
        await self.request(
            "PUT", handle.cancel_url, retry="idempotent", action=f"cancel of {handle.request_id}"
        )

    async def run(
        self, endpoint_id: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Run synchronously on the run host (``fal.run``); returns the output.

        Like submit, never resent once it may have reached fal. ``timeout`` bounds the wait for
        the answer (default: the larger of ``read_timeout`` and 5 minutes).
        """
        return (await self.run_answer(endpoint_id, payload, timeout=timeout)).output

    async def run_answer(
        self, endpoint_id: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> ResultAnswer:
        """``run`` with the request id and what fal billed for it (§4.9, §5)."""
        endpoint = endpoints.EndpointId.parse(endpoint_id)
        url = endpoints.run_url(self.settings.urls["run"], endpoint)
        read = timeout if timeout is not None else max(self.settings.read_timeout, 300.0)
        response = await self.request(
            "POST",
            url,
            retry="unsent",
            action=f"run of {endpoint.full}",
            json_body=payload,
            timeout=httpx.Timeout(
                connect=self.settings.connect_timeout, read=read, write=read, pool=read
            ),
        )
        body = self._json(response, "run")
        return ResultAnswer(
            body if isinstance(body, dict) else {"output": body},
            parse_billable_units(response.headers),
            response.headers.get("x-fal-request-id"),
        )

    async def request_history(
        self,
        endpoint_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        payloads: bool = True,
        page_size: int = 100,
        max_pages: int = 200,
    ) -> list[HistoryItem]:
        """Every request of ``endpoint_id`` in fal's history between ``start`` and ``end``
        (epoch seconds), paged to the end (fal-protocol §9.4); ``payloads`` adds the inputs.

        Raises ``ApiError`` when a page cannot be had, and when the history has more than
        ``max_pages`` pages (an answer that is not the whole history must not look like one).
        """
        endpoint = endpoints.EndpointId.parse(endpoint_id)
        url = self.settings.urls["platform"].rstrip("/") + "/models/requests/by-endpoint"
        params: dict[str, Any] = {"endpoint_id": endpoint.full, "limit": str(page_size)}
        if start is not None:
            params["start"] = _iso(start)
        if end is not None:
            params["end"] = _iso(end)
        if payloads:
            params["expand"] = "payloads"
        items: list[HistoryItem] = []
        cursors: set[str] = set()
        for _ in range(max_pages):
            response = await self.request(
                "GET",
                url,
                retry="idempotent",
                action=f"request history of {endpoint.full}",
                params=params,
            )
            body = self._json(response, "request history")
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise ApiError(
                    "request history: unexpected answer (no items list)",
                    status=response.status_code,
                    body=body,
                )
            for raw in body["items"]:
                item = HistoryItem.from_api(raw) if isinstance(raw, dict) else None
                if item is not None:
                    items.append(item)
            cursor = body.get("next_cursor")
            if not body.get("has_more") or not isinstance(cursor, str) or not cursor:
                return items
            if cursor in cursors:
                raise ApiError("request history: the server repeated a page cursor", body=body)
            cursors.add(cursor)
            params["cursor"] = cursor
        raise ApiError(
            f"request history of {endpoint.full}: more than {max_pages} pages; "
            "narrow the time window"
        )

    async def wait(
        self,
        handle: QueueHandle,
        *,
        on_status: StatusCallback | None = None,
        logs: bool = True,
        timeout: float | None = None,
        stream: bool = True,
    ) -> dict[str, Any]:
        """Follow the request until it completes, then return its result.

        Uses the status stream first and falls back to polling (``settings.poll_interval``,
        growing while nothing changes) if the stream fails. ``on_status`` (sync or async) sees
        every status. A failed request raises its mapped error; ``timeout`` raises
        ``WaitTimeout`` (the request is not cancelled).
        """
        last: list[Status] = []

        async def emit(status: Status) -> None:
            last[:] = [status]
            if on_status is not None:
                outcome = on_status(status)
                if inspect.isawaitable(outcome):
                    await outcome

        async def follow() -> dict[str, Any]:
            final: Status | None = None
            if stream:
                final = await self._follow_stream(handle, emit, logs)
            if final is None:
                final = await self._follow_polling(handle, emit, logs)
            return await self._final_result(handle, final)

        if timeout is None:
            return await follow()
        try:
            async with asyncio.timeout(timeout):
                return await follow()
        except TimeoutError as exc:
            status = last[0] if last else None
            state = status.state if status else handle.status
            raise WaitTimeout(
                f"gave up waiting after {timeout:g}s; request {handle.request_id} is still "
                f"{state} (it keeps running: resume it or cancel it)",
                handle,
                status,
            ) from exc

    async def _follow_stream(
        self, handle: QueueHandle, emit: Callable[[Status], Awaitable[None]], logs: bool
    ) -> Status | None:
        try:
            async with contextlib.aclosing(self.stream_status(handle, logs=logs)) as events:
                async for status in events:
                    await emit(status)
                    if status.done:
                        return status
        except (UnauthorizedError, MissingKeyError):
            raise
        except FaltuiError:
            return None  # fall back to polling: a broken stream says nothing about the job
        return None

    async def _follow_polling(
        self, handle: QueueHandle, emit: Callable[[Status], Awaitable[None]], logs: bool
    ) -> Status:
        interval = self.settings.poll_interval
        cap = max(interval, min(interval * 10, 5.0))
        failures = 0
        previous = None
        while True:
            try:
                status = await self.status(handle, logs=logs)
            except TransportError:
                failures += 1
                if failures >= 3:
                    raise
                await self.sleep(cap)
                continue
            except ApiError as exc:
                if exc.status in (401, 402, 403, 404) or failures >= 2:
                    raise
                failures += 1
                await self.sleep(cap)
                continue
            failures = 0
            await emit(status)
            if status.done:
                return status
            key = (status.state, status.queue_position, len(status.logs))
            interval = self.settings.poll_interval if key != previous else min(interval * 1.5, cap)
            previous = key
            await self.sleep(interval)

    async def _final_result(self, handle: QueueHandle, final: Status) -> dict[str, Any]:
        try:
            result = await self.result(handle, failed=final.failed)
        except NotFoundError:
            if final.failed:
                raise _status_error(handle, final) from None
            raise
        if final.failed:
            raise _status_error(handle, final)
        return result

    async def aclose(self) -> None:
        """Close the HTTP client (and the stream pools) if this object created it."""
        if self.stream_pools is not None:
            await self.stream_pools.aclose()
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> FalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _status_error(handle: QueueHandle, status: Status) -> AppError:
    message = status.error or "the request failed"
    return AppError(
        f"{message} (request id {handle.request_id})",
        error_type=status.error_type,
        body=status.raw,
        request_id=handle.request_id,
    )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def _host(url: str) -> str:
    return origin(url).split("://", 1)[-1]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _may_have_been_taken(response: httpx.Response) -> bool:
    """A 5xx that does not prove the request never reached fal's queue (§7.4)."""
    status = response.status_code
    if status < 500:
        return False
    return status == 504 or not is_ingress_error(response)


def _unknown_message(what: str) -> str:
    return (
        f"{what} — the request may have been accepted by fal: it was not resent, to avoid "
        "running (and paying for) it twice"
    )


def check_header_values(headers: dict[str, str]) -> None:
    """Refuse, before anything is sent, a header value no server would accept.

    The message names the header, never its value (it may be the key).
    """
    for name, value in headers.items():
        problem = header_value_problem(value)
        if problem is None:
            continue
        if name.lower() == "authorization":
            raise ConfigError(f"the API key is not valid: {problem}; nothing was sent")
        raise ConfigError(f"the {name} header is not valid: {problem}; nothing was sent")
