"""Queue API (submit, status, status stream, result, cancel) and the synchronous run API."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from faltui.emulator import billing
from faltui.emulator.common import (
    ORIGIN,
    Context,
    guarded,
    is_sync_host,
    json_response,
    key_label,
    localize,
    localized_response,
    request_origin,
    sse_event,
)
from faltui.emulator.state import COMPLETED, IN_QUEUE, EmulatedJob
from faltui.emulator.streams import ChangeFeed
from faltui.emulator.tokens import check_access

_REQUEST_PATH = re.compile(
    r"^(?P<app>.+?)/requests/(?P<rid>[^/]+)(?P<tail>/status/stream|/status|/cancel)?/?$"
)
_NAMESPACES = {"workflows", "comfy"}
#: Request headers not kept on ``EmulatedJob.headers``.
_SECRET_HEADERS = {"authorization", "cookie"}


def app_of(endpoint_id: str) -> str:
    """``owner/app`` (or ``ns/owner/app``) of an endpoint id."""
    parts = endpoint_id.split("/")
    size = 3 if parts[0] in _NAMESPACES else 2
    return "/".join(parts[:size])


def returned_urls_only(ctx: Context, job: EmulatedJob) -> bool:
    """True when the job's ``owner/app`` URLs answer 404 (only the full-id URLs work)."""
    knob = ctx.returned_urls_only
    return job.app != job.endpoint_id and ("*" in knob or job.endpoint_id in knob)


def urls_for(ctx: Context, origin: str, job: EmulatedJob) -> dict[str, str]:
    """The three URLs fal returns for a request, on ``origin``.

    ``owner/app`` form (``ns/owner/app`` for workflows/comfy), or the full endpoint id for
    endpoints configured like fal-js issue #214's (``Emulator.returned_urls_only``).
    """
    app = job.endpoint_id if returned_urls_only(ctx, job) else job.app
    base = f"{origin}/{app}/requests/{job.request_id}"
    return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}


def status_body(
    ctx: Context, job: EmulatedJob, *, logs: bool, now: float, origin: str
) -> dict[str, Any]:
    """A §4.2 status object whose URLs are on ``origin``."""
    snap = job.snapshot(now, logs=logs, window=ctx.log_window)
    body: dict[str, Any] = {"status": snap.state, "request_id": job.request_id}
    if snap.state == IN_QUEUE:
        body["queue_position"] = snap.queue_position
    body.update(urls_for(ctx, origin, job))
    body["logs"] = snap.logs if logs else None
    if snap.state == COMPLETED:
        body["metrics"] = snap.metrics
        if snap.failure is not None:
            body["error"] = snap.failure.error
            body["error_type"] = snap.failure.error_type
    return body


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


