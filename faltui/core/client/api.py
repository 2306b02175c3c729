"""Async client of fal's queue and sync APIs on one shared ``httpx.AsyncClient``.

Rules it follows (fal-protocol §3–§7, §12):

* The key (``Authorization: Key …``) is added per request, and only when
  ``Settings.may_send_key(url)`` says the URL is one of fal's API hosts. The shared client has
  no default auth header, so nothing else (CDN, result media, foreign URLs) ever receives it.
* Submit and sync run are never resent once they may have reached fal: a read timeout or a
  dropped connection raises ``TransportError(maybe_sent=True)``. They are retried only when
  the request provably never arrived (connect errors, 429, ingress 502/503/504).
* Status, result and cancel are idempotent: retried on transport errors, 408, 429 and ingress
  errors, with exponential back-off and jitter, honouring ``Retry-After``.
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
from typing import Any, Literal

import httpx
import httpx_sse

from faltui.core import endpoints
from faltui.core.client.errors import error_from_response, is_ingress_error
from faltui.core.client.http import (
    RetryPolicy,
    make_http_client,
    parse_retry_after,
    submit_headers,
)
from faltui.core.client.models import (
    IN_QUEUE,
    QueueHandle,
    Status,
)
from faltui.core.config import Settings, origin
from faltui.core.errors import (
    ApiError,
    AppError,
    FaltuiError,
    MissingKeyError,
    NotFoundError,
    TransportError,
    UnauthorizedError,
)
from faltui.core.version import __version__

USER_AGENT = f"faltui/{__version__}"

#: ``"idempotent"``: safe to resend (GET/PUT). ``"unsent"``: resend only if it never arrived.
RetryMode = Literal["idempotent", "unsent", "never"]
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
    ) -> None:
        self.settings = settings
        self._owns_http = http is None
        self.http = http if http is not None else make_http_client(settings)
        self.sleep = sleep
        self.rng = rng
        self.retry = retry or RetryPolicy()

    # -- plumbing ---------------------------------------------------------------------------

    def auth_headers(self, url: str) -> dict[str, str]:
        """``Authorization: Key …`` for fal's API hosts, nothing for any other URL."""
        if not self.settings.may_send_key(url):
            return {}
        if not self.settings.key:
            raise MissingKeyError()
        return {"Authorization": f"Key {self.settings.key}"}

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
                        f"{action}: could not connect to {_host(url)} ({_describe(exc)})",
                        maybe_sent=False,
                    ) from exc
                await self.sleep(self.retry.delay(attempt, self.rng, None))
                continue
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise TransportError(f"{action}: bad URL {url!r} ({exc})") from exc
            except httpx.TransportError as exc:
                if retry != "idempotent" or last:
                    raise TransportError(
                        _maybe_sent_message(action, url, exc, retry), maybe_sent=True
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
            raise error_from_response(response, action=action)

    @staticmethod
    def _should_retry(response: httpx.Response, retry: RetryMode) -> bool:
        status = response.status_code
        if response.headers.get("x-fal-request-timeout-type"):
            return False  # the caller's own timeout: never retried
        if status == 429 or is_ingress_error(response):
            return retry in ("idempotent", "unsent")
        if retry == "unsent":
            return response.headers.get("x-fal-needs-retry", "").strip() == "1"
        return retry == "idempotent" and status == 408

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
            async with httpx_sse.aconnect_sse(
                self.http,
                "GET",
                url,
                headers=self.headers_for(url),
                params={"logs": "1" if logs else "0"},
            ) as source:
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

    async def result(self, handle: QueueHandle) -> dict[str, Any]:
        """The output of a completed request; a failed request raises its mapped error."""
        response = await self.request(
            "GET",
            handle.response_url,
            retry="idempotent",
            action=f"result of {handle.request_id}",
        )
        body = self._json(response, "result")
        return body if isinstance(body, dict) else {"output": body}

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
        return body if isinstance(body, dict) else {"output": body}

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
            result = await self.result(handle)
        except NotFoundError:
            if final.failed:
                raise _status_error(handle, final) from None
            raise
        if final.failed:
            raise _status_error(handle, final)
        return result

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
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


def _host(url: str) -> str:
    return origin(url).split("://", 1)[-1]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _maybe_sent_message(action: str, url: str, exc: BaseException, retry: RetryMode) -> str:
    if retry == "unsent":
        return (
            f"{action}: no answer from {_host(url)} ({_describe(exc)}); the request may have "
            "been accepted — it was not resent to avoid running (and paying for) it twice"
        )
    return f"{action}: {_host(url)} did not answer ({_describe(exc)})"
