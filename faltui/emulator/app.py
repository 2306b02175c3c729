"""The emulator's ASGI application: every fal host served from one origin by path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from faltui.emulator.chaos import RequestContextMiddleware
from faltui.emulator.common import Context, localize
from faltui.emulator.queue import QueueRoutes
from faltui.emulator.state import EmulatedJob


async def deliver_webhooks(ctx: Context, queue: QueueRoutes) -> None:
    """One loop for every webhook: POST fal's §4.10 payload when a request completes."""
    async with httpx.AsyncClient(timeout=15.0, verify=False) as http:
        while not ctx.closing:
            for job in ctx.store.pending_webhooks(ctx.store.clock()):
                job.webhook_sent = True
                ctx.store.changed(job)
                failure = job.failure()
                if failure is None:
                    output = await run_in_threadpool(queue.output, job)
                    payload = localize(output, job.origin)
                else:
                    payload = failure.body
                body: dict[str, Any] = {
                    "request_id": job.request_id,
                    "gateway_request_id": job.request_id,
                    "status": "OK" if failure is None else "ERROR",
                    "payload": payload,
                }
                if failure is not None:
                    body["error"] = failure.error
                record: dict[str, Any] = {"url": job.webhook, "body": body}
                try:
                    response = await http.post(str(job.webhook), json=body)
                    record["status_code"] = response.status_code
                except httpx.HTTPError as exc:
                    record["error"] = repr(exc)
                ctx.webhooks.append(record)
            await asyncio.sleep(min(max(ctx.store.tick / 2, 0.01), 0.25))


def build_app(ctx: Context) -> Any:
    """The Starlette app (wrapped so chaos can drop connections)."""
    from faltui.emulator import admin, history, platform, storage, tokens

    queue = QueueRoutes(ctx)

    def notify(job: EmulatedJob) -> None:
        queue.feed.notify(job.request_id)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(deliver_webhooks(ctx, queue))
        ctx.store.listeners.append(notify)
        ctx.stream_feed = queue.feed
        try:
            yield
        finally:
            ctx.store.listeners.remove(notify)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    routes: list[BaseRoute] = [
        *admin.routes(ctx, ctx.reset),
        *platform.routes(ctx),
        *history.routes(ctx),
        *platform.fallback_routes(),
        *storage.routes(ctx),
        *tokens.routes(ctx),
        *queue.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    return RequestContextMiddleware(app, lambda: ctx.run_port)
