"""Emulated queue requests and their timelines.

A job's whole life is fixed at submit time: ``queue_ticks`` ticks ``IN_QUEUE`` (the position
counts down to 0), then ``progress_ticks`` ticks ``IN_PROGRESS`` (one log line per tick), then
``COMPLETED``. Every read computes the state from the clock, so thousands of concurrent jobs cost
nothing between requests (no task or timer per job). A tick lasts ``TICK_SECONDS * time_scale``.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TICK_SECONDS = 1.0
QUEUE_TICKS = 3
PROGRESS_TICKS = 5
#: Outcomes accepted by ``Emulator.script_next_jobs``.
OUTCOMES = ("ok", "app_error", "validation", "timeout", "slow", "fast")

IN_QUEUE = "IN_QUEUE"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


def iso(ts: float) -> str:
    """ISO-8601 UTC timestamp with microseconds and offset."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


@dataclass
class Failure:
    """How a failed job ends: the status ``error``/``error_type`` and the replayed result."""

    error: str
    error_type: str
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    """A job's status at one instant."""

    state: str
    queue_position: int | None
    logs: list[dict[str, Any]]
    failure: Failure | None
    metrics: dict[str, Any]


@dataclass
class EmulatedJob:
    """One queue request: what was sent and the timeline it follows."""

    request_id: str
    endpoint_id: str
    app: str
    input: Any
    #: Request headers (case-insensitive mapping, without Authorization).
    headers: Mapping[str, str]
    created_at: float
    tick: float
    queue_ticks: int
    progress_ticks: int
    outcome: str = "ok"
    validation_errors: list[dict[str, Any]] = field(default_factory=list)
    webhook: str | None = None
    cancelled_at: float | None = None
    clock: Callable[[], float] = field(default=time.time, repr=False)
    result: dict[str, Any] | None = field(default=None, repr=False)
    webhook_sent: bool = False
    sync: bool = False
    #: ``startup_timeout`` when the caller's start timeout expired in the queue.
    timeout_kind: str = "request_timeout"
    #: How usage names the key that sent the request (``auth_method``), never the key.
    key_label: str = "API key"
    #: Origin (``scheme://host:port``) the request was submitted to (webhook payload URLs).
    origin: str = ""
    #: False when sent with ``X-Fal-Store-IO: 0`` or after the payloads were deleted.
    payloads_kept: bool = True
    _entries: list[tuple[float, dict[str, Any]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def started_at(self) -> float:
        """When the job leaves the queue."""
        return self.created_at + self.queue_ticks * self.tick

    @property
    def natural_end(self) -> float:
        """When the job would complete if nobody cancelled it."""
        if self.outcome == "timeout":
            return self.started_at
        return self.started_at + self.progress_ticks * self.tick

    @property
    def finished_at(self) -> float:
        """When the job reaches ``COMPLETED`` (earlier when cancelled)."""
        end = self.natural_end
        cancel = self.cancelled_at
        if cancel is None or cancel >= end:
            return end
        if cancel < self.started_at or self.tick <= 0:
            return cancel
        ticks_done = math.floor((cancel - self.started_at) / self.tick) + 1
        return min(end, self.started_at + ticks_done * self.tick)

    @property
    def cancelled(self) -> bool:
        """True when a cancel arrived before the natural end."""
        return self.cancelled_at is not None and self.cancelled_at < self.natural_end

    @property
    def state(self) -> str:
        """Current state by the job's clock."""
        return self.snapshot(self.clock(), logs=False).state

    def done(self, now: float) -> bool:
        """True once COMPLETED."""
        return now >= self.finished_at

    def next_change(self, now: float) -> float | None:
        """The next instant after ``now`` at which the status (position, state, logs) changes."""
        end = self.finished_at
        if now >= end:
            return None
        start = self.started_at
        if self.tick <= 0:
            return end
        if now < start:
            ticks = math.floor((now - self.created_at) / self.tick) + 1
            return min(start, self.created_at + ticks * self.tick, end)
        ticks = math.floor((now - start) / self.tick) + 1
        return min(end, start + ticks * self.tick)

    @property
    def status_code(self) -> int:
        """HTTP status of the finished request's result (200, or the failure's)."""
        failure = self.failure()
        return 200 if failure is None else failure.status_code

    def failure(self) -> Failure | None:
        """The failure this job ends with, or ``None`` for success."""
        if self.cancelled:
            return Failure(
                "Request was cancelled",
                "client_cancelled",
                499,
                {"detail": "Request was cancelled", "error_type": "client_cancelled"},
                {"X-Fal-Error-Type": "client_cancelled"},
            )
        if self.validation_errors or self.outcome == "validation":
            detail = self.validation_errors or [
                {
                    "loc": ["body", "prompt"],
                    "msg": "Emulated validation failure",
                    "type": "value_error",
                }
            ]
            return Failure("Invalid status code: 422", "validation_error", 422, {"detail": detail})
        if self.outcome == "app_error":
            return Failure(
                "Invalid status code: 500",
                "runner_server_error",
                500,
                {"detail": "Emulated model crash", "error_type": "runner_server_error"},
                {"X-Fal-Error-Type": "runner_server_error", "X-Fal-Retryable": "false"},
            )
        if self.outcome == "timeout":
            kind = self.timeout_kind
            headers = {"X-Fal-Error-Type": kind}
            if start_timeout(self.headers) is not None:
                headers["X-Fal-Request-Timeout-Type"] = "user"
            return Failure(
                "Request timed out",
                kind,
                504,
                {"detail": "Request timed out", "error_type": kind},
                headers,
            )
        return None

    def log_lines(self) -> list[tuple[float, str, str]]:
        """(time, level, message) of every log line the job will ever print."""
        start, tick = self.started_at, self.tick
        lines: list[tuple[float, str, str]] = []
        for index in range(self.progress_ticks if self.outcome != "timeout" else 0):
            at = start + index * tick
            if index == 0:
                message = f"Loading model {self.endpoint_id}"
            elif index == self.progress_ticks - 1 and self.outcome == "app_error":
                trace = "Traceback (most recent call last):\nRuntimeError: Emulated model crash"
                lines.append((at, "ERROR", json.dumps({"traceback": trace})))
                continue
            else:
                message = f"Step {index}/{self.progress_ticks - 1}: denoising"
            lines.append((at, "INFO", message))
        return lines

    def _log_entries(self) -> list[tuple[float, dict[str, Any]]]:
        """(time, §4.7 log entry) of every line, built once (shared: do not mutate)."""
        if self._entries is None:
            self._entries = [
                (at, {"message": msg, "level": level, "source": "USER", "timestamp": iso(at)})
                for at, level, msg in self.log_lines()
            ]
        return self._entries

    def snapshot(self, now: float, *, logs: bool = True, window: int | None = None) -> Snapshot:
        """The status at ``now``; ``window`` keeps only the last N visible log lines."""
        visible_until = min(now, self.finished_at)
        entries: list[dict[str, Any]] = []
        if logs:
            entries = [entry for at, entry in self._log_entries() if at <= visible_until]
            if window is not None and window > 0:
                entries = entries[-window:]
        if now >= self.finished_at:
            failure = self.failure()
            metrics: dict[str, Any] = {}
            if failure is None:
                metrics = {"inference_time": round(self.finished_at - self.started_at, 6)}
            return Snapshot(COMPLETED, None, entries, failure, metrics)
        if now >= self.started_at:
            return Snapshot(IN_PROGRESS, None, entries, None, {})
        elapsed = math.floor((now - self.created_at) / self.tick) if self.tick > 0 else 0
        position = max(0, self.queue_ticks - 1 - elapsed)
        return Snapshot(IN_QUEUE, position, entries, None, {})


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return None


def start_timeout(headers: Any) -> float | None:
    """The caller's start timeout in seconds (``X-Fal-Request(-Start)-Timeout``), if any."""
    for name in ("x-fal-request-start-timeout", "x-fal-request-timeout"):
        value = _header(headers, name)
        if value is not None:
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


class JobStore:
    """All requests the emulator has seen, plus the outcomes scripted for the next ones."""

    def __init__(self, clock: Callable[[], float], time_scale: float) -> None:
        self.clock = clock
        self.time_scale = time_scale
        self.jobs: dict[str, EmulatedJob] = {}
        self._webhook_jobs: list[EmulatedJob] = []
        #: Ticks new jobs spend queued / in progress (tests may change them).
        self.queue_ticks = QUEUE_TICKS
        self.progress_ticks = PROGRESS_TICKS
        #: When set, (lowest, highest): each new job draws its ticks from ``timeline_rng``
        #: instead (a spread of durations, the same sequence for the same seed).
        self.queue_range: tuple[int, int] | None = None
        self.progress_range: tuple[int, int] | None = None
        self.timeline_rng = random.Random(0)
        self._script: list[str] = []
        #: Called with a job after it was created or changed (cancel, payloads deleted, ...).
        self.listeners: list[Callable[[EmulatedJob], None]] = []
        #: Draws a random outcome for a job nobody scripted (chaos ``slow``/``error``).
        self.random_outcome: Callable[[], str | None] = lambda: None
        self._lock = threading.Lock()

    @property
    def tick(self) -> float:
        """Length of one timeline tick in clock seconds."""
        return TICK_SECONDS * self.time_scale

    def script(self, outcome: str, count: int = 1) -> None:
        """Make the next ``count`` jobs end with ``outcome``."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        with self._lock:
            self._script.extend([outcome] * count)

    def _next_outcome(self) -> str:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return self.random_outcome() or "ok"

    def restore(self, jobs: list[EmulatedJob]) -> None:
        """Take back jobs of an earlier run (their webhooks still due are delivered)."""
        with self._lock:
            for job in jobs:
                self.jobs[job.request_id] = job
                if job.webhook and not job.webhook_sent:
                    self._webhook_jobs.append(job)

    def changed(self, job: EmulatedJob) -> None:
        """Tell the listeners that ``job`` was created or changed outside its timeline."""
        for listener in list(self.listeners):
            listener(job)

    def reset(self) -> None:
        """Forget every request and every scripted outcome; timelines back to defaults."""
        with self._lock:
            self.jobs.clear()
            self._webhook_jobs.clear()
            self._script.clear()
            self.queue_ticks = QUEUE_TICKS
            self.progress_ticks = PROGRESS_TICKS
            self.queue_range = self.progress_range = None
            self.timeline_rng.seed(0)

    def _ticks(self) -> tuple[int, int]:
        """(queue ticks, progress ticks) of the next job."""
        with self._lock:
            queue = self.queue_ticks
            if self.queue_range is not None:
                queue = self.timeline_rng.randint(*self.queue_range)
            progress = self.progress_ticks
            if self.progress_range is not None:
                progress = self.timeline_rng.randint(*self.progress_range)
        return queue, progress

    def create(
        self,
        endpoint_id: str,
        app: str,
        payload: Any,
        headers: Mapping[str, str],
        *,
        validation_errors: list[dict[str, Any]],
        webhook: str | None = None,
        sync: bool = False,
        key_label: str = "API key",
        origin: str = "",
    ) -> EmulatedJob:
        """Register a new request with its timeline starting now."""
        outcome = self._next_outcome()
        queue_ticks, progress_ticks = self._ticks()
        if outcome == "slow":
            progress_ticks *= 10
        elif outcome == "fast":
            queue_ticks = 0
        if validation_errors or outcome == "validation":
            progress_ticks = 1
        timeout_kind = "request_timeout"
        limit = start_timeout(headers)
        if not sync and limit is not None and limit * self.time_scale < queue_ticks * self.tick:
            # The start timeout expires while queued: fal answers 504 startup_timeout.
            outcome, timeout_kind = "timeout", "startup_timeout"
            queue_ticks = max(1, math.ceil(limit * self.time_scale / self.tick))
        job = EmulatedJob(
            request_id=str(uuid.uuid4()),
            endpoint_id=endpoint_id,
            app=app,
            input=payload,
            headers=headers,
            created_at=self.clock(),
            tick=self.tick,
            queue_ticks=0 if sync else queue_ticks,
            progress_ticks=0 if sync else progress_ticks,
            outcome=outcome,
            validation_errors=validation_errors,
            webhook=webhook,
            clock=self.clock,
            sync=sync,
            timeout_kind=timeout_kind,
            key_label=key_label,
            origin=origin,
            payloads_kept=str(_header(headers, "x-fal-store-io") or "1").strip() != "0",
        )
        self.jobs[job.request_id] = job
        if webhook:
            with self._lock:
                self._webhook_jobs.append(job)
        self.changed(job)
        return job

    def pending_webhooks(self, now: float) -> list[EmulatedJob]:
        """Completed jobs whose webhook has not been delivered yet."""
        with self._lock:
            due = [j for j in self._webhook_jobs if j.done(now)]
            self._webhook_jobs = [j for j in self._webhook_jobs if not j.done(now)]
        return [j for j in due if not j.webhook_sent]
