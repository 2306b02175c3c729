"""Request history and usage, served from the emulator's own records (fal-protocol.md §9.4, §9.5).

``GET /v1/models/requests/by-endpoint`` lists requests (any valid key);
``DELETE /v1/models/requests/{id}/payloads`` forgets a request's input and output;
``GET /v1/models/usage`` reports billed units and cost (Admin-scope key only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faltui.emulator import billing
from faltui.emulator.common import (
    Context,
    api_key,
    guarded,
    json_response,
    localize,
    platform_error,
    request_origin,
)
from faltui.emulator.platform import decode_cursor, encode_cursor, endpoint_ids
from faltui.emulator.queue import job_output, job_units
from faltui.emulator.state import EmulatedJob, iso

HISTORY_LIMIT = 50
HISTORY_MAX_LIMIT = 100
USAGE_LIMIT = 50
USAGE_MAX_LIMIT = 1000
MAX_ENDPOINT_IDS = 50
HISTORY_STATUSES = ("success", "error", "user_error")
HISTORY_SORTS = ("ended_at", "duration")
#: ``auth_method_structured`` is sent by public client code; its shape is not documented, so
#: it is accepted and answered like ``auth_method`` (a label).
USAGE_EXPANDS = ("time_series", "summary", "auth_method", "auth_method_structured")
TIMEFRAMES = ("minute", "hour", "day", "week", "month")
DAY = 86_400.0


class BadParameter(ValueError):
    """A query parameter the platform API would reject (400 ``validation_error``)."""


def _limit(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"limit must be an integer, got {raw!r}") from None
    if not 1 <= value <= maximum:
        raise BadParameter(f"limit must be between 1 and {maximum}")
    return value


def _offset(request: Request) -> int:
    cursor = request.query_params.get("cursor")
    if not cursor:
        return 0
    try:
        return decode_cursor(cursor)
    except ValueError as exc:
        raise BadParameter(str(exc)) from None


def _listed(request: Request, name: str) -> list[str]:
    """Values of a repeatable, comma-separable query parameter."""
    out: list[str] = []
    for value in request.query_params.getlist(name):
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def parse_when(text: str, name: str, zone: Any = UTC) -> float:
    """Epoch seconds of an ISO-8601 date-time (naive = ``zone``) or a ``YYYY-MM-DD`` date."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"{name} must be an ISO-8601 date-time or YYYY-MM-DD date, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def _window(
    request: Request, now: float, default_span: float, zone: Any = UTC
) -> tuple[float, float]:
    params = request.query_params
    start = now - default_span
    if params.get("start"):
        start = parse_when(params["start"], "start", zone)
    # The default end is "now", inclusive: a request sent this instant is listed.
    end = parse_when(params["end"], "end", zone) if params.get("end") else now + 0.001
    if end < start:
        raise BadParameter("end must not be before start")
    return start, end


@dataclass(frozen=True)
class _Page:
    offset: int
    limit: int

    def slice(self, items: list[Any]) -> tuple[list[Any], str | None]:
        page = items[self.offset : self.offset + self.limit]
        more = self.offset + self.limit < len(items)
        return page, encode_cursor(self.offset + self.limit) if more else None


