"""The one builder of a session's services, used by the CLI and the TUI alike.

A session is: the settings (with ``--demo`` they point at the local emulator the CLI started),
one fal client (one connection pool), the model catalog, the job journal, the job manager, and
the outputs service (downloads and previews on its own keyless client).
Nothing else constructs these, so both faces of faltui talk to fal the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from faltui.core.catalog import Catalog
from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.job import EventCallback
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal
from faltui.core.outputs import Outputs


@dataclass
class Services:
    """Everything a session talks to fal and to disk with."""

    settings: Settings
    client: FalClient
    catalog: Catalog
    jobs: JobManager
    journal: Journal | None
    outputs: Outputs
    #: What could not be set up (e.g. the journal), for the user to be told.
    problems: list[str] = field(default_factory=list)

    async def aclose(self) -> None:
        """Stop tracking jobs, close the connection pools and the journal."""
        try:
            await self.jobs.aclose()
        finally:
            try:
                await self.client.aclose()
            finally:
                try:
                    await self.outputs.aclose()
                finally:
                    if self.journal is not None:
                        self.journal.close()


def build_services(settings: Settings, *, on_event: EventCallback | None = None) -> Services:
    """Build a session's services from its settings.

    The journal fails closed: a damaged one is repaired on opening (what was kept is put in
    ``Services.problems``), and one that cannot be written makes the job manager refuse to
    submit (``JobManager.journal_problem`` says why: show it as a banner). Jobs never run
    unrecorded.
    """
    problems: list[str] = []
    client = FalClient(settings)
    catalog = Catalog(settings, client.http)
    journal: Journal | None
    try:
        journal = Journal(settings.paths.journal_file)
    except Exception as exc:  # never raised for damage; anything else still refuses submits
        journal = Journal.unavailable(
            settings.paths.journal_file, f"the job journal cannot be opened ({exc})"
        )
    if journal.notice:
        problems.append(journal.notice)
    jobs = JobManager(
        client, journal=journal, max_active=settings.max_active_jobs, on_event=on_event
    )
    outputs = Outputs.from_settings(settings)
    return Services(settings, client, catalog, jobs, journal, outputs, problems)
