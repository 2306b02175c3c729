"""One scheduler for every live job: a status stream each while the server carries them,
adaptive polling for the rest.

A thousand jobs must not mean a thousand tight loops. The scheduler keeps

* one status stream per live job (server-sent events: one request per job, every change
  pushed by fal, so a job costs submit + stream + result), opened the moment it is tracked,
  up to ``stream_capacity``: ``max_streams``, lowered to what this process can hold (open
  files) and to what the server takes (a stream refused with 429/503 or a connection that
  cannot be had sets the capacity to the streams open right then). Jobs over the capacity are
  polled and wait for a slot; slots go to the oldest waiting jobs as others finish;
* one polling loop for every other job: a heap of due times, at most ``poll_concurrency``
  status requests in flight, and a per-job interval that starts at ``poll_interval``, grows by
  ``backoff`` while nothing changes (up to ``max_poll_interval``) and snaps back on any change.
  Once jobs of an endpoint have finished, their typical duration is the prior: a job polled
  before it is expected to end is checked at most every ``max_poll_interval`` and at its
  expected end, then by the interval above.

A job whose stream breaks falls back to polling for good. Status errors never fail a job (a
failed poll does not mean a failed request): the job is polled again later, with back-off.
What a status means for a job is the ``StatusHandler``'s business (the ``JobManager``).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import random
import statistics
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from faltui.core.client import LogDeduper, QueueHandle, Status
from faltui.core.errors import ApiError, NotFoundError, TransportError

if TYPE_CHECKING:
    from faltui.core.job import Job

Sleep = Callable[[float], Awaitable[Any]]

#: Consecutive 404s on status before a request counts as gone (fal may lag just after submit).
NOT_FOUND_LIMIT = 3
#: Open files kept for everything but status streams (submits, results, journal, the UI).
RESERVED_FILES = 256
#: Finished jobs per endpoint whose durations make the prior (their median).
DURATION_SAMPLES = 16
#: Answers by which a server says it takes no more streams now.
_REFUSED_STATUSES = frozenset({429, 503})


def open_file_budget(wanted: int) -> int | None:
    """How many more files this process may open for streams: the soft ``RLIMIT_NOFILE``,
    raised towards the hard limit when ``wanted`` streams need it, less ``RESERVED_FILES``.
    None where there is no such limit (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, soft - RESERVED_FILES)


def _refused(exc: BaseException) -> bool:
    """True when a stream failed to open because the server or this process is full (429,
    503, no connection to be had), not because of the job."""
    if isinstance(exc, ApiError) and exc.status in _REFUSED_STATUSES:
        return True
    if isinstance(exc, TransportError):
        import httpx

        cause = exc.__cause__
        return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return False


class StatusClient(Protocol):
    """The part of ``FalClient`` the scheduler uses."""

    async def status(self, handle: QueueHandle, *, logs: bool = True) -> Status: ...

    def stream_status(self, handle: QueueHandle, *, logs: bool = True) -> Any: ...


class StatusHandler(Protocol):
    """What the scheduler reports to (the ``JobManager``)."""

    def on_status(self, job: Job, status: Status, deduper: LogDeduper) -> bool:
        """Apply a non-final status; True if anything visible changed."""
        ...

    async def on_done(self, job: Job, status: Status) -> bool:
        """Finish a ``COMPLETED`` job (fetch its result); False to be called again later."""
        ...

    def on_gone(self, job: Job, error: NotFoundError) -> None:
        """fal no longer knows the request."""
        ...


@dataclass(eq=False)
class Tracker:
    """Scheduling state of one tracked job."""

    job: Job
    interval: float
    deduper: LogDeduper = field(default_factory=LogDeduper)
    mode: str = "poll"  # poll | stream
    generation: int = 0
    stream_ok: bool = True
    polling: bool = False
    pending_done: Status | None = None  # COMPLETED seen; the result still has to be fetched
    not_found: int = 0
    errors: int = 0