class HistoryRoutes:
    """Request history, payload deletion and usage handlers bound to one emulator context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        """The history and usage routes."""
        return [
            Route("/v1/models/requests/by-endpoint", self.by_endpoint, methods=["GET"]),
            Route(
                "/v1/models/requests/{request_id}/payloads",
                self.delete_payloads,
                methods=["DELETE"],
            ),
            Route("/v1/models/usage", self.usage, methods=["GET"]),
        ]

    # --- auth ----------------------------------------------------------------------------------

    def _auth(self, request: Request, *, admin: bool = False) -> Response | None:
        key = api_key(request)
        if key is None or key not in self.ctx.keys | self.ctx.locked_keys:
            return platform_error(401, "authorization_error", "Authentication required")
        if key in self.ctx.locked_keys:
            return platform_error(403, "authorization_error", "User is locked")
        if admin and key not in self.ctx.admin_keys:
            return platform_error(
                403, "authorization_error", "Access denied: this endpoint needs an Admin API key"
            )
        return None

    # --- request history -----------------------------------------------------------------------

    async def by_endpoint(self, request: Request) -> Response:
        """``GET /v1/models/requests/by-endpoint``: paged, filtered, newest end time first."""

        async def handle() -> Response:
            denied = self._auth(request)
            if denied is not None:
                return denied
            try:
                query = self._history_query(request)
            except BadParameter as exc:
                return platform_error(400, "validation_error", str(exc))
            jobs = self._history_jobs(query)
            page, cursor = query.page.slice(jobs)
            origin = request_origin(self.ctx, request)
            items = await run_in_threadpool(
                lambda: [self._item(job, query.payloads, origin, query.now) for job in page]
            )
            return json_response({"items": items, "next_cursor": cursor, "has_more": bool(cursor)})

        return await guarded(self.ctx, "requests", handle)

    def _history_query(self, request: Request) -> _HistoryQuery:
        params = request.query_params
        ids = endpoint_ids(request)
        if not ids:
            raise BadParameter("endpoint_id is required")
        if len(ids) > MAX_ENDPOINT_IDS:
            raise BadParameter(f"at most {MAX_ENDPOINT_IDS} endpoint_id values")
        status = (params.get("status") or "").strip()
        if status and status not in HISTORY_STATUSES:
            raise BadParameter(f"status must be one of {', '.join(HISTORY_STATUSES)}")
        sort = (params.get("sort_by") or "ended_at").strip()
        if sort not in HISTORY_SORTS:
            raise BadParameter(f"sort_by must be one of {', '.join(HISTORY_SORTS)}")
        expand = _listed(request, "expand")
        unknown = [e for e in expand if e != "payloads"]
        if unknown:
            raise BadParameter(f"unknown expand value {unknown[0]!r} (allowed: payloads)")
        request_id = (params.get("request_id") or "").strip() or None
        now = self.ctx.store.clock()
        start, end = _window(request, now, (90 if request_id else 1) * DAY)
        page = _Page(_offset(request), _limit(request, HISTORY_LIMIT, HISTORY_MAX_LIMIT))
        return _HistoryQuery(
            set(ids), status or None, sort, "payloads" in expand, request_id, start, end, now, page
        )

    def _history_jobs(self, query: _HistoryQuery) -> list[EmulatedJob]:
        now = query.now
        chosen = []
        for job in list(self.ctx.store.jobs.values()):
            if job.endpoint_id not in query.endpoint_ids:
                continue
            if query.request_id and job.request_id != query.request_id:
                continue
            if not query.start <= job.created_at < query.end:
                continue
            if query.status and _status_class(job, now) != query.status:
                continue
            chosen.append(job)
        if query.sort == "duration":
            chosen.sort(key=lambda j: (j.done(now), _duration(j, now), j.created_at), reverse=True)
        else:
            chosen.sort(
                key=lambda j: (math.inf if not j.done(now) else j.finished_at, j.created_at),
                reverse=True,
            )
        return chosen

    def _item(self, job: EmulatedJob, payloads: bool, origin: str, now: float) -> dict[str, Any]:
        item: dict[str, Any] = {
            "request_id": job.request_id,
            "endpoint_id": job.endpoint_id,
            "sent_at": iso(job.created_at),
        }
        if min(now, job.finished_at) >= job.started_at:
            item["started_at"] = iso(job.started_at)
        done = job.done(now)
        if done:
            item["ended_at"] = iso(job.finished_at)
            item["status_code"] = job.status_code
            item["duration"] = round(job.finished_at - job.created_at, 6)
        if payloads:
            item["json_input"] = job.input if job.payloads_kept else None
            output: Any = None
            if done and job.payloads_kept:
                failure = job.failure()
                output = failure.body if failure else localize(job_output(self.ctx, job), origin)
            item["json_output"] = output
        return item

    async def delete_payloads(self, request: Request) -> Response:
        """``DELETE /v1/models/requests/{request_id}/payloads``: forget input and output."""

        async def handle() -> Response:
            denied = self._auth(request)
            if denied is not None:
                return denied
            request_id = request.path_params["request_id"]
            job = self.ctx.store.jobs.get(request_id)
            if job is None:
                return platform_error(404, "not_found", f"Request {request_id} not found")
            job.payloads_kept = False
            self.ctx.store.changed(job)
            return json_response({"request_id": request_id, "payloads_deleted": True})

        return await guarded(self.ctx, "requests", handle)

    # --- usage ---------------------------------------------------------------------------------

    async def usage(self, request: Request) -> Response:
        """``GET /v1/models/usage``: billed units per endpoint, bucketed and/or summarised."""

        async def handle() -> Response:
            denied = self._auth(request, admin=True)
            if denied is not None:
                return denied
            try:
                query = self._usage_query(request)
            except BadParameter as exc:
                return platform_error(400, "validation_error", str(exc))
            return json_response(await run_in_threadpool(self._usage_body, query))

        return await guarded(self.ctx, "usage", handle)

    def _usage_query(self, request: Request) -> _UsageQuery:
        params = request.query_params
        zone_name = (params.get("timezone") or "UTC").strip()
        try:
            zone: Any = UTC if zone_name.upper() == "UTC" else ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadParameter(f"unknown timezone {zone_name!r}") from None
        ids = endpoint_ids(request)
        if len(ids) > MAX_ENDPOINT_IDS:
            raise BadParameter(f"at most {MAX_ENDPOINT_IDS} endpoint_id values")
        expand = _listed(request, "expand") or ["time_series"]
        unknown = [e for e in expand if e not in USAGE_EXPANDS]
        if unknown:
            allowed = ", ".join(USAGE_EXPANDS)
            raise BadParameter(f"unknown expand value {unknown[0]!r} (allowed: {allowed})")
        if not {"time_series", "summary"} & set(expand):
            raise BadParameter("expand must include time_series or summary")
        bound = (params.get("bound_to_timeframe") or "true").strip().lower()
        if bound not in ("true", "false"):
            raise BadParameter("bound_to_timeframe must be 'true' or 'false'")
        now = self.ctx.store.clock()
        start, end = _window(request, now, DAY, zone)
        timeframe = (params.get("timeframe") or "").strip() or _auto_timeframe(end - start)
        if timeframe not in TIMEFRAMES:
            raise BadParameter(f"timeframe must be one of {', '.join(TIMEFRAMES)}")
        if bound == "true":
            start = _floor(start, timeframe, zone).timestamp()
            floored_end = _floor(end, timeframe, zone)
            if floored_end.timestamp() < end:
                floored_end = _step(floored_end, timeframe)
            end = floored_end.timestamp()
        page = _Page(_offset(request), _limit(request, USAGE_LIMIT, USAGE_MAX_LIMIT))
        return _UsageQuery(set(ids), set(expand), zone, timeframe, start, end, now, page)

    def _usage_body(self, query: _UsageQuery) -> dict[str, Any]:
        with_auth = bool({"auth_method", "auth_method_structured"} & query.expand)
        lines: list[tuple[str, datetime, dict[str, Any]]] = []
        for job in list(self.ctx.store.jobs.values()):
            if query.endpoint_ids and job.endpoint_id not in query.endpoint_ids:
                continue
            if not job.done(query.now) or not query.start <= job.finished_at < query.end:
                continue
            if job.failure() is not None:
                continue  # fal bills successful outputs only
            price = billing.price_for(self.ctx.catalog, job.endpoint_id)
            line = {
                "endpoint_id": job.endpoint_id,
                "unit": price.unit,
                "quantity": job_units(self.ctx, job),
                "unit_price": price.unit_price,
                "currency": price.currency,
            }
            if with_auth:
                line["auth_method"] = job.key_label
            bucket = _floor(job.finished_at, query.timeframe, query.zone)
            lines.append((bucket.isoformat(), bucket, line))
        body: dict[str, Any] = {}
        cursor = None
        if "time_series" in query.expand:
            buckets: dict[str, list[dict[str, Any]]] = {}
            for key, _moment, line in sorted(lines, key=lambda entry: entry[1]):
                buckets.setdefault(key, []).append(line)
            series = [{"bucket": key, "results": _grouped(rows)} for key, rows in buckets.items()]
            page, cursor = query.page.slice(series)
            body["time_series"] = page
        if "summary" in query.expand:
            body["summary"] = _grouped([line for _key, _moment, line in lines])
        body["next_cursor"] = cursor
        body["has_more"] = cursor is not None
        return body


@dataclass(frozen=True)
class _HistoryQuery:
    endpoint_ids: set[str]
    status: str | None
    sort: str
    payloads: bool
    request_id: str | None
    start: float
    end: float
    now: float
    page: _Page


@dataclass(frozen=True)
class _UsageQuery:
    endpoint_ids: set[str]
    expand: set[str]
    zone: Any
    timeframe: str
    start: float
    end: float
    now: float
    page: _Page


def _status_class(job: EmulatedJob, now: float) -> str | None:
    """``success`` / ``user_error`` (4xx) / ``error`` (5xx); ``None`` while unfinished."""
    if not job.done(now):
        return None
    code = job.status_code
    if code < 400:
        return "success"
    return "user_error" if code < 500 else "error"


def _duration(job: EmulatedJob, now: float) -> float:
    return (job.finished_at if job.done(now) else now) - job.created_at


def _grouped(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum quantities per (endpoint, unit, price, auth method); cost = quantity × unit price."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for line in lines:
        key = (line["endpoint_id"], line["unit"], line["unit_price"], line.get("auth_method"))
        group = groups.get(key)
        if group is None:
            groups[key] = dict(line)
        else:
            group["quantity"] = round(group["quantity"] + line["quantity"], 6)
    out = []
    for group in groups.values():
        group["cost"] = round(group["quantity"] * group["unit_price"], 6)
        out.append(group)
    return sorted(out, key=lambda g: (g["endpoint_id"], g.get("auth_method") or ""))


def _auto_timeframe(span: float) -> str:
    if span < 2 * 3600:
        return "minute"
    if span < 2 * DAY:
        return "hour"
    if span < 64 * DAY:
        return "day"
    if span < 183 * DAY:
        return "week"
    return "month"


_FLOORS: dict[str, Callable[[datetime], datetime]] = {
    "minute": lambda d: d.replace(second=0, microsecond=0),
    "hour": lambda d: d.replace(minute=0, second=0, microsecond=0),
    "day": lambda d: d.replace(hour=0, minute=0, second=0, microsecond=0),
    "week": lambda d: (d - timedelta(days=d.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    ),
    "month": lambda d: d.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
}


def _floor(ts: float, timeframe: str, zone: Any) -> datetime:
    """Start of the ``timeframe`` period holding ``ts``, in ``zone``."""
    return _FLOORS[timeframe](datetime.fromtimestamp(ts, zone))


def _step(moment: datetime, timeframe: str) -> datetime:
    """Start of the next period."""
    if timeframe == "month":
        if moment.month == 12:
            return moment.replace(year=moment.year + 1, month=1)
        return moment.replace(month=moment.month + 1)
    size = {"minute": 60, "hour": 3600, "day": 86_400, "week": 7 * 86_400}[timeframe]
    return moment + timedelta(seconds=size)


def routes(ctx: Context) -> list[Route]:
    """History and usage routes for ``ctx``."""
    return HistoryRoutes(ctx).routes()
