"""The one builder of a session's services, used by the CLI and the TUI alike.

A session is: the settings (with ``--demo``, pointed at a local emulator started here), one
fal client (one connection pool), the model catalog, the job journal and the job manager.
Nothing else constructs these, so both faces of faltui talk to fal the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from faltui.core.catalog import Catalog
from faltui.core.client import FalClient
from faltui.core.config import Paths, Settings, load_settings
from faltui.core.job import EventCallback
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal


@dataclass
class Services:
    """Everything a session talks to fal and to disk with."""

    settings: Settings
    client: FalClient
    catalog: Catalog
    jobs: JobManager
    journal: Journal | None
    #: What could not be set up (e.g. the journal), for the user to be told.
    problems: list[str] = field(default_factory=list)

    async def aclose(self) -> None:
        """Stop tracking jobs, close the connection pool and the journal."""
        try:
            await self.jobs.aclose()
        finally:
            try:
                await self.client.aclose()
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
    return Services(settings, client, catalog, jobs, journal, problems)


def demo_paths(paths: Paths) -> Paths:
    """Keep demo jobs, cache and state apart from real ones (their ids mean nothing to fal)."""
    return replace(
        paths,
        cache_dir=paths.cache_dir / "demo",
        data_dir=paths.data_dir / "demo",
    )


@contextlib.contextmanager
def session_settings(demo: bool) -> Iterator[Settings]:
    """Load the settings; with ``demo`` start the local emulator and point faltui at it."""
    settings = load_settings()
    if not demo:
        yield settings
        return
    from faltui.emulator import DEMO_KEY, start_demo

    paths = demo_paths(settings.paths)
    # Persistent, on last session's ports: earlier demo results still preview, unfinished
    # demo jobs finish.
    emulator = start_demo(paths.data_dir / "emulator")
    try:
        yield replace(
            settings.with_urls(**emulator.urls),
            key=DEMO_KEY,
            key_source="demo",
            demo=True,
            paths=paths,
        )
    finally:
        emulator.stop()
