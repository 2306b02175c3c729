"""Settling a submit whose outcome is unknown, through fal's request history (fal-protocol §9.4).

A job is ``unknown`` when its submit may have reached fal but no answer said so (a 504, a read
timeout, a dropped answer, faltui stopping mid-submit). It is never resent. Instead, fal's
request history is read for the job's endpoint, over a window around the moment it was sent
(paged to the end), and a request *matches* when it is on the same endpoint, was sent in that
window, is not already known locally under another job, and its stored ``json_input`` is
exactly the input sent (same JSON: ``1`` is not ``1.0``, ``true`` is not ``1``).

* exactly one match, and no request in the window whose input cannot be compared → the job is
  re-attached to that request id (journaled, then tracked like any other);
* no match, several, or a match beside requests whose stored input is missing → the job stays
  ``unknown`` and says which (never a guess, never a resubmit).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from faltui.core.errors import FaltuiError

if TYPE_CHECKING:
    from faltui.core.client import FalClient, HistoryItem
    from faltui.core.job import Job

#: Seconds before the send time still searched (clocks of this machine and fal's differ).
WINDOW_BEFORE = 120.0
#: Seconds after the send time searched (a gateway may answer 504 minutes after accepting).
WINDOW_AFTER = 900.0


class Outcome(StrEnum):
    """What reconciling one job found."""

    attached = "attached"  # exactly one match: re-attached by its request id
    none = "none"  # no request matches: fal most likely never took it
    several = "several"  # more than one request matches: cannot tell which
    unverifiable = "unverifiable"  # requests whose stored input is gone could be this one
    failed = "failed"  # the history could not be read (the job stays unknown)


@dataclass(frozen=True)
class ReconcileResult:
    """The outcome for one job, with a message for the user."""

    job_id: str
    outcome: Outcome
    message: str
    request_id: str | None = None
    candidates: tuple[str, ...] = ()

    @property
    def attached(self) -> bool:
        """True when the job was re-attached to a request."""
        return self.outcome is Outcome.attached

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``faltui reconcile``)."""
        return {
            "job_id": self.job_id,
            "outcome": self.outcome.value,
            "request_id": self.request_id,
            "candidates": list(self.candidates),
            "message": self.message,
        }


def canonical(value: Any) -> str:
    """``value`` as canonical JSON: equal text means exactly the same JSON value."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def window(job: Job) -> tuple[float, float]:
    """The time window (epoch seconds) searched for ``job``'s request."""
    sent = job.sent_at if job.sent_at is not None else job.created_at
    return sent - WINDOW_BEFORE, sent + WINDOW_AFTER


def match(job: Job, items: list[HistoryItem], known: set[str]) -> ReconcileResult:
    """Decide from history ``items`` which request, if any, is ``job``'s (see module doc).

    ``known`` are request ids already held by other local jobs: never this one's.
    """
    start, end = window(job)
    wanted = canonical(job.input)
    matches: list[str] = []
    blind: list[str] = []
    for item in items:
        if item.request_id in known:
            continue
        if item.endpoint_id and item.endpoint_id != job.endpoint_id:
            continue
        if item.sent_at is not None and not start <= item.sent_at <= end:
            continue
        if not item.has_input:
            blind.append(item.request_id)
        elif canonical(item.json_input) == wanted:
            matches.append(item.request_id)
    span = f"sent between {_clock(start)} and {_clock(end)}"
    if len(matches) == 1 and not blind:
        request_id = matches[0]
        return ReconcileResult(
            job.id,
            Outcome.attached,
            f"found in fal's request history as {request_id} (same endpoint and input, {span})",
            request_id,
            (request_id,),
        )
    if len(matches) > 1:
        return ReconcileResult(
            job.id,
            Outcome.several,
            f"{len(matches)} requests in fal's history have this endpoint and input ({span}): "
            f"{', '.join(matches)} — not re-attached, since it cannot be told which is this one",
            None,
            tuple(matches),
        )
    if blind:
        found = f"1 request has this input and {len(blind)} more" if matches else f"{len(blind)}"
        return ReconcileResult(
            job.id,
            Outcome.unverifiable,
            f"{found} request(s) {span} have no stored input to compare (payloads deleted or "
            "not kept) — not re-attached",
            None,
            tuple(matches + blind),
        )
    return ReconcileResult(
        job.id,
        Outcome.none,
        f"no request in fal's history has this endpoint and input ({span}): fal most likely "
        "never took it. It stays unknown; re-run it if you want it",
    )


async def find_requests(
    client: FalClient, jobs: list[Job], known: set[str]
) -> dict[str, ReconcileResult]:
    """Look every job up in fal's request history (one paged read per endpoint).

    Never raises for a history problem: the jobs of that endpoint get ``Outcome.failed``.
    A job found is added to ``known`` so that no two jobs take the same request.
    """
    by_endpoint: dict[str, list[Job]] = {}
    for job in jobs:
        by_endpoint.setdefault(job.endpoint_id, []).append(job)
    results: dict[str, ReconcileResult] = {}
    for endpoint_id, group in by_endpoint.items():
        windows = [window(job) for job in group]
        start, end = min(w[0] for w in windows), max(w[1] for w in windows)
        try:
            items = await client.request_history(endpoint_id, start=start, end=end)
        except FaltuiError as exc:
            for job in group:
                results[job.id] = ReconcileResult(
                    job.id, Outcome.failed, f"fal's request history could not be read: {exc}"
                )
            continue
        for job in sorted(group, key=lambda j: j.sent_at or j.created_at):
            result = match(job, items, known)
            if result.request_id:
                known.add(result.request_id)
            results[job.id] = result
    return results


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
