"""The emulator's own routes under ``/_emulator`` (no fal client calls them).

* ``GET /_emulator/stats`` — counters per route, jobs by state, files, open streams, chaos.
* ``GET /_emulator/chaos`` — the random chaos settings and the scripted faults not used yet.
* ``PUT|POST /_emulator/chaos`` — a ``--chaos`` text body, or JSON
  ``{"chaos": "...", "fail_next": [{"route", "status", "count"?, "with_request_id"?, "body"?,
  "headers"?, "after"?}], "drop_next": [{"route", "count"?}], "jobs": [{"outcome", "count"?}],
  "latency_ms": n, "timeline": {"queue_ticks"?, "progress_ticks"?, "seed"?}}`` (the timeline of
  jobs submitted from now on: ticks spent queued and in progress; a ``[lowest, highest]`` pair
  instead of a number draws each job's ticks at random, the same sequence for the same
  ``seed``). ``after: true`` runs the call first (a submit is accepted) and then answers the
  failure: fal took it, the answer was lost.
* ``DELETE /_emulator/chaos`` — no chaos at all (and the default job timeline).
* ``POST /_emulator/reset`` — ``Emulator.reset()``: no jobs, files, counters or chaos.
* ``GET /_emulator/jobs`` — every job's timeline as epoch seconds (``created_at``,
  ``started_at``, ``finished_at``: when it was, or will be, ``COMPLETED``), for clients that
  measure how soon they learn of a change.

No key is needed: keep the emulator on loopback (the default) when that matters.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faltui.emulator.chaos import parse_chaos
from faltui.emulator.common import Context, json_response
from faltui.emulator.state import OUTCOMES, PROGRESS_TICKS, QUEUE_TICKS


class AdminRoutes:
    """``/_emulator`` handlers bound to one emulator context."""

    def __init__(self, ctx: Context, reset: Callable[[], None]) -> None:
        self.ctx = ctx
        self.reset_all = reset
        self.started = time.monotonic()

    def routes(self) -> list[Route]:
        """The admin routes."""
        return [
            Route("/_emulator/stats", self.stats, methods=["GET"]),
            Route("/_emulator/chaos", self.chaos, methods=["GET", "PUT", "POST", "DELETE"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
            Route("/_emulator/jobs", self.jobs, methods=["GET"]),
        ]

    async def stats(self, _request: Request) -> Response:
        """What the emulator has seen so far."""
        ctx = self.ctx
        now = ctx.store.clock()
        jobs = list(ctx.store.jobs.values())
        states = Counter(job.snapshot(now, logs=False).state for job in jobs)
        outcomes = Counter(
            "ok" if job.failure() is None else job.failure().error_type  # type: ignore[union-attr]
            for job in jobs
            if job.done(now)
        )
        feed = ctx.stream_feed
        return json_response(
            {
                "uptime_s": round(time.monotonic() - self.started, 3),
                "counters": dict(sorted(ctx.counters.items())),
                "jobs": {
                    "total": len(jobs),
                    "by_state": dict(sorted(states.items())),
                    "finished": dict(sorted(outcomes.items())),
                },
                "files": len(ctx.files.files),
                "uploads": len(ctx.files.uploads),
                "open_streams": feed.watched if feed is not None else 0,
                "webhooks_sent": len(ctx.webhooks),
                "chaos": ctx.chaos.settings.describe(),
            }
        )

    def _chaos_state(self) -> dict[str, Any]:
        chaos = self.ctx.chaos
        store = self.ctx.store
        return {
            "settings": chaos.settings.as_dict(),
            "scripted_latency_ms": round(chaos.latency * 1000, 3),
            "pending": chaos.pending(),
            "timeline": {
                "queue_ticks": list(store.queue_range) if store.queue_range else store.queue_ticks,
                "progress_ticks": (
                    list(store.progress_range) if store.progress_range else store.progress_ticks
                ),
            },
        }

    async def chaos(self, request: Request) -> Response:
        """Read, change or clear the chaos."""
        chaos = self.ctx.chaos
        if request.method == "DELETE":
            chaos.reset()
            self.ctx.store.queue_ticks, self.ctx.store.progress_ticks = QUEUE_TICKS, PROGRESS_TICKS
            self.ctx.store.queue_range = self.ctx.store.progress_range = None
            return json_response(self._chaos_state())
        if request.method == "GET":
            return json_response(self._chaos_state())
        raw = (await request.body()).decode("utf-8", "replace")
        try:
            if request.headers.get("content-type", "").startswith("application/json"):
                self._apply(json.loads(raw or "{}"))
            else:
                chaos.configure(parse_chaos(raw))
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"detail": str(exc) or exc.__class__.__name__}, 400)
        return json_response(self._chaos_state())

    def _apply(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        chaos = self.ctx.chaos
        if "chaos" in body:
            chaos.configure(parse_chaos(str(body["chaos"])))
        if "latency_ms" in body:
            chaos.latency = float(body["latency_ms"]) / 1000
        for item in body.get("fail_next") or []:
            status = int(item["status"])
            if not 400 <= status <= 599:
                raise ValueError(f"fail_next: status {status} is not an error status")
            chaos.fail_next(
                str(item["route"]),
                status,
                int(item.get("count", 1)),
                body=item.get("body"),
                headers=item.get("headers"),
                with_request_id=bool(item.get("with_request_id", True)),
                after=bool(item.get("after", False)),
            )
        for item in body.get("drop_next") or []:
            chaos.drop_next(str(item["route"]), int(item.get("count", 1)))
        timeline = body.get("timeline") or {}
        store = self.ctx.store
        for name, range_name in (
            ("queue_ticks", "queue_range"),
            ("progress_ticks", "progress_range"),
        ):
            if name not in timeline:
                continue
            value = timeline[name]
            pair = value if isinstance(value, list) else [value, value]
            if len(pair) != 2:
                raise ValueError(f"timeline: {name} must be a number or [lowest, highest]")
            low, high = int(pair[0]), int(pair[1])
            if not 0 <= low <= high <= 1_000_000:
                raise ValueError(f"timeline: {name} must be between 0 and 1000000, lowest first")
            if isinstance(value, list):
                setattr(store, range_name, (low, high))
            else:
                setattr(store, range_name, None)
                setattr(store, name, low)
        if "seed" in timeline:
            store.timeline_rng.seed(int(timeline["seed"]))
        for item in body.get("jobs") or []:
            outcome = str(item["outcome"])
            if outcome not in OUTCOMES:
                raise ValueError(f"jobs: outcome must be one of {', '.join(OUTCOMES)}")
            self.ctx.store.script(outcome, int(item.get("count", 1)))

    async def jobs(self, _request: Request) -> Response:
        """Every job's timeline (epoch seconds) and whether it is done by now."""
        store = self.ctx.store
        now = store.clock()
        return json_response(
            {
                "now": now,
                "jobs": [
                    {
                        "request_id": job.request_id,
                        "endpoint_id": job.endpoint_id,
                        "created_at": job.created_at,
                        "started_at": job.started_at,
                        "finished_at": job.finished_at,
                        "done": job.done(now),
                    }
                    for job in list(store.jobs.values())
                ],
            }
        )

    async def reset(self, _request: Request) -> Response:
        """Forget everything (``Emulator.reset``)."""
        self.reset_all()
        return json_response({"reset": True})


def routes(ctx: Context, reset: Callable[[], None]) -> list[Route]:
    """Admin routes for ``ctx``."""
    return AdminRoutes(ctx, reset).routes()
