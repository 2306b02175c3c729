"""A job's chain: the jobs its input came from (``Job.parent_id``, set by a send to another
model) and the jobs its outputs were sent to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from faltui.core.job import Job

#: Most ancestors looked up (a chain is short; a loop in damaged data must end).
MAX_DEPTH = 20


@dataclass(frozen=True)
class Chain:
    """``ancestors`` (oldest first) → the job → ``children`` (oldest first).

    ``missing`` is the id of a parent that could not be found (removed from the journal), if
    the chain stops at one.
    """

    job: Job
    ancestors: tuple[Job, ...] = ()
    children: tuple[Job, ...] = field(default_factory=tuple)
    missing: str | None = None

    @property
    def empty(self) -> bool:
        """True when the job has neither a parent nor children."""
        return not self.ancestors and not self.children and self.missing is None


def chain_of(job: Job, find: Callable[[str], Job | None], jobs: Iterable[Job]) -> Chain:
    """The chain of ``job``: parents found with ``find`` (by local id), children among
    ``jobs`` (the ones whose ``parent_id`` is ``job.id``)."""
    ancestors: list[Job] = []
    seen = {job.id}
    missing: str | None = None
    parent_id = job.parent_id
    while parent_id and len(ancestors) < MAX_DEPTH and parent_id not in seen:
        parent = find(parent_id)
        if parent is None:
            missing = parent_id
            break
        ancestors.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    ancestors.reverse()
    children = sorted(
        (other for other in jobs if other.parent_id == job.id and other.id != job.id),
        key=lambda other: other.created_at,
    )
    return Chain(job, tuple(ancestors), tuple(children), missing)


__all__ = ["Chain", "chain_of"]
