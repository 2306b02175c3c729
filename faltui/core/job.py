"""The ``Job`` model: one request to fal's queue as we see it, its states and its events.

Its own module so that the job manager, the journal and the scheduler can all import it
without importing each other.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from faltui.core.client.models import LogLine, QueueHandle
from faltui.core.errors import FieldError
from faltui.core.sweep_tag import SweepTag

#: Most log lines kept per job (oldest dropped first); fal's logs can be long.
MAX_LOG_LINES = 2000


class JobState(StrEnum):
    """Where a job stands, from our side."""

    pending = "pending"  # created locally; uploading files / submitting
    queued = "queued"  # fal accepted it: IN_QUEUE
    running = "running"  # IN_PROGRESS
    done = "done"  # COMPLETED with a result
    failed = "failed"  # COMPLETED with an error, or refused / interrupted submit
    cancelled = "cancelled"  # cancelled by the user
    lost = "lost"  # fal no longer knows the request (expired or unknown id)
    #: The submit may have reached fal but no answer said so (fal-protocol §7.4). Never resent;
    #: only reconciling it through the request history (§9.4) can move it on.
    unknown = "unknown"

    @property
    def final(self) -> bool:
        """True for states nothing moves a job out of on its own (``unknown``: reconcile)."""
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {JobState.done, JobState.failed, JobState.cancelled, JobState.lost, JobState.unknown}
)

#: ``error_type`` of a job whose submit outcome is unknown.
OUTCOME_UNKNOWN = "outcome_unknown"
#: The ``error_type`` older versions gave such jobs (as ``failed``); read as ``unknown``.
LEGACY_UNCONFIRMED = "submit_unconfirmed"


def new_job_id() -> str:
    """A fresh local job id (uuid4 hex)."""
    return uuid.uuid4().hex


@dataclass
class Job:
    """One request to fal's queue and everything we know about it."""

    endpoint_id: str
    input: dict[str, Any]
    id: str = field(default_factory=new_job_id)
    state: JobState = JobState.pending
    handle: QueueHandle | None = None
    request_id: str | None = None
    queue_position: int | None = None
    logs: list[LogLine] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None
    field_errors: list[FieldError] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    #: When the submit was handed to the network: from then on fal may have the request.
    sent_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    #: Submit options to repeat on re-run (webhook, priority, …); never holds credentials.
    options: dict[str, Any] = field(default_factory=dict)
    #: Taken off the job list by the user; the journal keeps it (``faltui history`` shows it).
    archived: bool = False
    #: What fal billed (``x-fal-billable-units`` of the result, in the endpoint's pricing
    #: unit); None = unknown (not said, not finished), never "free".
    billable_units: float | None = None
    #: How the job came to be: ``""`` submitted to the queue by faltui, ``"sync"`` run on
    #: fal.run by faltui, ``"history"`` brought in from fal's request history (run elsewhere:
    #: ``faltui history --import``).
    origin: str = ""
    #: The local id of the job whose outputs this job's input was made from (a send to
    #: another model), or None.
    parent_id: str | None = None
    #: The sweep this job belongs to and its values on the swept fields (None: not a sweep's).
    sweep: SweepTag | None = None

    @property
    def final(self) -> bool:
        """True once the job can no longer change."""
        return self.state in FINAL_STATES

    @property
    def elapsed(self) -> float:
        """Seconds from submit (or creation) to the end (or now)."""
        start = self.submitted_at if self.submitted_at is not None else self.created_at
        end = self.finished_at if self.finished_at is not None else time.time()
        return max(0.0, end - start)

    @property
    def last_log(self) -> str:
        """The newest log message, or ``""``."""
        return self.logs[-1].message if self.logs else ""

    def add_logs(self, lines: list[LogLine]) -> None:
        """Append log lines, keeping at most ``MAX_LOG_LINES``."""
        self.logs.extend(lines)
        if len(self.logs) > MAX_LOG_LINES:
            del self.logs[: len(self.logs) - MAX_LOG_LINES]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole job (the journal's format)."""
        return {
            "id": self.id,
            "endpoint_id": self.endpoint_id,
            "input": self.input,
            "state": self.state.value,
            "handle": self.handle.to_dict() if self.handle is not None else None,
            "request_id": self.request_id,
            "queue_position": self.queue_position,
            "logs": [
                {"message": ln.message, "timestamp": ln.timestamp, "level": ln.level}
                for ln in self.logs
            ],
            "result": self.result,
            "error": self.error,
            "error_type": self.error_type,
            "field_errors": [
                {"path": list(fe.path), "message": fe.message, "kind": fe.kind}
                for fe in self.field_errors
            ],
            "created_at": self.created_at,
            "submitted_at": self.submitted_at,
            "sent_at": self.sent_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "metrics": self.metrics,
            "label": self.label,
            "options": self.options,
            "archived": self.archived,
            "billable_units": self.billable_units,
            "origin": self.origin,
            "parent_id": self.parent_id,
            "sweep": self.sweep.to_dict() if self.sweep is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        """Rebuild a job from ``to_dict()`` output (tolerates missing keys)."""
        handle = QueueHandle.from_dict(data["handle"]) if data.get("handle") else None
        logs = [
            LogLine(
                str(ln.get("message", "")),
                str(ln.get("timestamp", "")),
                str(ln.get("level", "INFO")),
            )
            for ln in data.get("logs") or []
            if isinstance(ln, dict)
        ]
        try:
            state = JobState(data.get("state", "pending"))
        except ValueError:
            state = JobState.lost
        if (
            state is JobState.failed
            and data.get("error_type") == LEGACY_UNCONFIRMED
            and not data.get("request_id")
        ):
            state = JobState.unknown
        return cls(
            id=str(data["id"]),
            endpoint_id=str(data.get("endpoint_id", "")),
            input=dict(data.get("input") or {}),
            state=state,
            handle=handle,
            request_id=data.get("request_id"),
            queue_position=data.get("queue_position"),
            logs=logs,
            result=data.get("result"),
            error=data.get("error"),
            error_type=data.get("error_type"),
            field_errors=[
                FieldError(
                    tuple(fe.get("path") or ()), str(fe.get("message", "")), fe.get("kind", "")
                )
                for fe in data.get("field_errors") or []
                if isinstance(fe, dict)
            ],
            created_at=float(data.get("created_at") or 0.0),
            submitted_at=data.get("submitted_at"),
            sent_at=data.get("sent_at"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            metrics=dict(data.get("metrics") or {}),
            label=str(data.get("label") or ""),
            options=dict(data.get("options") or {}),
            archived=bool(data.get("archived", False)),
            billable_units=_units(data.get("billable_units")),
            origin=str(data.get("origin") or ""),
            parent_id=_text_or_none(data.get("parent_id")),
            sweep=SweepTag.from_dict(data.get("sweep")),
        )


def _text_or_none(value: Any) -> str | None:
    """A stored id: a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def _units(value: Any) -> float | None:
    """A stored ``billable_units``: a non-negative number, else None (unknown)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


@dataclass(frozen=True)
class JobEvent:
    """A change to a job: ``kind`` is ``added``, ``updated``, ``log`` or ``finished``."""

    job: Job
    kind: str


EventCallback = Callable[[JobEvent], Any]


def queue_place(ahead: int) -> str:
    """A place in fal's queue as people count it: ``#1`` is next.

    fal's ``queue_position`` counts the requests ahead (0 = next).
    """
    return f"#{ahead + 1}"


def state_text(job: Job) -> str:
    """A job's state in words, the same in the TUI and the CLI: ``queued #3``, ``running``…"""
    if job.state is JobState.queued and job.queue_position is not None:
        return f"queued {queue_place(job.queue_position)}"
    return job.state.value
