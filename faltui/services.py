"""The one builder of a session's services, used by the CLI and the TUI alike.

A session is: the settings (with ``--demo`` they point at the local emulator the CLI started),
one fal client (one connection pool), the model catalog, the job journal, the job manager, the
outputs service (downloads and previews on its own keyless client), unit prices and the spend
tracker (with the budget), the presets, and the local library (with its auto-download).
Nothing else constructs these, so both faces of faltui talk to fal the same way.

Each member is made on first use: ``faltui models`` never opens the journal (a journal locked
by another process cannot slow it down), ``faltui status`` never reads today's spend. The TUI
calls ``open_all`` once its first frame is drawn, so that every set-up problem is reported at
start — all but the fal client, which is made when first used (httpx and the TLS certificates
take ~0.1 s that showing the journal's jobs does not need).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from faltui.core.config import Settings
from faltui.core.errors import ConfigError, FaltuiError
from faltui.core.job import EventCallback, JobEvent

if TYPE_CHECKING:  # the members' modules are imported when each is made (start-up time)
    import httpx

    from faltui.core.budget import Budget
    from faltui.core.catalog import Catalog
    from faltui.core.client import FalClient
    from faltui.core.jobs import JobManager
    from faltui.core.journal import Journal
    from faltui.core.library import AutoDownloader, Library, LibraryConfig
    from faltui.core.outputs import Outputs
    from faltui.core.presets import PresetStore
    from faltui.core.prices import PriceBook
    from faltui.core.spend import SpendTracker

#: Told of each set-up problem once, when it happens (the CLI prints it on stderr).
ProblemCallback = Callable[[str], None]

#: The members in the order ``open_all`` makes them (also the order problems are reported in).
MEMBERS = (
    "client",
    "catalog",
    "journal",
    "jobs",
    "outputs",
    "prices",
    "budget",
    "spend",
    "presets",
    "library_config",
    "library",
    "auto_download",
)


class _SessionHttp:
    """The session client's HTTP pool for the price book, made only when prices are fetched
    (``get_prices`` takes anything with an ``.http`` client)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    @property
    def http(self) -> httpx.AsyncClient:
        return self._services.client.http


class _ClientOnFirstUse:
    """Stands for the session's fal client in the job manager: the client is made when the
    manager first uses it (a submit, a status check), not when the manager is made."""

    def __init__(self, services: Services) -> None:
        self._services = services
        #: The client's settings, which the manager reads when it is made.
        self.settings = services.settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self._services.client, name)


