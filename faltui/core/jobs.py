"""The ``JobManager``: submits jobs (``faltui.core.job``), tracks them and reports every change.

A job is one request to fal's queue, seen from our side: created locally (``pending``), accepted
by fal (``queued``/``running``), and finally ``done``, ``failed``, ``cancelled`` or ``lost``
(fal no longer knows the request). The manager journals a job the moment fal accepts it, tracks
every live job with one scheduler (``faltui.core.scheduler``), fetches each result as soon as the
job completes, and reports every change through a cheap synchronous ``on_event`` callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faltui.core.client import LogLine
from faltui.core.errors import (
    AlreadyCompletedError,
    ApiError,
    FaltuiError,
    FieldError,
    NotFoundError,
    RateLimitedError,
    TransportError,
)
from faltui.core.job import (
    OUTCOME_UNKNOWN,
    EventCallback,
    Job,
    JobEvent,
    JobState,
)
from faltui.core.journal import JournalUnavailable
from faltui.core.scheduler import Scheduler
from faltui.core.schema.prepare import PreparedInput, prepare
from faltui.core.sweep_tag import SweepTag
from faltui.core.upload_cache import UploadCache

if TYPE_CHECKING:
    from faltui.core.client import FalClient, LogDeduper, QueueHandle, Status
    from faltui.core.journal import Journal
    from faltui.core.reconcile import ReconcileResult
    from faltui.core.schema.model import EndpointSchema


#: Header names containing these words are never kept in a job's options (nor journaled).
_SECRET_WORDS = ("authorization", "key", "token", "secret", "cookie", "password")

#: Seconds a job update waits for a journal another process has locked, once one write failed.
BACKGROUND_WRITE_WAIT = 0.2

#: How many recent background problems ``JobManager.problems`` keeps.
MAX_PROBLEMS = 100

#: Attempts at fetching the result of a completed request before the job is marked failed.
RESULT_ATTEMPTS = 8

UNKNOWN_OUTCOME = (
    "This request may have been accepted by fal, but no answer said so ({detail}). It was "
    "not resubmitted, to avoid running (and paying for) it twice; faltui looks for it in "
    "fal's request history (`faltui reconcile`) before anyone re-runs it."
)
#: Kept for callers of the old name.
UNCONFIRMED_SUBMIT = UNKNOWN_OUTCOME


def safe_options(options: dict[str, Any]) -> dict[str, Any]:
    """Submit options worth keeping for a re-run, without anything that looks like a secret."""
    kept: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name == "headers" and isinstance(value, dict):
            headers = {
                str(k): str(v)
                for k, v in value.items()
                if not any(word in str(k).lower() for word in _SECRET_WORDS)
            }
            if headers:
                kept["headers"] = headers
        elif isinstance(value, str | int | float | bool):
            kept[name] = value
    return kept


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


class JobManager:
    """Submits jobs, tracks them all with one ``Scheduler``, journals and reports every change.

    ``client`` is a ``FalClient``; ``journal`` (optional) a ``Journal``. ``max_active`` bounds
    the status streams open at once (one per live job up to it; other live jobs are polled).
    ``on_event`` is called synchronously, on the event loop, with a ``JobEvent`` on every
    change: keep it cheap.
    ``clock`` and ``sleep`` are injectable for tests; ``poll_interval`` defaults to
    ``client.settings.poll_interval``.
    """

    def __init__(
        self,
        client: FalClient,
        journal: Journal | None = None,
        *,
        max_active: int = 1024,
        clock: Callable[[], float] = time.time,
        on_event: EventCallback | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        poll_interval: float | None = None,
        max_poll_interval: float | None = None,
        poll_concurrency: int = 16,
        submit_concurrency: int = 8,
        stream: bool = True,
        result_attempts: int = RESULT_ATTEMPTS,
    ) -> None:
        self.client = client
        self.journal = journal
        self.clock = clock
        self.on_event = on_event
        self.submit_concurrency = max(1, submit_concurrency)
        self.result_attempts = max(1, result_attempts)
        self.uploads = UploadCache()  # a local file named by many jobs is sent once
        if poll_interval is None:
            poll_interval = float(getattr(getattr(client, "settings", None), "poll_interval", 1.0))
        self.scheduler = Scheduler(
            client,
            self,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            max_streams=max_active,
            poll_concurrency=poll_concurrency,
            stream=stream,
            clock=clock,
            sleep=sleep,
        )
        self._jobs: dict[str, Job] = {}
        #: Where each job's input names local files (from the gate), until they are uploaded.
        self._local_files: dict[str, tuple[tuple[tuple[str | int, ...], Path], ...]] = {}
        self._cancel_requested: set[str] = set()
        self._result_tries: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._submitting = 0
        self._no_submits = asyncio.Event()
        self._no_submits.set()
        #: The latest problems that could not be raised where they happened (journal writes,
        #: listener errors, background cancels).
        self.problems: deque[str] = deque(maxlen=MAX_PROBLEMS)
        #: Outcomes of the latest background reconcile (``resume_unfinished``).
        self.last_reconcile: list[ReconcileResult] = []
        #: More callbacks told of every change after ``on_event`` (the session's spend
        #: tracker, the library's auto-download): same rules, keep them cheap.
        self.listeners: list[EventCallback] = []

    # -- queries ---------------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every job this manager knows, oldest first."""
        return list(self._jobs.values())

    def get(self, job_id: str) -> Job | None:
        """One job by its local id."""
        return self._jobs.get(job_id)

    # -- submit ----------------------------------------------------------------------------

    async def submit(
        self,
        endpoint_id: str,
        payload: dict[str, Any] | PreparedInput,
        *,
        schema: EndpointSchema | None = None,
        label: str = "",
        parent_id: str | None = None,
        sweep: SweepTag | None = None,
        **submit_kwargs: Any,
    ) -> Job:
        """Submit one job and start tracking it; returns the job.

        ``sweep`` is the job's place in a sweep, journaled with it (the grid is rebuilt from it).

        The input passes the gate first (``faltui.core.schema.prepare``, against ``schema``
        when given): a bad input raises ``ValidationFailed`` and nothing is journaled, uploaded
        or sent. Local files are uploaded next (progress shows as job logs). The job, with the
        exact input about to be sent, is journaled before the submit, and the handle fal
        returns before anything else happens. A refused submit gives a ``failed`` job (kept,
        with the reason) instead of raising; one that may have reached fal without an answer
        gives an ``unknown`` job, never resent (``reconcile`` settles it).

        Raises ``JournalUnavailable`` (nothing sent) when the journal cannot record the job:
        no request is sent unrecorded. ``parent_id`` is the job whose outputs the input was
        made from (a send to another model), journaled with the job.
        """
        prepared = payload if isinstance(payload, PreparedInput) else prepare(schema, payload)
        job = Job(
            endpoint_id=endpoint_id,
            input=copy.deepcopy(prepared.payload),
            label=label,
            created_at=self.clock(),
            options=safe_options(submit_kwargs),
            parent_id=parent_id,
            sweep=sweep,
        )
        self._local_files[job.id] = prepared.local_files
        self._submitting += 1
        self._no_submits.clear()
        try:
            await self._record_or_refuse(job)
            self._jobs[job.id] = job
            self._emit(job, "added")
            await self._submit(job, submit_kwargs)
        finally:
            self._local_files.pop(job.id, None)
            self._submitting -= 1
            if not self._submitting:
                self._no_submits.set()
        return job

    async def _submit(self, job: Job, submit_kwargs: dict[str, Any]) -> None:
        try:
            job.input = await self._upload(job, job.input)
        except asyncio.CancelledError:
            self._finish(
                job, JobState.cancelled, "interrupted while uploading files", "client_cancelled"
            )
            raise
        except (FaltuiError, OSError, ValueError) as exc:
            detail = f"upload of local files failed (nothing was submitted): {exc}"
            self._finish(job, JobState.failed, detail, "upload_failed")
            return
        if job.id in self._cancel_requested:
            self._finish(
                job, JobState.cancelled, "cancelled before it was submitted", "client_cancelled"
            )
            return
        # The exact input about to be sent is on disk first: reconciling an unknown outcome
        # compares it with fal's request history.
        job.sent_at = self.clock()
        try:
            await self._record_or_refuse(job)
        except JournalUnavailable as exc:
            job.sent_at = None
            self._finish(job, JobState.failed, f"not submitted: {exc}", "journal_unavailable")
            raise
        try:
            handle = await self.client.submit(job.endpoint_id, job.input, **submit_kwargs)
        except asyncio.CancelledError:
            self._unknown(job, "the submit was interrupted")
            raise
        except TransportError as exc:
            if exc.maybe_sent:
                self._unknown(job, getattr(exc, "detail", "") or exc.message)
            else:
                job.sent_at = None
                self._finish(job, JobState.failed, exc.message, exc.error_type or "transport")
            return
        except ApiError as exc:
            self._finish(
                job, JobState.failed, exc.message or str(exc), exc.error_type, exc.field_errors
            )
            return
        except (FaltuiError, OSError, ValueError) as exc:
            job.sent_at = None  # refused locally (e.g. a malformed key): nothing left
            self._finish(job, JobState.failed, str(exc) or type(exc).__name__, "submit_error")
            return
        self._accepted(job, handle)
        if job.id in self._cancel_requested:  # cancel asked for while the submit was in flight
            self._spawn(self._send_cancel(job))

    def _accepted(self, job: Job, handle: QueueHandle) -> None:
        """fal took the job (submit answer or reconcile): journal the handle, then track it."""
        job.handle = handle
        job.request_id = handle.request_id
        job.submitted_at = job.submitted_at or self.clock()
        job.state = JobState.running if handle.status == "IN_PROGRESS" else JobState.queued
        job.error = job.error_type = None
        job.finished_at = None
        if job.state is JobState.running:
            job.started_at = job.submitted_at
        job.queue_position = handle.queue_position
        self._record(job)  # the request id and URLs are on disk before anything else
        self._emit(job, "updated")
        self.scheduler.track(job)

    def _unknown(self, job: Job, detail: str) -> None:
        self._finish(job, JobState.unknown, UNKNOWN_OUTCOME.format(detail=detail), OUTCOME_UNKNOWN)

    async def _upload(self, job: Job, payload: dict[str, Any]) -> dict[str, Any]:
        found = list(self._local_files.pop(job.id, ()))
        if not found:
            return payload
        names = ", ".join(path.name for _, path in found)
        self._log(job, f"Uploading {len(found)} local file(s): {names}")
        if not job.label:  # the files name the job better than their CDN URLs will
            job.label = names
        marks: set[int] = set()

        def progress(sent: int, total: int, *_: Any) -> None:
            if total <= 0:
                return
            step = min(100, int(sent * 100 / total)) // 25 * 25
            if step not in marks:
                marks.add(step)
                self._log(job, f"Uploaded {step}% ({sent:,} of {total:,} bytes)")

        from faltui.core import storage  # the HTTP client: imported when first uploading

        uploaded = await storage.upload_local_files(
            self.client, payload, progress=progress, cache=self.uploads, files=found
        )
        self._log(job, "Upload finished")
        return uploaded

    async def submit_batch(
        self,
        endpoint_id: str,
        payloads: Sequence[dict[str, Any] | PreparedInput],
        *,
        schema: EndpointSchema | None = None,
        label: str = "",
        parent_id: str | None = None,
        **submit_kwargs: Any,
    ) -> list[Job]:
        """Submit many jobs, at most ``submit_concurrency`` at a time; jobs in input order.

        Every input passes the gate before the first is sent: one bad input sends none.
        """
        prepared = [p if isinstance(p, PreparedInput) else prepare(schema, p) for p in payloads]
        gate = asyncio.Semaphore(self.submit_concurrency)
        many = len(prepared) > 1

        async def one(index: int, item: PreparedInput) -> Job:
            async with gate:
                name = f"{label} #{index + 1}" if label and many else label
                return await self.submit(
                    endpoint_id, item, label=name, parent_id=parent_id, **submit_kwargs
                )

        return list(await asyncio.gather(*(one(i, p) for i, p in enumerate(prepared))))

    async def submit_many(
        self,
        endpoint_id: str,
        prepared: PreparedInput,
        count: int = 1,
        *,
        rng: random.Random | None = None,
        label: str = "",
        parent_id: str | None = None,
        **submit_kwargs: Any,
    ) -> list[Job]:
        """Submit an input ``count`` times (submit ×N, ``faltui run --count``).

        Seeds follow ``PreparedInput.copies``: the user's seed S gives S, S+1, …; "random"
        gives each job its own fresh seed; a model without a seed gets identical copies.
        """
        copies = prepared.copies(count, rng)
        if len(copies) == 1:
            return [
                await self.submit(
                    endpoint_id, copies[0], label=label, parent_id=parent_id, **submit_kwargs
                )
            ]
        return await self.submit_batch(
            endpoint_id, copies, label=label, parent_id=parent_id, **submit_kwargs
        )

    async def rerun(self, job_id: str) -> Job:
        """Submit a new job with the same endpoint, input, label and options."""
        job = self._require(job_id)
        return await self.submit(
            job.endpoint_id,
            copy.deepcopy(job.input),
            label=job.label,
            parent_id=job.parent_id,
            **job.options,
        )

    # -- cancel ----------------------------------------------------------------------------

    async def cancel(self, job_id: str) -> None:
        """Ask fal to cancel ``job_id``; a job that already finished is left alone.

        The job turns ``cancelled`` once fal reports it; errors other than "already
        completed" are raised (the job keeps being tracked).
        """
        job = self._require(job_id)
        if job.final:
            return
        self._cancel_requested.add(job_id)
        if job.handle is None:
            return  # still uploading/submitting: _submit cancels it once fal answers
        await self._send_cancel(job, raise_errors=True)

    async def _send_cancel(self, job: Job, *, raise_errors: bool = False) -> None:
        assert job.handle is not None
        try:
            await self.client.cancel(job.handle)
        except AlreadyCompletedError:
            self._cancel_requested.discard(job.id)
        except ApiError as exc:
            self._cancel_requested.discard(job.id)
            if raise_errors:
                raise
            self.problems.append(f"cancel of {job.request_id}: {exc}")
        self.scheduler.poke(job.id)

    # -- resume ----------------------------------------------------------------------------

    async def resume_unfinished(self, *, reconcile: bool = True) -> list[Job]:
        """Re-attach to the journal's unfinished jobs and track them; returns them.

        Journaled jobs that never got a request id are settled, never resent: one faltui
        stopped before sending is ``failed`` (nothing was sent), one it stopped while sending
        is ``unknown``. With ``reconcile`` every unknown job is then looked up in fal's
        request history in the background (``reconcile``; ``last_reconcile`` holds the
        outcomes, ``wait_all`` waits for it).
        """
        if self.journal is None:
            return []
        for job in self.journal.interrupted():
            if job.id in self._jobs:
                continue
            self._jobs[job.id] = job
            self._emit(job, "added")
            if job.sent_at is None:
                detail = "faltui stopped before submitting it; nothing was sent"
                self._finish(job, JobState.failed, detail, "interrupted")
            else:
                self._unknown(job, "faltui stopped before fal confirmed the submit")
        resumed: list[Job] = []
        for job in self.journal.unfinished():
            if job.id in self._jobs:
                continue
            if job.handle is None:
                assert job.request_id is not None
                job.handle = self.client.handle_for(job.endpoint_id, job.request_id)
            self._jobs[job.id] = job
            self._emit(job, "added")
            self.scheduler.track(job, delay=0.0)
            resumed.append(job)
        if reconcile and self.journal.unknown():
            self._submitting += 1  # from now: wait_all() waits for what it may re-attach
            self._no_submits.clear()
            self._spawn(self._reconcile_in_background())
        return resumed

    def archive(self, job_ids: list[str]) -> list[Job]:
        """Take finished jobs off the list; the journal keeps them, marked archived.

        Jobs still in flight are left alone (cancel them first), and so are jobs of unknown
        outcome (reconcile them first); returns the archived jobs.
        """
        archived: list[Job] = []
        for job_id in job_ids:
            job = self._jobs.get(job_id)
            if job is None or not job.final or job.state is JobState.unknown:
                continue
            job.archived = True
            self._record(job)
            del self._jobs[job_id]
            archived.append(job)
        return archived

    async def _reconcile_in_background(self) -> None:
        try:
            self.last_reconcile = await self.reconcile()
        except Exception as exc:  # a background lookup must never take the manager down
            self.problems.append(f"reconcile: {exc}")
        finally:
            self._submitting -= 1
            if not self._submitting:
                self._no_submits.set()

    async def reconcile(self, job_ids: Iterable[str] | None = None) -> list[ReconcileResult]:
        """Settle ``unknown`` jobs (all, or those of ``job_ids``) through fal's request history.

        The journal's unknown jobs are loaded first. A job found exactly once is re-attached
        (journaled, then tracked); any other outcome leaves it ``unknown`` with the reason in
        its error and log (see ``faltui.core.reconcile``). Never resubmits anything.
        """
        from faltui.core.reconcile import find_requests

        if self.journal is not None:
            for job in self.journal.unknown():
                if job.id not in self._jobs:
                    self._jobs[job.id] = job
                    self._emit(job, "added")
        wanted = None if job_ids is None else set(job_ids)
        targets = [
            job
            for job in self._jobs.values()
            if job.state is JobState.unknown and (wanted is None or job.id in wanted)
        ]
        if not targets:
            return []
        known = {job.request_id for job in self._jobs.values() if job.request_id}
        if self.journal is not None:
            known |= self.journal.request_ids()
        self._submitting += 1  # wait_all() waits for the jobs this may re-attach
        self._no_submits.clear()
        try:
            found = await find_requests(self.client, targets, known)
            results = []
            for job in targets:
                result = found[job.id]
                results.append(result)
                if job.state is not JobState.unknown:
                    continue  # settled meanwhile (e.g. another reconcile)
                if result.request_id is not None:
                    self._log(job, f"Reconciled: {result.message}")
                    job.submitted_at = job.sent_at or job.created_at
                    self._accepted(job, self.client.handle_for(job.endpoint_id, result.request_id))
                else:
                    self._log(job, f"Reconcile: {result.message}")
                    base = (job.error or "").split("\nReconcile:", 1)[0]
                    job.error = f"{base}\nReconcile: {result.message}".strip()
                    self._record(job)
                    self._emit(job, "updated")
            return results
        finally:
            self._submitting -= 1
            if not self._submitting:
                self._no_submits.set()

    def load_history(self, limit: int | None = None) -> list[Job]:
        """Add the journal's finished, not archived jobs (newest ``limit``) to the list,
        without tracking."""
        if self.journal is None:
            return []
        finished = [job for job in self.journal.load_all() if job.final and not job.archived]
        if limit is not None:
            finished = finished[-limit:] if limit > 0 else []
        added = [job for job in finished if job.id not in self._jobs]
        if added:
            merged = {job.id: job for job in added}
            merged.update(self._jobs)
            self._jobs = merged
            for job in added:
                self._emit(job, "added")
        return added

    # -- waiting and shutdown ------------------------------------------------------------------

    async def wait_all(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job is final; False if ``timeout`` ran out first."""

        async def settled() -> None:
            while True:
                await self._no_submits.wait()
                await self.scheduler.wait_idle()
                if not self._submitting and not self.scheduler.tracked:
                    return

        try:
            await asyncio.wait_for(settled(), timeout)
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        """Stop tracking (streams, polls, pending cancels). Jobs and journal stay as they are."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.scheduler.aclose()

    # -- StatusHandler (called by the scheduler) ---------------------------------------------

    def on_status(self, job: Job, status: Status, deduper: LogDeduper) -> bool:
        """Apply one status to ``job``; True if anything visible changed."""
        if job.final:
            return False
        changed = False
        fresh = deduper.new(status.logs)
        if fresh:
            job.add_logs(fresh)
            self._emit(job, "log")
            changed = True
        if status.state == "IN_QUEUE":
            state, position = JobState.queued, status.queue_position
        elif status.state == "IN_PROGRESS":
            state, position = JobState.running, None
        else:
            return changed  # COMPLETED is on_done's business; unknown states change nothing
        moved = False
        if state is not job.state:
            job.state = state
            if state is JobState.running and job.started_at is None:
                job.started_at = self.clock()
            self._record(job)
            moved = True
        if position != job.queue_position:
            job.queue_position = position
            moved = True
        if moved:
            self._emit(job, "updated")
        return changed or moved

    async def on_done(self, job: Job, status: Status) -> bool:
        """Finish a ``COMPLETED`` job: fetch its result at once. False: try again later."""
        if job.final:
            return True
        assert job.handle is not None
        if status.metrics:
            job.metrics = dict(status.metrics)
        cancelled = status.failed and (
            job.id in self._cancel_requested or status.error_type == "client_cancelled"
        )
        if cancelled:
            self._finish(job, JobState.cancelled, status.error or "cancelled", "client_cancelled")
            return True
        try:
            answer = await self.client.result_answer(job.handle, failed=status.failed)
        except NotFoundError as exc:
            if status.failed:
                self._finish(job, JobState.failed, status.error or exc.message, status.error_type)
            else:
                detail = (
                    "fal no longer has the result of this request (results are kept for an "
                    f"hour or less): {exc.message}"
                )
                self._finish(job, JobState.lost, detail, exc.error_type or "result_expired")
            return True
        except ApiError as exc:
            transient = isinstance(exc, TransportError | RateLimitedError) or (
                not status.failed and exc.status in (408, 502, 503, 504)
            )
            tries = self._result_tries.get(job.id, 0) + 1
            if transient and tries < self.result_attempts:
                self._result_tries[job.id] = tries
                return False
            if transient:
                message = f"the request completed but its result could not be fetched: {exc}"
                self._finish(job, JobState.failed, message, "result_unavailable")
                return True
            error_type = exc.error_type or status.error_type
            if error_type == "client_cancelled":
                self._finish(job, JobState.cancelled, exc.message, error_type)
                return True
            message = exc.message or status.error or str(exc)
            self._finish(job, JobState.failed, message, error_type, exc.field_errors)
            return True
        job.result = answer.output
        job.billable_units = answer.billable_units
        if status.failed:
            self._finish(job, JobState.failed, status.error or "failed", status.error_type)
            return True
        self._finish(job, JobState.done, None, None)
        return True

    async def fetch_result(self, job_id: str) -> Job:
        """Fetch the result of a finished job that has none here (one salvaged from a damaged
        journal, say): a result call only, idempotent, never a resubmit. Raises fal's error
        (``NotFoundError`` once fal no longer keeps it)."""
        job = self._require(job_id)
        if job.state is not JobState.done or job.result is not None or job.request_id is None:
            return job
        if job.handle is None:
            job.handle = self.client.handle_for(job.endpoint_id, job.request_id)
        answer = await self.client.result_answer(job.handle, failed=False)
        job.result = answer.output
        job.billable_units = answer.billable_units
        self._record(job)
        self._emit(job, "updated")
        return job

    def on_gone(self, job: Job, error: NotFoundError) -> None:
        """fal answers 404 for the request: it expired or never existed."""
        if not job.final:
            detail = f"fal does not know this request (any more): {error.message}"
            self._finish(job, JobState.lost, detail, error.error_type or "not_found")

    # -- internals -----------------------------------------------------------------------------

    def _require(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"no job {job_id!r}")
        return job

    def _finish(
        self,
        job: Job,
        state: JobState,
        error: str | None,
        error_type: str | None,
        field_errors: list[FieldError] | None = None,
    ) -> None:
        job.state = state
        job.error = self._redact(error)
        job.error_type = error_type
        job.field_errors = list(field_errors or [])
        job.queue_position = None
        job.finished_at = self.clock()
        self._cancel_requested.discard(job.id)
        self._result_tries.pop(job.id, None)
        self._record(job)
        self._emit(job, "finished")

    def _redact(self, text: str | None) -> str | None:
        if text is None:
            return text
        return self.client.settings.redact(text)

    def _log(self, job: Job, message: str) -> None:
        job.add_logs([LogLine(message, _iso(self.clock()), "INFO")])
        self._emit(job, "log")

    def _record(self, job: Job) -> None:
        if self.journal is None:
            return
        # Once a write failed (e.g. another process holds the lock), background updates wait
        # only a moment each: tracking must go on.
        wait = BACKGROUND_WRITE_WAIT if self.journal_problem else None
        try:
            self.journal.record(job, wait=wait)
        except Exception as exc:  # a full disk must not stop tracking (the journal says so)
            self.problems.append(f"journal: could not save job {job.id}: {exc}")

    async def _record_or_refuse(self, job: Job) -> None:
        """Journal ``job`` or raise ``JournalUnavailable``: nothing is sent unrecorded.

        Runs in a thread: a journal locked by another process makes the write wait a moment,
        which must not freeze the event loop.
        """
        if self.journal is None:
            return
        try:
            await asyncio.to_thread(self.journal.record, job)
        except JournalUnavailable:
            raise
        except Exception as exc:
            raise JournalUnavailable(f"the job journal cannot be written ({exc})") from exc

    @property
    def journal_problem(self) -> str | None:
        """Why the journal cannot be trusted right now (a banner for the TUI), or None."""
        return getattr(self.journal, "problem", None) if self.journal is not None else None

    def _emit(self, job: Job, kind: str) -> None:
        if self.on_event is None and not self.listeners:
            return
        event = JobEvent(job, kind)
        for listener in (self.on_event, *self.listeners):
            if listener is None:
                continue
            try:
                listener(event)
            except Exception as exc:  # a broken listener must not stop tracking
                self.problems.append(f"on_event({kind}) failed: {exc!r}")

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
