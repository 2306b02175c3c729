"""Push-based status streams: a job's change wakes the streams watching it.

A job's timeline is fixed at submit (``state.py``), so the instant of its next visible change
(queue position, state, log line) is known in advance. ``ChangeFeed`` keeps those instants in
one heap behind one event-loop timer and resolves the waiting streams' futures when the time
comes; a cancel or a payload deletion wakes them at once (``notify``). An idle stream therefore
costs nothing but its keep-alive timer.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable

from faltui.emulator.state import EmulatedJob

#: With an injected (non-wall) clock the feed cannot know when "later" comes: it re-checks
#: this often (seconds).
FOREIGN_CLOCK_POLL = 0.02


class ChangeFeed:
    """Futures of waiting streams per request id, woken by one timer on the event loop."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._wall_clock = clock is time.time
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    @property
    def watched(self) -> int:
        """Streams waiting right now."""
        return sum(len(futures) for futures in self._waiters.values())

    async def wait(self, job: EmulatedJob, timeout: float) -> None:
        """Return at ``job``'s next change, on ``notify``, or after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.setdefault(job.request_id, set()).add(future)
        upcoming = job.next_change(self._clock())
        if upcoming is not None:
            self._schedule(job.request_id, upcoming)
        keepalive = loop.call_later(max(timeout, 0.0), _resolve, future)
        try:
            await future
        finally:
            keepalive.cancel()
            futures = self._waiters.get(job.request_id)
            if futures is not None:
                futures.discard(future)
                if not futures:
                    del self._waiters[job.request_id]

    def notify(self, request_id: str) -> None:
        """Wake the streams of ``request_id`` now (thread-safe)."""
        self._call(lambda: self._wake(request_id))

    def wake_all(self) -> None:
        """Wake every waiting stream (thread-safe), e.g. when the emulator stops."""
        self._call(self._wake_all)

    # --- internals (event-loop thread) ---------------------------------------------------------

    def _wake_all(self) -> None:
        for request_id in list(self._waiters):
            self._wake(request_id)

    def _call(self, action: Callable[[], object]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            action()
        else:
            loop.call_soon_threadsafe(action)

    def _wake(self, request_id: str) -> None:
        for future in list(self._waiters.get(request_id, ())):
            _resolve(future)

    def _schedule(self, request_id: str, at: float) -> None:
        current = self._due.get(request_id)
        if current is not None and current <= at:
            return
        self._due[request_id] = at
        heapq.heappush(self._heap, (at, request_id))
        if self._timer_at is None or at < self._timer_at:
            self._arm(at)

    def _arm(self, at: float) -> None:
        loop = self._loop
        assert loop is not None
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, at - self._clock())
        if not self._wall_clock:
            delay = min(delay, FOREIGN_CLOCK_POLL)
        self._timer_at = at
        self._timer = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = self._timer_at = None
        now = self._clock()
        while self._heap and self._heap[0][0] <= now:
            at, request_id = heapq.heappop(self._heap)
            if self._due.get(request_id) != at:
                continue  # superseded by an earlier wake-up
            del self._due[request_id]
            self._wake(request_id)
        # Drop entries nobody waits for any more, then re-arm for the earliest left.
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        if self._heap:
            self._arm(self._heap[0][0])


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