class Services:
    """Everything a session talks to fal and to disk with, each made on first use.

    ``on_event`` is the job manager's event callback (the CLI's progress printer; the TUI
    sets ``jobs.on_event`` itself). ``on_problem`` is told of each entry of ``problems`` as
    it is added.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        on_event: EventCallback | None = None,
        on_problem: ProblemCallback | None = None,
    ) -> None:
        self.settings = settings
        self.on_event = on_event
        self.on_problem = on_problem
        #: What could not be set up (e.g. the journal), for the user to be told.
        self.problems: list[str] = []
        #: Why today's spend could not be read from the journal (it then counts only the jobs
        #: seen since), or None. A budget check that must not guess refuses on it.
        self.spend_error: FaltuiError | None = None
        #: When the session started: its own jobs are the ones the per-session budget counts.
        self.started_at = time.time()

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        if self.on_problem is not None:
            self.on_problem(text)

    def made(self, member: str) -> bool:
        """True when ``member`` (one of ``MEMBERS``) has been made."""
        return member in self.__dict__

    def open(self, *members: str) -> None:
        """Make ``members`` (names from ``MEMBERS``) now, e.g. to report their problems first."""
        for member in members:
            if member not in MEMBERS:
                raise ValueError(f"no such service: {member!r}")
            getattr(self, member)

    def open_all(self, *, skip: Iterable[str] = ()) -> None:
        """Make every member now but those in ``skip`` (the TUI, after its first frame: the
        problems are reported at start; it skips the client, which the job manager makes
        when it first needs it)."""
        skipped = set(skip)
        self.open(*(member for member in MEMBERS if member not in skipped))

    # -- members ---------------------------------------------------------------------------

    @cached_property
    def client(self) -> FalClient:
        """The fal client: one connection pool for the session."""
        from faltui.core.client import FalClient

        client = FalClient(self.settings)
        if self.made("jobs"):  # the manager held a stand-in until now: it gets the client itself
            self.jobs.client = client
        return client

    @cached_property
    def catalog(self) -> Catalog:
        """Models and schemas (the client's pool, made only when the catalog goes online)."""
        from faltui.core.catalog import Catalog

        return Catalog(self.settings, lambda: self.client.http)

    @cached_property
    def journal(self) -> Journal:
        """The job journal. It fails closed: a damaged one is repaired on opening (what was
        kept goes to ``problems``), and one that cannot be written makes the job manager
        refuse to submit (``JobManager.journal_problem`` says why). Jobs never run
        unrecorded."""
        from faltui.core.journal import Journal

        try:
            journal = Journal(self.settings.paths.journal_file)
        except Exception as exc:  # never raised for damage; anything else still refuses submits
            journal = Journal.unavailable(
                self.settings.paths.journal_file, f"the job journal cannot be opened ({exc})"
            )
        if journal.notice:
            self._problem(journal.notice)
        return journal

    @cached_property
    def jobs(self) -> JobManager:
        """The job manager (journaled). The spend tracker and the auto-download see its
        events once they are made. It makes the client when it first talks to fal."""
        from faltui.core.jobs import JobManager

        jobs = JobManager(
            cast("FalClient", _ClientOnFirstUse(self)),
            journal=self.journal,
            max_active=self.settings.max_active_jobs,
            on_event=self.on_event,
        )

        def observe(event: JobEvent) -> None:
            if self.made("spend"):
                self.spend.observe(event.job)
            if self.made("auto_download"):
                self.auto_download.observe(event)

        jobs.listeners.append(observe)
        return jobs

    @cached_property
    def outputs(self) -> Outputs:
        """Downloads, saves and previews of result files (a keyless client of its own)."""
        from faltui.core.outputs import Outputs

        return Outputs.from_settings(self.settings)

    @cached_property
    def prices(self) -> PriceBook:
        """Unit prices (cached); ``prices.fetch([...])`` before an estimate."""
        from faltui.core.prices import PriceBook

        return PriceBook.for_settings(self.settings, _SessionHttp(self))

    @cached_property
    def budget(self) -> Budget:
        """The ``[budget]`` of the config (none applied, with a problem, when it is wrong)."""
        from faltui.core.budget import Budget

        try:
            return Budget.from_config(self.settings.raw)
        except ConfigError as exc:
            self._problem(f"{exc} (no budget is applied)")
            return Budget()

    @cached_property
    def spend(self) -> SpendTracker:
        """Today's and this session's spend, job costs, estimates and the budget check.

        Made from the journal's recent jobs and every job the manager already tracks."""
        from faltui.core.spend import SpendTracker, start_of_day

        tracker = SpendTracker(self.prices, self.budget, session_start=self.started_at)
        try:
            tracker.load(self.journal.since(start_of_day(time.time()) - 86_400))
        except FaltuiError as exc:
            self.spend_error = exc
            self._problem(f"today's spend could not be read from the journal ({exc})")
        if self.made("jobs"):
            for job in self.jobs.jobs():
                tracker.observe(job)
        return tracker

    @cached_property
    def presets(self) -> PresetStore:
        """Named inputs per model."""
        from faltui.core.presets import PresetStore

        return PresetStore.in_config(self.settings.paths.config_dir)

    @cached_property
    def library_config(self) -> LibraryConfig:
        """The ``[library]`` of the config (the defaults, with a problem, when it is wrong)."""
        from faltui.core.library import LibraryConfig

        try:
            return LibraryConfig.from_config(self.settings.raw, demo=self.settings.demo)
        except ConfigError as exc:
            self._problem(f"{exc} (outputs are not saved automatically)")
            return LibraryConfig()

    @cached_property
    def library(self) -> Library:
        """The local library of finished jobs' outputs."""
        from faltui.core.library import Library

        return Library(self.settings.paths.download_dir, self.outputs, prices=self.prices)

    @cached_property
    def auto_download(self) -> AutoDownloader:
        """Saves each job that finishes ``done`` into the library when ``enabled`` (from when
        it is made: ``open_all`` makes it at the start of a TUI session)."""
        from faltui.core.library import AutoDownloader

        return AutoDownloader(self.library, enabled=self.library_config.auto_download)

    # -- closing ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close what was made: stop tracking jobs and saving to the library, then close the
        connection pools, then the journal. A failure closing one does not skip the others;
        the first is raised after all were closed."""
        failures: list[Exception] = []
        for member in ("jobs", "auto_download", "client", "outputs"):
            if self.made(member):
                try:
                    await getattr(self, member).aclose()
                except Exception as exc:
                    failures.append(exc)
        if self.made("journal"):
            try:
                self.journal.close()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]


def build_services(
    settings: Settings,
    *,
    on_event: EventCallback | None = None,
    on_problem: ProblemCallback | None = None,
) -> Services:
    """A session's services for its settings; each is made on first use (see ``Services``)."""
    return Services(settings, on_event=on_event, on_problem=on_problem)
