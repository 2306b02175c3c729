"""Bringing jobs run elsewhere (fal's web playground, another machine, another client) into
the journal, from fal's request history (fal-protocol §9.4, ``expand=payloads``).

Every finished request of the endpoints asked for, in the time window, becomes a finished job
(``done`` or ``failed``) with its input and output, ``origin = "history"``, and a handle built
from its request id (so its result can be fetched again while fal keeps it). Such a job shows
in the history, can be re-run (same endpoint, same input) and forked like any other.

Not imported: requests already in the journal (by request id: an import run twice adds
nothing), requests not finished yet (import again later) and requests whose input fal no
longer has (payloads deleted or never stored: there is nothing to re-run). An imported job's
id is derived from its request id, so two imports running at once write the same row.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faltui.core.client import HistoryItem, LogLine
from faltui.core.errors import FaltuiError
from faltui.core.job import Job, JobState

if TYPE_CHECKING:
    from faltui.core.client import FalClient
    from faltui.core.journal import Journal

#: Namespace of imported jobs' ids (uuid5 of the endpoint and request id).
_NAMESPACE = uuid.UUID("6a1f0d3e-1c1b-4f5e-9a55-9c7f3b0e2f11")
#: History statuses that mean the request succeeded / failed.
_SUCCESS = frozenset({"success", "ok", "completed", "succeeded", "done"})
_FAILURE = frozenset({"error", "user_error", "failed", "failure", "cancelled", "canceled"})


def import_job_id(endpoint_id: str, request_id: str) -> str:
    """The local id an imported request gets (the same on every machine and every import)."""
    return uuid.uuid5(_NAMESPACE, f"{endpoint_id}\n{request_id}").hex


def outcome(item: HistoryItem) -> JobState | None:
    """``done`` / ``failed`` for a finished request; None while it has not finished."""
    status = (item.status or "").strip().lower()
    if status in _SUCCESS:
        return JobState.done
    if status in _FAILURE:
        return JobState.failed
    code = item.raw.get("status_code")
    if isinstance(code, int) and not isinstance(code, bool):
        return JobState.done if code < 400 else JobState.failed
    if item.ended_at is None:
        return None
    output = item.json_output
    if isinstance(output, dict) and "detail" in output and len(output) <= 2:
        return JobState.failed
    return JobState.done


def _error_text(output: Any) -> str:
    """A failed request's error, from its stored output (fal's ``detail``)."""
    if isinstance(output, dict):
        detail = output.get("detail", output.get("error"))
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            parts = []
            for entry in detail:
                if isinstance(entry, dict):
                    where = ".".join(str(p) for p in entry.get("loc") or [] if p != "body")
                    message = str(entry.get("msg") or entry)
                    parts.append(f"{where}: {message}" if where else message)
                else:
                    parts.append(str(entry))
            return "; ".join(parts)
        if detail is not None:
            return json.dumps(detail, ensure_ascii=False)
    return "the request failed (fal's history keeps no error text)"


def job_from_history(client: FalClient, item: HistoryItem, *, now: float) -> Job | None:
    """The finished job of one history item; None when it cannot be one (see module doc)."""
    state = outcome(item)
    if state is None or not item.has_input or not isinstance(item.json_input, dict):
        return None
    endpoint_id = item.endpoint_id
    sent = item.sent_at if item.sent_at is not None else now
    ended = item.ended_at if item.ended_at is not None else sent
    output = item.json_output
    handle = client.handle_for(endpoint_id, item.request_id)
    handle.status = "COMPLETED"
    job = Job(
        endpoint_id=endpoint_id,
        input=dict(item.json_input),
        id=import_job_id(endpoint_id, item.request_id),
        state=state,
        handle=handle,
        request_id=item.request_id,
        created_at=sent,
        submitted_at=sent,
        sent_at=sent,
        started_at=item.started_at,
        finished_at=ended,
        origin="history",
    )
    if state is JobState.done:
        job.result = output if isinstance(output, dict) else {"output": output}
    else:
        job.result = output if isinstance(output, dict) else None
        job.error = _error_text(output)
        job.error_type = str(item.raw.get("error_type") or "") or None
    duration = item.raw.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        job.metrics = {"duration": duration}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    job.add_logs([LogLine("Imported from fal's request history (run outside this faltui)", stamp)])
    return job


@dataclass
class ImportReport:
    """What ``import_history`` did."""

    imported: list[Job] = field(default_factory=list)
    #: Requests already in the journal.
    known: int = 0
    #: Requests not finished yet.
    unfinished: int = 0
    #: Requests whose input fal no longer has.
    no_input: int = 0
    #: Endpoint id → why its history could not be read.
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the user."""
        parts = [f"imported {len(self.imported)} job{'s' if len(self.imported) != 1 else ''}"]
        if self.known:
            parts.append(f"{self.known} already in the journal")
        if self.unfinished:
            parts.append(f"{self.unfinished} not finished yet (import again later)")
        if self.no_input:
            parts.append(f"{self.no_input} without a stored input (nothing to re-run)")
        if self.failed:
            parts.append(f"{len(self.failed)} endpoint(s) could not be read")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "imported": [
                {
                    "id": job.id,
                    "endpoint_id": job.endpoint_id,
                    "request_id": job.request_id,
                    "state": job.state.value,
                    "created_at": job.created_at,
                }
                for job in self.imported
            ],
            "already_known": self.known,
            "unfinished": self.unfinished,
            "without_input": self.no_input,
            "failed": self.failed,
        }


async def import_history(
    client: FalClient,
    journal: Journal,
    endpoint_ids: Iterable[str],
    *,
    start: float,
    end: float | None = None,
    clock: Callable[[], float] = time.time,
) -> ImportReport:
    """Import every finished request of ``endpoint_ids`` sent between ``start`` and ``end``.

    The journal must be writable (``JournalUnavailable`` otherwise): the jobs of one endpoint
    are written in one transaction. A history that cannot be read is reported per endpoint.
    """
    report = ImportReport()
    known = journal.request_ids()
    now = clock()
    for endpoint_id in dict.fromkeys(endpoint_ids):
        try:
            items = await client.request_history(endpoint_id, start=start, end=end)
        except FaltuiError as exc:
            report.failed[endpoint_id] = str(exc)
            continue
        fresh: list[Job] = []
        for item in sorted(items, key=lambda i: i.sent_at or 0.0):
            if item.request_id in known:
                report.known += 1
                continue
            if not item.endpoint_id:
                item = dataclasses.replace(item, endpoint_id=endpoint_id)
            job = job_from_history(client, item, now=now)
            if job is None:
                if outcome(item) is None:
                    report.unfinished += 1
                else:
                    report.no_input += 1
                continue
            known.add(item.request_id)
            fresh.append(job)
        journal.record_many(fresh)
        report.imported += fresh
    return report