@dataclass
class SchedulerStats:
    """Counters for tests and benchmarks."""

    polls: int = 0
    streams_opened: int = 0
    stream_fallbacks: int = 0
    streams_refused: int = 0
    poll_errors: int = 0
    peak_streams: int = 0
    peak_polling: int = 0


class Scheduler:
    """Tracks jobs until they are final; see the module docstring."""

    def __init__(
        self,
        client: StatusClient,
        handler: StatusHandler,
        *,
        poll_interval: float = 1.0,
        max_poll_interval: float | None = None,
        backoff: float = 1.5,
        max_streams: int = 1024,
        poll_concurrency: int = 16,
        stream: bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.handler = handler
        self.poll_interval = max(poll_interval, 0.001)
        self.max_poll_interval = max(
            max_poll_interval if max_poll_interval is not None else self.poll_interval * 10,
            self.poll_interval,
        )
        self.backoff = backoff
        self.max_streams = max(0, max_streams if stream else 0)
        budget = open_file_budget(self.max_streams) if self.max_streams else None
        self._stream_ceiling = (
            self.max_streams if budget is None else min(self.max_streams, max(1, budget))
        )
        #: Streams open at once: at most ``max_streams`` and what this process can hold; lowered
        #: when the server refuses one, raised again by one for each stream that completes.
        self.stream_capacity = self._stream_ceiling
        self.poll_concurrency = max(1, poll_concurrency)
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.stats = SchedulerStats()
        self._trackers: dict[str, Tracker] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = itertools.count()
        self._stream_queue: OrderedDict[str, None] = OrderedDict()
        self._streams: dict[str, asyncio.Task[None]] = {}
        self._polls: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop_task: asyncio.Task[None] | None = None
        self._closed = False
        self._durations: dict[str, deque[float]] = {}

    # -- public ----------------------------------------------------------------------------

    def track(self, job: Job, *, delay: float | None = None) -> None:
        """Follow ``job`` (it must have a handle) until it is final.

        It gets a status stream at once when a slot is free. Otherwise it is polled, the first
        time after ``delay`` (default: one poll interval, or its expected duration once jobs
        of its endpoint have finished; 0 for jobs re-attached after a restart), and waits for
        a slot.
        """
        if self._closed or job.handle is None or job.id in self._trackers:
            return
        tracker = Tracker(job, self.poll_interval)
        self._trackers[job.id] = tracker
        self._idle.clear()
        self._ensure_loop()
        if self.max_streams and len(self._streams) < self.stream_capacity:
            self._start_stream(tracker)
            return
        if self.max_streams:
            self._stream_queue[job.id] = None
        if delay is None:
            delay = self._prior_delay(job, self.poll_interval)
        self._schedule(tracker, delay)

    def poke(self, job_id: str) -> None:
        """Check ``job_id`` soon (e.g. right after a cancel)."""
        tracker = self._trackers.get(job_id)
        if tracker is not None and tracker.mode == "poll" and not tracker.polling:
            self._schedule(tracker, 0.0)

    def is_tracking(self, job_id: str) -> bool:
        """True while ``job_id`` is followed."""
        return job_id in self._trackers

    @property
    def tracked(self) -> int:
        """How many jobs are followed."""
        return len(self._trackers)

    @property
    def active_streams(self) -> int:
        """How many status streams are open."""
        return len(self._streams)

    async def wait_idle(self) -> None:
        """Return once no job is tracked."""
        await self._idle.wait()

    async def aclose(self) -> None:
        """Stop every stream, poll and the loop; tracked jobs stay as they are."""
        self._closed = True
        tasks = [*self._streams.values(), *self._polls]
        if self._loop_task is not None:
            tasks.append(self._loop_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._streams.clear()
        self._polls.clear()
        self._trackers.clear()
        self._heap.clear()
        self._idle.set()

    # -- bookkeeping -------------------------------------------------------------------------

    def _schedule(self, tracker: Tracker, delay: float) -> None:
        tracker.mode = "poll"
        tracker.generation += 1
        if delay > 0:
            delay *= 0.9 + 0.2 * self.rng()  # spread jobs submitted together
        due = self.clock() + delay
        heapq.heappush(self._heap, (due, next(self._seq), tracker.job.id, tracker.generation))
        self._wake.set()

    def _untrack(self, tracker: Tracker) -> None:
        if self._trackers.get(tracker.job.id) is tracker:
            del self._trackers[tracker.job.id]
            tracker.generation += 1
            self._stream_queue.pop(tracker.job.id, None)
            self._learn_duration(tracker.job)
        if not self._trackers:
            self._idle.set()

    def _reschedule(self, tracker: Tracker, changed: bool) -> None:
        if changed:
            tracker.interval = self.poll_interval
        else:
            tracker.interval = min(tracker.interval * self.backoff, self.max_poll_interval)
        self._schedule(tracker, self._prior_delay(tracker.job, tracker.interval))

    # -- the duration prior ------------------------------------------------------------------

    def _learn_duration(self, job: Job) -> None:
        """Remember how long a job that finished well took (submit to completion)."""
        submitted, finished = job.submitted_at, job.finished_at
        if submitted is None or finished is None or job.state.value != "done":
            return
        samples = self._durations.setdefault(job.endpoint_id, deque(maxlen=DURATION_SAMPLES))
        samples.append(max(0.0, finished - submitted))

    def expected_duration(self, endpoint_id: str) -> float | None:
        """The typical submit-to-completion time of ``endpoint_id`` here, once known."""
        samples = self._durations.get(endpoint_id)
        return statistics.median(samples) if samples else None

    def _prior_delay(self, job: Job, interval: float) -> float:
        """``interval``, or longer while the job is not expected to have ended: then up to
        ``max_poll_interval`` and never past its expected end."""
        expected = self.expected_duration(job.endpoint_id)
        if expected is None or job.submitted_at is None:
            return interval
        until_end = job.submitted_at + expected - self.clock()
        if until_end <= interval:
            return interval
        return min(until_end, max(interval, self.max_poll_interval))

    def _ensure_loop(self) -> None:
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(
                self._poll_loop(), name="faltui-job-scheduler"
            )

    # -- streams -----------------------------------------------------------------------------

    def _fill_streams(self) -> None:
        """Hand free stream slots to the jobs waiting longest for one."""
        if self._closed:
            return
        busy: list[str] = []
        while len(self._streams) < self.stream_capacity and self._stream_queue:
            job_id = next(iter(self._stream_queue))
            tracker = self._trackers.get(job_id)
            if tracker is None or not tracker.stream_ok or tracker.pending_done is not None:
                del self._stream_queue[job_id]
                continue
            del self._stream_queue[job_id]
            if tracker.polling:  # a poll is in flight: hand it a stream once it is back
                busy.append(job_id)
                continue
            self._start_stream(tracker)
        for job_id in reversed(busy):
            self._stream_queue[job_id] = None
            self._stream_queue.move_to_end(job_id, last=False)

    def _start_stream(self, tracker: Tracker) -> None:
        job_id = tracker.job.id
        self._stream_queue.pop(job_id, None)
        tracker.mode = "stream"
        tracker.generation += 1  # its heap entry is now stale
        self._streams[job_id] = asyncio.get_running_loop().create_task(
            self._run_stream(tracker), name=f"faltui-stream-{job_id[:8]}"
        )
        self.stats.streams_opened += 1
        self.stats.peak_streams = max(self.stats.peak_streams, len(self._streams))

    async def _run_stream(self, tracker: Tracker) -> None:
        job = tracker.job
        assert job.handle is not None
        finished = False
        refused = False
        got_event = False
        try:
            # aclosing: leaving the loop early must close the stream (and its connection) now.
            async with contextlib.aclosing(
                self.client.stream_status(job.handle, logs=True)
            ) as events:
                async for status in events:
                    got_event = True
                    if self._trackers.get(job.id) is not tracker:
                        return
                    self.handler.on_status(job, status, tracker.deduper)
                    if status.done:
                        finished = await self.handler.on_done(job, status)
                        if not finished:
                            tracker.pending_done = status
                        break
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            refused = not got_event and _refused(exc)
            if refused:  # the server (or this process) is full: fewer streams from now on
                self.stream_capacity = max(1, len(self._streams) - 1)
                self.stats.streams_refused += 1
            else:
                tracker.stream_ok = False
                self.stats.stream_fallbacks += 1
        finally:
            self._streams.pop(job.id, None)
        if finished:
            self.stream_capacity = min(self._stream_ceiling, self.stream_capacity + 1)
            self._untrack(tracker)
        elif self._trackers.get(job.id) is tracker:
            delay = self.poll_interval if tracker.pending_done is not None else 0.0
            if refused:
                self._stream_queue[job.id] = None  # polled meanwhile, streamed when it can be
                self._stream_queue.move_to_end(job.id, last=False)
                delay = self.poll_interval
            else:
                tracker.stream_ok = False
            self._schedule(tracker, delay)
        if not refused:
            self._fill_streams()

    # -- polling -----------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while not self._closed:
            now = self.clock()
            while self._heap and len(self._polls) < self.poll_concurrency:
                due, _, job_id, generation = self._heap[0]
                tracker = self._trackers.get(job_id)
                if tracker is None or tracker.generation != generation or tracker.mode != "poll":
                    heapq.heappop(self._heap)  # stale entry
                    continue
                if due > now:
                    break
                heapq.heappop(self._heap)
                if (
                    tracker.stream_ok
                    and tracker.pending_done is None
                    and self.max_streams
                    and len(self._streams) < self.stream_capacity
                ):
                    self._start_stream(tracker)  # a slot is free: a stream, not a poll
                    continue
                tracker.polling = True
                task = asyncio.get_running_loop().create_task(self._poll_one(tracker))
                self._polls.add(task)
                task.add_done_callback(self._poll_finished)
            self.stats.peak_polling = max(self.stats.peak_polling, len(self._polls))
            if len(self._polls) >= self.poll_concurrency or not self._heap:
                delay = None
            else:
                delay = max(0.0, self._heap[0][0] - now)
            await self._nap(delay)

    def _poll_finished(self, task: asyncio.Task[None]) -> None:
        self._polls.discard(task)
        self._wake.set()

    async def _nap(self, delay: float | None) -> None:
        """Sleep ``delay`` seconds (until woken if None); return early when woken."""
        if self._wake.is_set() or (delay is not None and delay <= 0):
            self._wake.clear()
            await asyncio.sleep(0)
            return
        waker = asyncio.ensure_future(self._wake.wait())
        waiters: set[asyncio.Future[Any]] = {waker}
        if delay is not None:
            waiters.add(asyncio.ensure_future(self.sleep(delay)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in waiters:
                fut.cancel()
        self._wake.clear()

    async def _poll_one(self, tracker: Tracker) -> None:
        job = tracker.job
        assert job.handle is not None
        changed = False
        finished = False
        try:
            if tracker.pending_done is not None:
                finished = await self.handler.on_done(job, tracker.pending_done)
            else:
                self.stats.polls += 1
                status = await self.client.status(job.handle, logs=True)
                tracker.not_found = 0
                tracker.errors = 0
                changed = self.handler.on_status(job, status, tracker.deduper)
                if status.done:
                    finished = await self.handler.on_done(job, status)
                    if not finished:
                        tracker.pending_done = status
        except asyncio.CancelledError:
            raise
        except NotFoundError as exc:
            tracker.not_found += 1
            if tracker.not_found >= NOT_FOUND_LIMIT:
                self.handler.on_gone(job, exc)
                finished = True
        except Exception:
            tracker.errors += 1
            self.stats.poll_errors += 1
        finally:
            tracker.polling = False
        if finished or job.final:
            self._untrack(tracker)
        elif self._trackers.get(job.id) is tracker and tracker.mode == "poll":
            self._reschedule(tracker, changed)
            if tracker.stream_ok and job.id in self._stream_queue:
                self._fill_streams()
