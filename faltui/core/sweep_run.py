"""Sending a planned sweep as one batch: queue priority ``low``, an optional cap on jobs in flight.

Every job goes through ``JobManager.submit`` (journaled before it is sent, never sent twice)
with its ``SweepTag``: the sweep's id and the job's values, so the grid can be rebuilt from the
journal after a restart.
With ``max_in_flight`` at most that many of the sweep's jobs are unfinished at once: the next
one is sent when one finishes. Jobs not sent yet are ``None`` in ``SweepRun.jobs``; ``stop``
sends no more of them (the ones already sent go on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from faltui.core.job import Job, JobEvent
from faltui.core.sweep import SweepCell, SweepPlan
from faltui.core.sweep_tag import SweepTag, new_sweep_id

if TYPE_CHECKING:
    from faltui.core.jobs import JobManager

#: The queue priority of sweep jobs (fal-protocol §4.1): batch work yields to interactive work.
SWEEP_PRIORITY = "low"


class SweepRun:
    """One sweep being sent; ``jobs[i]`` is the job of ``plan.cells[i]`` once it was sent."""

    def __init__(
        self,
        manager: JobManager,
        plan: SweepPlan,
        *,
        max_in_flight: int | None = None,
        priority: str | None = SWEEP_PRIORITY,
        on_job: Callable[[int, Job], Any] | None = None,
        **submit_options: Any,
    ) -> None:
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("the cap on jobs in flight must be at least 1")
        self.manager = manager
        self.plan = plan
        self.max_in_flight = max_in_flight
        self.priority = priority
        self.on_job = on_job
        self.id = new_sweep_id()
        self.submit_options = submit_options
        self.jobs: list[Job | None] = [None] * plan.count
        self.stopped = False
        self._holding: set[str] = set()
        self._slots: asyncio.Semaphore | None = None
        self.done = asyncio.Event()

    @property
    def sent(self) -> int:
        """How many jobs were handed to the job manager so far."""
        return sum(1 for job in self.jobs if job is not None)

    @property
    def waiting(self) -> int:
        """How many jobs are not sent yet (held back by the cap, or stopped)."""
        return self.plan.count - self.sent

    def stop(self) -> None:
        """Send no more jobs (those sent go on)."""
        self.stopped = True
        if self._slots is not None:  # wake the jobs waiting for a slot: they give up
            for _ in range(self.plan.count):
                self._slots.release()

    async def run(self) -> list[Job | None]:
        """Send every job (honouring the cap); returns ``jobs`` once all were sent or stopped.

        Raises what ``JobManager.submit`` raises for the first job that could not be journaled
        (``JournalUnavailable``): no job is sent unrecorded, and none after it.
        """
        self._slots = asyncio.Semaphore(self.max_in_flight) if self.max_in_flight else None
        sending = asyncio.Semaphore(self.manager.submit_concurrency)
        self.manager.listeners.append(self._observe)
        try:
            tasks = [
                asyncio.ensure_future(self._send(index, cell, sending))
                for index, cell in enumerate(self.plan.cells)
            ]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                self.stopped = True
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        finally:
            self.manager.listeners.remove(self._observe)
            self.done.set()
        return self.jobs

    def tag(self, index: int) -> SweepTag:
        """What the job of ``plan.cells[index]`` remembers of this sweep."""
        return SweepTag(
            self.id,
            index,
            self.plan.count,
            tuple(axis.name for axis in self.plan.axes),
            self.plan.cells[index].key,
        )

    def expected(self) -> list[tuple[str, SweepTag]]:
        """``(model, tag)`` of every job of the sweep, sent or not (for the grid's layout)."""
        return [(cell.endpoint_id, self.tag(i)) for i, cell in enumerate(self.plan.cells)]

    async def _send(self, index: int, cell: SweepCell, sending: asyncio.Semaphore) -> None:
        if self._slots is not None:
            await self._slots.acquire()
        if self.stopped:
            return
        options = dict(self.submit_options)
        if self.priority:
            options["priority"] = self.priority
        async with sending:
            if self.stopped:
                self._free(None)
                return
            job = await self.manager.submit(
                cell.endpoint_id,
                cell.prepared,
                label=cell.label(self.plan.axes),
                sweep=self.tag(index),
                **options,
            )
        self.jobs[index] = job
        if job.final:
            self._free(None)
        else:
            self._holding.add(job.id)
        if self.on_job is not None:
            self.on_job(index, job)

    def _free(self, job_id: str | None) -> None:
        if job_id is not None:
            if job_id not in self._holding:
                return
            self._holding.discard(job_id)
        if self._slots is not None:
            self._slots.release()

    def _observe(self, event: JobEvent) -> None:
        if event.job.final and event.job.id in self._holding:
            self._free(event.job.id)