async def _read_payload(request: Request) -> tuple[Any, Response | None]:
    raw = await request.body()
    try:
        payload = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        detail = [{"loc": ["body", 0], "msg": f"JSON decode error: {exc}", "type": "json_invalid"}]
        return None, json_response({"detail": detail}, 422)
    if not isinstance(payload, dict):
        detail = [
            {"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}
        ]
        return None, json_response({"detail": detail}, 422)
    return payload, None


def _kept_headers(request: Request) -> httpx.Headers:
    return httpx.Headers(
        [(k, v) for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS]
    )


def _not_found_app(path: str) -> Response:
    return json_response({"detail": f"Application '{path.strip('/')}' not found"}, 404)


class QueueRoutes:
    """Handlers bound to one emulator context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        #: Wakes open status streams when their job changes.
        self.feed = ChangeFeed(ctx.store.clock)

    def routes(self) -> list[Route]:
        """The legacy ``/run/…`` sync prefix, then the catch-all (queue, or sync on its port)."""
        return [
            Route("/run/{path:path}", self.run_prefixed, methods=["POST"]),
            Route("/{path:path}", self.dispatch, methods=["GET", "POST", "PUT"]),
        ]

    # --- dispatch ----------------------------------------------------------------------------

    async def dispatch(self, request: Request) -> Response:
        """Route a queue URL to submit / status / stream / result / cancel.

        On the sync-run port (fal.run), ``POST /{endpoint id}`` runs the model instead.
        """
        path = request.path_params["path"]
        if is_sync_host(request):
            if request.method != "POST":
                return json_response({"detail": "Not Found"}, 404)
            return await self.run(request, path)
        match = _REQUEST_PATH.match(path)
        if match is None:
            if request.method != "POST":
                return json_response({"detail": "Not Found"}, 404)
            return await guarded(self.ctx, "submit", lambda: self.submit(request, path))
        app, rid, tail = match.group("app"), match.group("rid"), match.group("tail") or ""
        if tail == "/status" and request.method == "GET":
            return await guarded(self.ctx, "status", lambda: self.status(request, app, rid))
        if tail == "/status/stream" and request.method == "GET":
            return await guarded(self.ctx, "status_stream", lambda: self.stream(request, app, rid))
        if tail == "/cancel" and request.method == "PUT":
            return await guarded(self.ctx, "cancel", lambda: self.cancel(request, app, rid))
        if tail == "" and request.method == "GET":
            return await guarded(self.ctx, "result", lambda: self.result(request, app, rid))
        return json_response({"detail": "Method Not Allowed"}, 405)

    def _job(self, app: str, rid: str) -> EmulatedJob | None:
        """The job a status/result/cancel URL names, or ``None``.

        The URL must name the job's ``owner/app`` (``ns/owner/app``) or its full endpoint id
        (the form fal's per-endpoint OpenAPI documents list), nothing in between.
        """
        job = self.ctx.store.jobs.get(rid)
        app = app.strip("/")
        if job is None:
            return None
        if app == job.endpoint_id or (app == job.app and not returned_urls_only(self.ctx, job)):
            return job
        return None

    def _not_found(self, app: str, rid: str, unknown: dict[str, Any]) -> Response:
        """404 for a URL ``_job`` refused: ``unknown`` for an unknown request, or the app's
        own ``Path /… not found`` when only the returned (full-id) URLs work."""
        job = self.ctx.store.jobs.get(rid)
        if job is not None and app.strip("/") == job.app:
            rest = job.endpoint_id[len(job.app) :].strip("/").split("/")[0]
            return json_response({"detail": f"Path /{rest} not found"}, 404)
        return json_response(unknown, 404)

    # --- handlers ----------------------------------------------------------------------------

    async def submit(self, request: Request, path: str) -> Response:
        """POST {queue}/{endpoint id}[/extra]."""
        denied = check_access(self.ctx, request, path)
        if denied is not None:
            return denied
        matched = self.ctx.catalog.match(path)
        if matched is None:
            return _not_found_app(path)
        endpoint_id, _extra = matched
        payload, error = await _read_payload(request)
        if error is not None:
            return error
        job = self.ctx.store.create(
            endpoint_id,
            app_of(endpoint_id),
            payload,
            _kept_headers(request),
            validation_errors=self.ctx.catalog.validate(endpoint_id, payload),
            webhook=request.query_params.get("fal_webhook") or None,
            key_label=key_label(self.ctx, request),
            origin=request_origin(self.ctx, request),
        )
        body = status_body(self.ctx, job, logs=False, now=self.ctx.store.clock(), origin=job.origin)
        body.pop("logs", None)
        return json_response(body, 200, {"x-fal-request-id": job.request_id})

    async def status(self, request: Request, app: str, rid: str) -> Response:
        """GET …/requests/{rid}/status[?logs=1]."""
        denied = check_access(self.ctx, request, app)
        if denied is not None:
            return denied
        job = self._job(app, rid)
        if job is None:
            return self._not_found(app, rid, {"detail": f"Request {rid} not found"})
        body = status_body(
            self.ctx,
            job,
            logs=_truthy(request.query_params.get("logs")),
            now=self.ctx.store.clock(),
            origin=request_origin(self.ctx, request),
        )
        code = 200 if body["status"] == COMPLETED else 202
        return json_response(body, code, {"x-fal-request-id": rid})

    async def stream(self, request: Request, app: str, rid: str) -> Response:
        """GET …/status/stream: SSE of status changes, keep-alive comments, closes at the end."""
        denied = check_access(self.ctx, request, app)
        if denied is not None:
            return denied
        job = self._job(app, rid)
        if job is None:
            return self._not_found(app, rid, {"detail": f"Request {rid} not found"})
        logs = _truthy(request.query_params.get("logs"))
        return StreamingResponse(
            self._events(job, logs, request_origin(self.ctx, request)),
            media_type="text/event-stream",
            headers={"x-fal-request-id": rid, "cache-control": "no-cache"},
        )

    async def _events(self, job: EmulatedJob, logs: bool, origin: str) -> AsyncIterator[str]:
        """Status events on each change (pushed by ``ChangeFeed``), keep-alives in between."""
        ctx = self.ctx
        clock = ctx.store.clock
        loop = asyncio.get_running_loop()
        seen: set[tuple[str, str]] = set()
        last_key: tuple[Any, ...] | None = None
        last_sent = loop.time()
        while not ctx.closing:
            ctx.counters["status_stream_wakeups"] += 1
            body = status_body(ctx, job, logs=logs, now=clock(), origin=origin)
            if logs:
                fresh = [e for e in body["logs"] if (e["timestamp"], e["message"]) not in seen]
                seen.update((e["timestamp"], e["message"]) for e in fresh)
                body["logs"] = fresh
            key = (body["status"], body.get("queue_position"))
            now = loop.time()
            if key != last_key or (logs and body["logs"]):
                last_key = key
                last_sent = now
                yield sse_event(body)
                if body["status"] == COMPLETED:
                    return
            elif now - last_sent >= ctx.sse_keepalive - 0.001:  # timers may fire a hair early
                last_sent = now
                yield ": keepalive\n\n"
            await self.feed.wait(job, ctx.sse_keepalive - (loop.time() - last_sent))

    async def result(self, request: Request, app: str, rid: str) -> Response:
        """GET …/requests/{rid}: output, replayed failure, 400 in progress, 404 unknown."""
        denied = check_access(self.ctx, request, app)
        if denied is not None:
            return denied
        job = self._job(app, rid)
        if job is None:
            return self._not_found(app, rid, {"detail": f"Request {rid} not found"})
        now = self.ctx.store.clock()
        ttl = self.ctx.result_ttl
        if ttl is not None and job.done(now) and now - job.finished_at > ttl:
            return json_response({"detail": f"Request {rid} not found"}, 404)
        if not job.done(now):
            return json_response(
                {"detail": "Request is still in progress"}, 400, {"x-fal-request-id": rid}
            )
        return await self._outcome_response(job, request_origin(self.ctx, request))

    async def _outcome_response(self, job: EmulatedJob, origin: str) -> Response:
        failure = job.failure()
        headers = {"x-fal-request-id": job.request_id}
        if failure is not None:
            return json_response(failure.body, failure.status_code, {**failure.headers, **headers})
        output = await run_in_threadpool(self.output, job)
        headers["x-fal-billable-units"] = billing.format_units(self.billable_units(job))
        return localized_response(output, origin, 200, headers)

    def output(self, job: EmulatedJob) -> dict[str, Any]:
        """The job's output JSON (built once; file URLs on the ``ORIGIN`` placeholder)."""
        return job_output(self.ctx, job)

    def billable_units(self, job: EmulatedJob) -> float:
        """Units billed for a successful job, in its endpoint's pricing unit."""
        return job_units(self.ctx, job)

    async def cancel(self, request: Request, app: str, rid: str) -> Response:
        """PUT …/cancel: 202 requested, 400 already completed, 404 unknown."""
        denied = check_access(self.ctx, request, app)
        if denied is not None:
            return denied
        job = self._job(app, rid)
        if job is None:
            return self._not_found(app, rid, {"status": "NOT_FOUND"})
        now = self.ctx.store.clock()
        headers = {"x-fal-request-id": rid}
        if job.done(now):
            return json_response({"status": "ALREADY_COMPLETED"}, 400, headers)
        if job.cancelled_at is None:
            job.cancelled_at = now
            self.ctx.store.changed(job)
        return json_response({"status": "CANCELLATION_REQUESTED"}, 202, headers)

    async def run_prefixed(self, request: Request) -> Response:
        """``POST /run/{endpoint id}`` on the queue port (an emulator convenience)."""
        if is_sync_host(request):
            return await self.run(request, "run/" + request.path_params["path"])
        return await self.run(request, request.path_params["path"])

    async def run(self, request: Request, path: str) -> Response:
        """POST {run}/{endpoint id}: the model runs at once; ``…/stream`` answers with SSE."""

        async def handle() -> Response:
            denied = check_access(self.ctx, request, path)
            if denied is not None:
                return denied
            matched = self.ctx.catalog.match(path)
            if matched is None:
                return _not_found_app(path)
            endpoint_id, extra = matched
            payload, error = await _read_payload(request)
            if error is not None:
                return error
            errors = self.ctx.catalog.validate(endpoint_id, payload)
            if errors:
                return json_response({"detail": errors}, 422)
            job = self.ctx.store.create(
                endpoint_id,
                app_of(endpoint_id),
                payload,
                _kept_headers(request),
                validation_errors=[],
                sync=True,
                key_label=key_label(self.ctx, request),
                origin=request_origin(self.ctx, request),
            )
            streaming = extra == "stream" or endpoint_id.endswith("/stream")
            if streaming and job.failure() is None:
                return StreamingResponse(
                    self._partials(job),
                    media_type="text/event-stream",
                    headers={"x-fal-request-id": job.request_id},
                )
            return await self._outcome_response(job, job.origin)

        return await guarded(self.ctx, "run", handle)

    async def _partials(self, job: EmulatedJob) -> AsyncIterator[str]:
        output = localize(await run_in_threadpool(self.output, job), job.origin)
        text = output.get("output")
        if isinstance(text, str):
            words = text.split(" ")
            for count in range(1, len(words)):
                yield sse_event({**output, "output": " ".join(words[:count]), "partial": True})
                await asyncio.sleep(0)
        yield sse_event(output)


def job_output(ctx: Context, job: EmulatedJob) -> dict[str, Any]:
    """A finished job's output JSON (built once; file URLs on the ``ORIGIN`` placeholder)."""
    if job.result is None:
        job.result = ctx.outputs.build(job.endpoint_id, job.input, job.request_id, ORIGIN)
    return job.result


def job_units(ctx: Context, job: EmulatedJob) -> float:
    """Units billed for a successful job (0 for a failed one), in its pricing unit."""
    if job.failure() is not None:
        return 0.0
    unit = billing.price_for(ctx.catalog, job.endpoint_id).unit
    return billing.billable_units(unit, job.input, job_output(ctx, job))
