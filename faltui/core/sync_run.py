"""A synchronous run (``fal.run``, fal-protocol §5) recorded in the journal like a queued job.

The job is journaled before the request leaves (so a run whose answer is lost is ``unknown``
and reconciled, never resent: §7.4), and again with its result, request id and billed units
(``x-fal-billable-units``, §4.9) once fal answers. So sync runs count in spend, history and the
library like every other job.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from faltui.core.errors import ApiError, FaltuiError, OutcomeUnknownError, TransportError
from faltui.core.job import OUTCOME_UNKNOWN, Job, JobState
from faltui.core.jobs import UNKNOWN_OUTCOME

if TYPE_CHECKING:
    from faltui.core.client import FalClient
    from faltui.core.journal import Journal


async def run_journaled(
    client: FalClient,
    journal: Journal | None,
    endpoint_id: str,
    payload: dict[str, Any],
    *,
    timeout: float | None = None,
    label: str = "",
    clock: Callable[[], float] = time.time,
) -> Job:
    """Run ``payload`` on ``endpoint_id`` synchronously; returns the finished job.

    ``JournalUnavailable`` (nothing sent) when the journal cannot record the job. fal's
    refusal gives a ``failed`` job, a lost answer an ``unknown`` one (never resent).
    """
    job = Job(
        endpoint_id=endpoint_id,
        input=copy.deepcopy(payload),
        label=label,
        created_at=clock(),
        origin="sync",
    )
    job.sent_at = job.submitted_at = clock()
    job.state = JobState.running
    job.started_at = job.sent_at
    if journal is not None:
        journal.record(job)  # raises JournalUnavailable: nothing sent unrecorded
    try:
        answer = await client.run_answer(endpoint_id, payload, timeout=timeout)
    except OutcomeUnknownError as exc:
        detail = getattr(exc, "detail", "") or str(exc)
        _finish(job, JobState.unknown, UNKNOWN_OUTCOME.format(detail=detail), OUTCOME_UNKNOWN)
    except TransportError as exc:
        if exc.maybe_sent:
            _finish(job, JobState.unknown, UNKNOWN_OUTCOME.format(detail=exc), OUTCOME_UNKNOWN)
        else:
            job.sent_at = None
            _finish(job, JobState.failed, str(exc), exc.error_type or "transport")
    except ApiError as exc:
        job.request_id = exc.request_id or None
        _finish(job, JobState.failed, exc.message or str(exc), exc.error_type)
        job.field_errors = list(exc.field_errors)
    except FaltuiError as exc:
        job.sent_at = None
        _finish(job, JobState.failed, str(exc), "submit_error")
    else:
        job.request_id = answer.request_id
        job.result = answer.output
        job.billable_units = answer.billable_units
        _finish(job, JobState.done, None, None)
    job.finished_at = clock()
    if job.error:
        job.error = client.settings.redact(job.error)
    if journal is not None:
        try:
            journal.record(job)
        except FaltuiError as exc:  # the run happened: report it, do not lose the answer
            job.error = (job.error + "\n" if job.error else "") + f"not journaled: {exc}"
    return job


def _finish(job: Job, state: JobState, error: str | None, error_type: str | None) -> None:
    job.state = state
    job.error = error
    job.error_type = error_type
