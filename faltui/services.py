"""The one builder of a session's services, used by the CLI and the TUI alike.

A session is: the settings (with ``--demo`` they point at the local emulator the CLI started),
one fal client (one connection pool), the model catalog, the job journal, the job manager, the
outputs service (downloads and previews on its own keyless client), unit prices and the spend
tracker (with the budget), the presets, and the local library (with its auto-download).
Nothing else constructs these, so both faces of faltui talk to fal the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from faltui.core.budget import Budget
from faltui.core.catalog import Catalog
from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.errors import ConfigError, FaltuiError
from faltui.core.job import EventCallback, JobEvent
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal
from faltui.core.library import AutoDownloader, Library, LibraryConfig
from faltui.core.outputs import Outputs
from faltui.core.presets import PresetStore
from faltui.core.prices import PriceBook
from faltui.core.spend import SpendTracker, start_of_day


@dataclass
class Services:
    """Everything a session talks to fal and to disk with."""

    settings: Settings
    client: FalClient
    catalog: Catalog
    jobs: JobManager
    journal: Journal | None
    outputs: Outputs
    #: Unit prices (cached); ``prices.fetch([...])`` before an estimate.
    prices: PriceBook
    #: Today's and this session's spend, job costs, estimates and the budget check.
    spend: SpendTracker
    #: Named inputs per model.
    presets: PresetStore
    #: The local library of finished jobs' outputs.
    library: Library
    #: Saves each job that finishes ``done`` into the library when ``enabled``.
    auto_download: AutoDownloader
    #: What could not be set up (e.g. the journal), for the user to be told.
    problems: list[str] = field(default_factory=list)

    async def aclose(self) -> None:
        """Stop tracking jobs and saving to the library, close the connection pools and the
        journal."""
        try:
            await self.jobs.aclose()
            await self.auto_download.aclose()
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
    prices = PriceBook.for_settings(settings, client)
    try:
        budget = Budget.from_config(settings.raw)
    except ConfigError as exc:
        problems.append(f"{exc} (no budget is applied)")
        budget = Budget()
    spend = SpendTracker(prices, budget)
    try:
        spend.load(journal.since(start_of_day(time.time()) - 86_400))
    except FaltuiError as exc:
        problems.append(f"today's spend could not be read from the journal ({exc})")
    try:
        library_config = LibraryConfig.from_config(settings.raw, demo=settings.demo)
    except ConfigError as exc:
        problems.append(f"{exc} (outputs are not saved automatically)")
        library_config = LibraryConfig()
    library = Library(settings.paths.download_dir, outputs, prices=prices)
    auto = AutoDownloader(library, enabled=library_config.auto_download)

    def observe(event: JobEvent) -> None:
        spend.observe(event.job)
        auto.observe(event)

    jobs.listeners.append(observe)
    presets = PresetStore.in_config(settings.paths.config_dir)
    return Services(
        settings,
        client,
        catalog,
        jobs,
        journal,
        outputs,
        prices,
        spend,
        presets,
        library,
        auto,
        problems,
    )
