"""Finding a journaled job from what a user types: a local job id (or a unique prefix of at
least 6 characters) or a fal request id."""

from __future__ import annotations

from faltui.cli.support import EXIT_USAGE, CliFailure
from faltui.core.job import Job
from faltui.core.journal import Journal
from faltui.core.text import one_line

MIN_PREFIX = 6


def find_job(journal: Journal, text: str) -> Job:
    """The one job ``text`` names; ``CliFailure`` (exit 2) when none or several match."""
    key = (text or "").strip()
    if not key:
        raise CliFailure("which job? give a job id or a request id", EXIT_USAGE)
    jobs = journal.load_all()
    exact = [job for job in jobs if job.id == key.lower() or job.request_id == key]
    if len(exact) == 1:
        return exact[0]
    hits = exact or [
        job
        for job in jobs
        if len(key) >= MIN_PREFIX
        and (job.id.startswith(key.lower()) or (job.request_id or "").startswith(key))
    ]
    if len(hits) == 1:
        return hits[0]
    shown = one_line(text, 60)
    if not hits:
        raise CliFailure(
            f"no job in the journal matches {shown!r} (see faltui history)", EXIT_USAGE
        )
    raise CliFailure(f"{len(hits)} jobs match {shown!r}: give more of the id", EXIT_USAGE)
