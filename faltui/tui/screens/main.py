"""The main screen: it owns the four panes, their layout, and the traffic between them.

Panes: model browser | parameter form | jobs table over results. At 120 columns and more they
sit side by side; narrower, one pane shows at a time (``1``–``4`` or the tab bar switch).

The job table's cursor is the one answer to "which job": Results shows the highlighted job,
and every key that acts on "the job" acts on that one. Job events from the core only mark jobs
dirty; a 10 Hz timer pushes them to the widgets in one batch, so a thousand busy jobs cost ten
table updates a second, not thousands.

Trust: when no journal can be written, a banner under the status line says so and submits,
×N and re-runs are refused (nothing is sent unrecorded). A job whose submit outcome is unknown
(it may have run on fal) is reconciled through fal's request history — automatically at start,
and on request (``R`` on the job, or the palette) — and the outcome is reported.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from functools import cached_property, partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.events import DescendantFocus, Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, Tab, Tabs, TextArea
from textual.worker import Worker, WorkerState

from faltui.core.catalog import ModelInfo, rank
from faltui.core.errors import (
    ApiError,
    ApiValidationError,
    FaltuiError,
    MissingKeyError,
    NotFoundError,
    ValidationFailed,
)
from faltui.core.job import Job, JobEvent, JobState
from faltui.core.journal import JournalUnavailable
from faltui.core.outputs import DownloadProgress, find_saveables
from faltui.core.pricing import Price, describe_cost, get_prices
from faltui.core.schema import EndpointSchema, PreparedInput
from faltui.core.state import AppState
from faltui.services import Services
from faltui.tui import commands as palette
from faltui.tui.format import literal_text, one_line, prompt_snippet
from faltui.tui.job_cells import cost_cell
from faltui.tui.pane_sizes import PaneSizes
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.param_form import ParamForm
from faltui.tui.widgets.results import ResultsPane, notify_report, progress_line
from faltui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:  # the dialogs, sweeps, presets, send-to and history tools load when first used
    from faltui.core.presets import Preset
    from faltui.core.reconcile import ReconcileResult
    from faltui.core.sweep_run import SweepRun
    from faltui.tui.preset_flow import PresetFlow
    from faltui.tui.screens.sweep import SweepRequest
    from faltui.tui.send_flow import SendFlow

#: Width (columns) from which the panes sit side by side.
WIDE_COLUMNS = 120
#: Seconds between flushes of changed jobs to the widgets.
FLUSH_INTERVAL = 0.1
#: How many finished jobs of earlier sessions the job table shows at start.
HISTORY_LIMIT = 500
#: Days of fal's request history the palette's import brings in.
IMPORT_DAYS = 7
#: Job states after which a job submitted from the form reports back.
_REPORTED = frozenset(
    {JobState.failed, JobState.done, JobState.cancelled, JobState.lost, JobState.unknown}
)
#: Seconds between checks of the journal (its problem can appear or clear at any time).
JOURNAL_CHECK_INTERVAL = 1.0
#: Reconcile outcomes listed one by one in a notification (the rest are counted).
RECONCILE_LINES = 4
#: Title of every notice that a submit was refused for want of a journal.
JOURNAL_REFUSED = "Not submitted: no job journal"

#: ``report(message, title, severity)``: tell the user about a problem (and remember it).
Reporter = Callable[[str, str, str], None]


class MainScreen(Screen[None]):
    """Models, parameters, jobs and results, wired to a session's services."""

    COMMANDS: ClassVar = {palette.ModelCommands, palette.ActionCommands}

    BINDINGS: ClassVar = [
        # Priority, so that lists and selects that read typed letters do not swallow it; it
        # stands back while a text field has focus (a prompt or an id may hold a "/").
        Binding("slash", "search", "Search", id="search", priority=True),
        Binding("ctrl+s,ctrl+j", "submit", "Submit", id="submit", priority=True),
        Binding("ctrl+b", "submit_many", "Submit ×N", id="submit_many", priority=True),
        Binding("f6", "sweep", "Sweep…", id="sweep", priority=True),
        Binding("escape", "back", "Back to models", show=False, id="back"),
        Binding("ctrl+r", "toggle_raw_json", "Raw JSON", show=False, id="raw"),
        # Results has its own t (the selected output first); this one serves the jobs pane.
        Binding("t", "send_to", "Send to model", show=False, id="send"),
        Binding("ctrl+o", "save_preset", "Save preset", show=False, id="preset.save"),
        Binding("ctrl+g", "apply_preset", "Apply preset", show=False, id="preset.apply"),
        Binding("1", "pane('models')", "Go to models", show=False, id="pane.models"),
        Binding("2", "pane('form')", "Go to parameters", show=False, id="pane.form"),
        Binding("3", "pane('jobs')", "Go to jobs", show=False, id="pane.jobs"),
        Binding("4", "pane('results')", "Go to results", show=False, id="pane.results"),
        # Pane sizes (side by side only; remembered). In a text field ctrl+←/→ move by word.
        Binding("ctrl+right", "resize_pane(1)", "Widen pane", show=False, id="pane.wider"),
        Binding("ctrl+left", "resize_pane(-1)", "Narrow pane", show=False, id="pane.narrower"),
        Binding("ctrl+down", "resize_pane(1, True)", "Taller pane", show=False, id="pane.taller"),
        Binding("ctrl+up", "resize_pane(-1, True)", "Shorter pane", show=False, id="pane.shorter"),
        # The same from inside a text field, where a bare digit is typed. (Not alt+digit:
        # Textual reads ESC+digit as the macOS Option characters ¡™£¢.)
        *(
            Binding(
                f"f{n + 1}",
                f"pane('{pane}')",
                title,
                show=False,
                id=f"pane.{pane}.fkey",
                priority=True,
            )
            for n, pane, title in (
                (1, "models", "Go to models"),
                (2, "form", "Go to parameters"),
                (3, "jobs", "Go to jobs"),
                (4, "results", "Go to results"),
            )
        ),
    ]

    PANE_TITLES: ClassVar[dict[str, str]] = {
        "models": "Models",
        "form": "Parameters",
        "jobs": "Jobs",
        "results": "Results",
    }

    def __init__(self, services: Services, state: AppState, report: Reporter) -> None:
        super().__init__()
        self.services = services
        self.settings = services.settings
        self.state = state
        self.report = report
        self.current_model: ModelInfo | None = None
        self.current_schema: EndpointSchema | None = None
        self.current_price: Price | None = None
        self.active_pane = "models"
        #: Whether the tab bar (mounted when first needed) has made its first activation.
        self._tab_bar_activated = False
        self.narrow = False
        self._dirty: dict[str, Job] = {}
        self._form_jobs: set[str] = set()
        self._follow: str | None = None
        #: The job Results is to show next, when one is asked for (``_on_job_highlighted``).
        self._result_pending = False
        self._result_job: str | None = None
        #: The state each job had when the status line last counted them.
        self._counted_states: dict[str, JobState] = {}
        #: Job id → the ids of its ×N batch (this session's submits), for the contact sheet.
        self._batches: dict[str, tuple[str, ...]] = {}
        self.quitting_when_done = False
        #: The count last asked for in the ×N dialog (offered again next time).
        self.last_count = 4
        #: The fields last swept in the sweep dialog (offered again next time).
        self.last_sweep_spec: str | None = None
        #: Sweeps sent this session, by id (their grids show cells not sent yet).
        self.sweeps: dict[str, SweepRun] = {}
        self.sizes = PaneSizes(state.layout)
        #: Local ids of the jobs whose request is being looked up in fal's history now.
        self.reconciling: set[str] = set()
        self._banner_shown: str | None = None
        #: Endpoints whose unit price was asked for (for the cost column and the spend).
        self._priced: set[str] = set()
        #: Set by ``start_session`` (after the first frame): the workers that load the jobs
        #: and talk to fal wait for it.
        self.session_open = asyncio.Event()

    # -- the panes -----------------------------------------------------------------------

    @cached_property
    def send_flow(self) -> SendFlow:
        """Sending a job's outputs to another model (made on first use)."""
        from faltui.tui.send_flow import SendFlow

        return SendFlow(self)

    @cached_property
    def preset_flow(self) -> PresetFlow:
        """Saving and applying presets (made on first use)."""
        from faltui.tui.preset_flow import PresetFlow

        return PresetFlow(self)

    def compose(self) -> ComposeResult:
        yield StatusBar(self.settings, id="status")
        yield Static("", id="journal-banner", markup=False)
        # The tab bar (narrow terminals only) is mounted here when first needed: _tab_bar.
        with Horizontal(id="main"):
            with Vertical(id="pane-models", classes="pane"):
                yield ModelBrowser(state=self.state, id="browser")
            with Vertical(id="pane-form", classes="pane"):
                yield ParamForm(id="form", drafts=self.state)
            with Vertical(id="right"):
                with Vertical(id="pane-jobs", classes="pane"):
                    yield JobTable(
                        id="jobs",
                        export_dir=self.settings.paths.download_dir,
                        cost_of=self._cost_cell,
                    )
                with Vertical(id="pane-results", classes="pane"):
                    yield ResultsPane(self.services.outputs, id="results")
        yield Footer()

    @property
    def browser(self) -> ModelBrowser:
        """The model browser pane."""
        return self.query_one(ModelBrowser)

    @property
    def form(self) -> ParamForm:
        """The parameter form pane."""
        return self.query_one(ParamForm)

    @property
    def job_table(self) -> JobTable:
        """The jobs pane."""
        return self.query_one(JobTable)

    @property
    def results(self) -> ResultsPane:
        """The results pane."""
        return self.query_one(ResultsPane)

    @property
    def status_bar(self) -> StatusBar:
        """The status line."""
        return self.query_one(StatusBar)

    def pane_widget(self, pane: str) -> Widget:
        """The container of a pane."""
        return self.query_one(f"#pane-{pane}")

    def on_mount(self) -> None:
        for number, (pane, title) in enumerate(self.PANE_TITLES.items(), 1):
            self.pane_widget(pane).border_title = Content(f"{number} {title}")
        self.results.is_reconciling = self.is_reconciling
        self.job_table.rows.reconciling = self.is_reconciling
        try:
            self.browser.set_models(self.services.catalog.local_models())
        except (FaltuiError, OSError, ValueError) as exc:
            self._problem(f"Could not read the bundled model catalog: {exc}")
        self._apply_layout(self.app.size.width)
        self.browser.focus_search()
        # Started now (so that waiting for the workers waits for them), they begin once the
        # session is open: after the first frame.
        if self.settings.key:
            self._stream_live_models()
        self._resume_jobs()

    def start_session(self) -> None:
        """Follow the session's jobs: the journal's banner, the jobs of earlier sessions (and
        the unfinished ones resumed), the live catalog. The app calls it once the first frame
        is drawn and the services are open."""
        self.check_journal()
        self.set_interval(JOURNAL_CHECK_INTERVAL, self.check_journal)
        self.services.jobs.on_event = self._on_job_event
        self.set_interval(FLUSH_INTERVAL, self.flush_jobs)
        self.session_open.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``/`` goes to a focused text field as a character, in the jobs pane to the job
        search (the job list's own ``/``), elsewhere it opens the model search."""
        if action != "search":
            return True
        focused = self.focused
        if isinstance(focused, (Input, TextArea)):
            return False
        return focused is None or self.job_table not in focused.ancestors_with_self

    def _cost_cell(self, job: Job) -> str:
        """The job list's cost column for ``job``."""
        return cost_cell(self.services.spend.cost_of(job))

    def _problem(self, message: str, *, title: str = "faltui", severity: str = "warning") -> None:
        self.report(message, title, severity)

    # -- layout --------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        narrow = width < WIDE_COLUMNS
        self.narrow = narrow
        self.set_class(narrow, "-narrow")
        tabs = self._tab_bar(create=narrow)
        if tabs is not None:
            tabs.display = narrow
        self._apply_sizes()
        self._show_pane(self.active_pane)

    def _apply_sizes(self) -> None:
        """The remembered shares side by side; narrow, the stylesheet's one-pane layout."""
        shares = self.sizes.shares
        for name, widget, axis in (
            ("models", self.pane_widget("models"), "width"),
            ("form", self.pane_widget("form"), "width"),
            ("right", self.query_one("#right"), "width"),
            ("jobs", self.pane_widget("jobs"), "height"),
            ("results", self.pane_widget("results"), "height"),
        ):
            value = None if self.narrow else f"{shares[name]}fr"
            setattr(widget.styles, axis, value)

    def action_resize_pane(self, step: int, height: bool = False) -> None:
        """Grow (``step`` 1) or shrink (-1) the focused pane's width, or with ``height`` the
        jobs/results split; the sizes are remembered."""
        if self.narrow:
            self.notify("One pane at a time here: widen the terminal to resize panes.")
            return
        pane = self.active_pane
        changed = self.sizes.grow(pane, step, height=height)
        if changed is None:
            what = "height" if height else "width"
            if height and pane not in ("jobs", "results"):
                self.notify("ctrl+↑/↓ resize the jobs and results panes.", markup=False)
            else:
                self.notify(f"The {self.PANE_TITLES[pane]} pane's {what} is at its limit.")
            return
        self._apply_sizes()
        self.state.layout = dict(self.sizes.shares)
        self._save_state()

    def reset_layout(self) -> None:
        """Back to the default pane sizes (remembered)."""
        self.sizes = PaneSizes()
        self.state.layout = {}
        self._apply_sizes()
        self._save_state()
        self.notify("Pane sizes reset.", markup=False)

    def _show_pane(self, pane: str) -> None:
        focused = self.focused
        if self.narrow and focused is not None and self._pane_of(focused) not in (None, pane):
            # Its pane is about to be hidden. Let go of the focus first: hidden, the widget
            # would hand it to a sibling hidden with it, whose focus would bring its pane
            # back (``on_descendant_focus``), and the pane asked for could end up without
            # focus at all. The caller focuses the pane shown.
            self.set_focus(None)
        self.active_pane = pane
        for name in self.PANE_TITLES:
            self.pane_widget(name).display = (not self.narrow) or name == pane
        self.query_one("#right").display = (not self.narrow) or pane in ("jobs", "results")
        self._sync_tab_bar()

    def _sync_tab_bar(self) -> None:
        """Show the active pane's tab as active (once the tab bar is mounted)."""
        tabs = self._tab_bar()
        wanted = f"tab-{self.active_pane}"
        if tabs is not None and tabs.is_mounted and tabs.active != wanted:
            with tabs.prevent(Tabs.TabActivated):
                tabs.active = wanted

    def _tab_bar(self, *, create: bool = False) -> Tabs | None:
        """The narrow layout's tab bar; with ``create``, mounted under the journal banner if
        it is not there yet (wide terminals never show it: composing it up front cost
        start-up time)."""
        try:
            return self.query_one("#pane-tabs", Tabs)
        except NoMatches:
            if not create:
                return None
        tabs = Tabs(
            *(
                Tab(f"{i} {t}", id=f"tab-{p}")
                for i, (p, t) in enumerate(self.PANE_TITLES.items(), 1)
            ),
            active=f"tab-{self.active_pane}",
            id="pane-tabs",
        )
        tabs.can_focus = False
        self.mount(tabs, after="#journal-banner")
        return tabs

    def action_pane(self, pane: str) -> None:
        """Show (when narrow) and focus a pane."""
        if pane not in self.PANE_TITLES:
            return
        was_hidden = self.narrow and pane != self.active_pane
        self._show_pane(pane)
        if was_hidden:  # a pane just made visible can take focus after the next refresh
            self.call_after_refresh(self._focus_pane, pane)
        else:  # at once, so keys typed right after land in the right place
            self._focus_pane(pane)

    def _focus_pane(self, pane: str) -> None:
        if pane == "models":
            self.browser.focus_list()
            return
        container = self.pane_widget(pane)
        if pane == "form" and self.form.focus_resume():  # back to the field last used
            return
        for widget in container.query("*"):
            if widget.focusable:
                self.set_focus(widget)
                return
        self.set_focus(container)  # nothing focusable yet: at least leave the old pane

    @on(Tabs.TabActivated, "#pane-tabs")
    def _on_tab(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if not self._tab_bar_activated:
            # The bar's own activation as it mounts: it shows the pane shown, not a choice.
            self._tab_bar_activated = True
            self._sync_tab_bar()
            return
        pane = (event.tab.id or "").removeprefix("tab-") if event.tab is not None else ""
        if pane and pane != self.active_pane:
            self.action_pane(pane)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        # Keep the tab bar and the active pane in step with the focus (tab key, clicks).
        name = self._pane_of(event.widget)
        if name is not None and name != self.active_pane:
            self._show_pane(name)

    def _pane_of(self, widget: Widget) -> str | None:
        """The pane holding ``widget`` (None: in none of them)."""
        for name in self.PANE_TITLES:
            if self.pane_widget(name) in widget.ancestors_with_self:
                return name
        return None

    def panes(self) -> list[tuple[str, Widget]]:
        """Each pane's title and container (for the help screen)."""
        return [(title, self.pane_widget(pane)) for pane, title in self.PANE_TITLES.items()]

    # -- models --------------------------------------------------------------------------

    def known_models(self) -> list[ModelInfo]:
        """Every model the browser knows (bundled and live)."""
        return self.browser.models

    def rank_models(
        self, models: list[ModelInfo], query: str, category: str | None = None
    ) -> list[ModelInfo]:
        """The catalog's ranking (fuzzy on id, name, category and tags)."""
        return rank(models, query, category)

    @work(group="catalog", exclusive=True, exit_on_error=False)
    async def _stream_live_models(self) -> None:
        await self.session_open.wait()
        status = self.status_bar
        status.set_busy("fetching live model list…")
        added = 0
        try:
            async for page in self.services.catalog.iter_models():
                added += self.browser.add_models(page)
        except FaltuiError as exc:
            self.notify(
                f"Live model list unavailable ({exc}); showing the bundled catalog.",
                severity="warning",
                markup=False,
            )
        finally:
            status.set_busy(None)
        if added:
            self.notify(f"{added} more models from fal's live catalog.", markup=False)

    @on(ModelBrowser.Chosen)
    def _on_model_chosen(self, message: ModelBrowser.Chosen) -> None:
        self.choose_model(message.model)

    @on(ModelBrowser.FavouriteToggled)
    def _on_favourite_toggled(self, message: ModelBrowser.FavouriteToggled) -> None:
        if message.error:
            self._problem(message.error)

    def choose_model(self, model: ModelInfo) -> None:
        """Make a model current: remember it and load its schema into the form."""
        self.current_model = model
        self.state.touch_recent(model.endpoint_id)
        self._save_state()
        self.status_bar.set_model(model.endpoint_id)
        form_pane = self.pane_widget("form")
        name = one_line(model.display_name, 200) or one_line(model.endpoint_id, 200)
        form_pane.border_title = Content(f"2 {name}")
        form_pane.border_subtitle = Content(one_line(model.endpoint_id, 200))
        self._load_schema(model)
        self.current_price = None
        self.status_bar.set_price(None)
        if self.settings.key:
            self._load_price(model.endpoint_id)

    @work(group="price", exclusive=True, exit_on_error=False)
    async def _load_price(self, endpoint_id: str) -> None:
        """Fetch the model's unit price for the status line and the ×N estimate."""
        try:
            prices = await get_prices(self.services.client, self.settings, [endpoint_id])
        except FaltuiError:  # prices are a nicety: no price, no line
            return
        price = next((p for p in prices if p.endpoint_id == endpoint_id), None)
        if price is not None:
            self.services.prices.put(price)  # the budget check and the costs use it too
        model = self.current_model
        if price is None or model is None or model.endpoint_id != endpoint_id:
            return
        self.current_price = price
        self.status_bar.set_price(price.describe())

    @work(group="schema", exclusive=True, exit_on_error=False)
    async def _load_schema(self, model: ModelInfo) -> None:
        form = self.form
        form.loading = True
        try:
            schema = await self.services.catalog.get_schema(model.endpoint_id)
        except NotFoundError:
            # No published schema: the model can still run with an input written as JSON.
            schema = EndpointSchema.free_form(model.endpoint_id)
            self.notify(
                f"{model.endpoint_id} publishes no parameter schema here. Write its input as "
                "JSON in the raw view (ctrl+r); nothing is checked before submit.",
                title="No schema",
                severity="warning",
                markup=False,
            )
        except FaltuiError as exc:
            form.loading = False
            self._problem(
                f"Could not load the parameters of {model.endpoint_id}: {exc}",
                title="Schema unavailable",
                severity="error",
            )
            return
        if self.current_model is not model:
            return  # the user chose another model meanwhile
        self.current_schema = schema
        form.loading = False
        form.load(schema)  # from the model's draft (or a queued fork), else the defaults
        self._show_pane("form")
        # The form mounts its editors asynchronously: focus the first one once they exist
        # and have been laid out (a pane shown just now has no size before that).
        await form.settled()
        self.call_after_refresh(self._focus_pane, "form")

    # -- submitting ----------------------------------------------------------------------

    # -- the journal -----------------------------------------------------------------------

    @property
    def journal_problem(self) -> str | None:
        """Why no job can be journaled right now (then nothing may be submitted), or None."""
        return self.services.jobs.journal_problem

    def check_journal(self) -> None:
        """Show, change or hide the banner saying that submits are refused, and why."""
        problem = self.journal_problem
        if problem == self._banner_shown:
            return
        self._banner_shown = problem
        banner = self.query_one("#journal-banner", Static)
        banner.set_class(problem is not None, "-shown")
        if problem is None:
            banner.update("")
            return
        text = Text("⚠ Submitting is refused: ", style="bold", end="")
        text.append_text(literal_text(problem, multiline=True))
        text.append(
            ". Nothing is sent that the journal could not record; jobs already on fal are "
            "still tracked. Fix it and restart faltui (help, f1, lists what happened)."
        )
        banner.update(text)

    def submit_refusal(self) -> str | None:
        """The reason a submit is refused before anything is tried, or None.

        Refused when no journal can be written this session. When the journal may recover (a
        lock another process holds, a full disk), the submit is tried: the core writes the job
        first and refuses, sending nothing, if it still cannot.
        """
        problem = self.journal_problem
        journal = self.services.jobs.journal
        if problem is None or (journal is not None and journal.retries):
            return None
        return problem

    def _refuse_for_journal(self, problem: str) -> None:
        self.check_journal()
        self.notify(problem, title=JOURNAL_REFUSED, severity="error", markup=False)

    def _can_submit(self) -> bool:
        refusal = self.submit_refusal()
        if refusal is not None:
            self._refuse_for_journal(refusal)
            return False
        if not self.settings.key:
            self.notify(
                str(MissingKeyError()), title="No fal API key", severity="error", markup=False
            )
            return False
        if self.current_model is None or self.current_schema is None:
            self.notify("Choose a model first (/ to search, enter to choose).", markup=False)
            return False
        return True

    def action_submit(self) -> None:
        """Submit the form once."""
        self._after_typed_keys(self._submit_once)

    def _submit_once(self) -> None:
        if self._can_submit():
            self.form.request_submit(1)

    def _after_typed_keys(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the focused field has taken the keys sent to it already.

        The submit keys are bindings with priority: they run as soon as they arrive, while
        the characters typed just before them (pasted, or typed ahead in one burst) may still
        wait in the field's queue. Queued behind them, the submit reads the whole text.
        """
        focused = self.focused
        if focused is None:
            callback()
        else:
            focused.call_later(callback)

    def action_submit_many(self) -> None:
        """Ask for N, then submit the form N times (seeds varied)."""
        self._after_typed_keys(self._ask_count_and_submit)

    def _ask_count_and_submit(self) -> None:
        from faltui.tui.screens.count import CountScreen

        if not self._can_submit():
            return

        def chosen(count: int | None) -> None:
            if count:
                self.last_count = count
                self.form.request_submit(count)

        self.app.push_screen(CountScreen(self.last_count, cost=self._cost_of), chosen)

    def _cost_of(self, count: int) -> str | None:
        """What ``count`` submissions of the form would cost, when fal published a price."""
        price = self.current_price
        model = self.current_model
        if price is None or model is None or price.endpoint_id != model.endpoint_id:
            return None
        text = describe_cost(price, self.form.values(), count)
        if self.services.budget.active:
            tracker = self.services.spend
            estimate = tracker.estimate(
                model.endpoint_id, self.form.values(), count, self.current_schema
            )
            shares = tracker.budget_check(estimate).shares
            text += "".join(f"\nbudget {share.text()}" for share in shares)
        return text

    @on(ParamForm.Submit)
    def _on_form_submit(self, message: ParamForm.Submit) -> None:
        message.stop()
        if self._can_submit():
            self._submit_within_budget(message.endpoint_id, message.prepared, message.count)

    @work(group="budget", exit_on_error=False)
    async def _submit_within_budget(
        self, endpoint_id: str, prepared: PreparedInput, count: int
    ) -> None:
        """Submit, after asking when the estimate would pass the ``[budget]``."""
        from faltui.tui.screens.confirm import ConfirmScreen

        services = self.services
        if services.budget.active:
            if services.spend_error is not None:
                self.notify(
                    f"{services.spend_error}; with a budget set nothing is sent on a guess.",
                    title="Not submitted",
                    severity="error",
                    markup=False,
                )
                return
            tracker = services.spend
            await services.prices.fetch({endpoint_id, *tracker.endpoint_ids})
            estimate = tracker.estimate(endpoint_id, prepared.payload, count, self.current_schema)
            check = tracker.budget_check(estimate)
            if not check.ok:
                question = f"Submit anyway? {check.reason[:1].upper()}{check.reason[1:]}."
                details = "\n".join(
                    [f"estimate: {estimate.text()}", *(share.text() for share in check.shares)]
                )
                dialog = ConfirmScreen("Budget", question, details, yes="submit anyway")
                if not await self.app.push_screen_wait(dialog):
                    self.notify("Not submitted (budget).", markup=False)
                    return
        self._submit(endpoint_id, prepared, count)

    @work(group="submit", exit_on_error=False)
    async def _submit(self, endpoint_id: str, prepared: PreparedInput, count: int) -> None:
        cursor_before = self.job_table.selected_job_id
        try:
            parent_id = self.send_flow.parent_for(endpoint_id, prepared.payload)
            jobs = await self.services.jobs.submit_many(
                endpoint_id, prepared, count, parent_id=parent_id
            )
        except ValidationFailed as exc:
            self.form.mark_errors(exc.errors)
            self.notify(str(exc), title="Input not valid", severity="error", markup=False)
            return
        except ApiValidationError as exc:
            self.form.mark_errors(exc.field_errors)
            self.notify(str(exc), title="fal rejected the input", severity="error", markup=False)
            return
        except JournalUnavailable as exc:  # nothing was sent: the job could not be recorded
            self._refuse_for_journal(str(exc))
            return
        except (ApiError, FaltuiError) as exc:
            self.notify(str(exc), title="Submit failed", severity="error", markup=False)
            return
        finally:
            self.check_journal()
        for job in jobs:
            self._form_jobs.add(job.id)
            self._mark_dirty(job)
        if len(jobs) > 1:
            batch = tuple(job.id for job in jobs)
            self._batches.update(dict.fromkeys(batch, batch))
        note = f"Submitted {len(jobs)} job{'s' if len(jobs) != 1 else ''} to {endpoint_id}"
        if count > 1 and prepared.seed is None:
            note += " (the model has no seed: identical inputs)"
        self.notify(note, markup=False)
        cursor = self.job_table.selected_job_id
        if jobs and (cursor == cursor_before or cursor in {job.id for job in jobs}):
            # The cursor moves to the new job once its row exists, unless the user moved it
            # elsewhere while the jobs were being submitted (a ×N takes a while).
            self._follow = jobs[-1].id

    # -- sweeps --------------------------------------------------------------------------

    def action_sweep(self) -> None:
        """Open the sweep dialog on the form's input; send what it plans, show the grid."""
        self._after_typed_keys(self._open_sweep)

    def _open_sweep(self) -> None:
        from faltui.tui.screens.sweep import SweepScreen

        if not self._can_submit():
            return
        model, schema = self.current_model, self.current_schema
        assert model is not None
        base = self.form.values()

        def chosen(request: SweepRequest | None) -> None:
            if request is not None:
                self.last_sweep_spec = request.spec
                self.start_sweep(request)

        screen = SweepScreen(
            self.services, model.endpoint_id, schema, base, spec=self.last_sweep_spec
        )
        self.app.push_screen(screen, chosen)

    def start_sweep(self, request: SweepRequest) -> SweepRun:
        """Send a planned sweep (priority low, the cap) and show its grid."""
        from faltui.core.sweep_run import SweepRun

        run = SweepRun(
            self.services.jobs,
            request.plan,
            max_in_flight=request.max_in_flight,
            on_job=lambda _, job: self._mark_dirty(job),
        )
        self.sweeps[run.id] = run
        self._send_sweep(run)
        self.show_sweep_grid(run.id)
        return run

    @work(group="sweep", exit_on_error=False)
    async def _send_sweep(self, run: SweepRun) -> None:
        try:
            await run.run()
        except FaltuiError as exc:
            self.notify(
                f"The sweep stopped after {run.sent} of {run.plan.count} jobs: {exc}",
                title="Sweep stopped",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"Sweep {run.id}: sent {run.sent} jobs.", markup=False)

    def show_sweep_grid(self, sweep_id: str) -> None:
        """Show the grid of a sweep (this session's or one rebuilt from the journal)."""
        from faltui.tui.screens.sweep_grid import SweepGridScreen

        run = self.sweeps.get(sweep_id)
        results = self.results
        previews = results.previews_enabled
        screen = SweepGridScreen(
            sweep_id,
            self.services.jobs.jobs,
            expected=run.expected() if run is not None else (),
            cost_of=lambda job: self.services.spend.cost_of(job).text(),
            open_job=self.open_details,
            stop=self._stopper(run) if run is not None else None,
            images=results.images if previews else None,
            image_widget=results.preview_class if previews else None,
        )
        self.app.push_screen(screen)

    @staticmethod
    def _stopper(run: SweepRun) -> Callable[[], int]:
        def stop() -> int:
            left = 0 if run.done.is_set() else run.waiting
            run.stop()
            return left

        return stop

    def show_highlighted_sweep(self) -> None:
        """The grid of the sweep the highlighted job belongs to."""
        job = self.job(self.job_table.selected_job_id)
        if job is None or job.sweep is None:
            from faltui.core.sweep_grid import sweep_jobs

            known = sweep_jobs(self.services.jobs.jobs())
            if not known:
                self.notify("No sweep yet: f6 in the form starts one.", markup=False)
                return
            latest = max(known.values(), key=lambda jobs: jobs[0].created_at)
            self.show_sweep_grid(latest[0].sweep.id if latest[0].sweep else "")
            return
        self.show_sweep_grid(job.sweep.id)

    def action_toggle_raw_json(self) -> None:
        """Switch the form between fields and its raw JSON payload (from any pane)."""
        if self.current_schema is None:
            self.notify("Choose a model first.", markup=False)
            return
        self._show_pane("form")
        self.form.toggle_raw()

    # -- jobs ----------------------------------------------------------------------------

    def _on_job_event(self, event: JobEvent) -> None:
        # Called by the JobManager for every change: only remember; the timer renders.
        self._mark_dirty(event.job)

    def _mark_dirty(self, job: Job) -> None:
        self._dirty[job.id] = job

    def flush_jobs(self) -> None:
        """Push every changed job to the widgets in one batch (runs on a 10 Hz timer)."""
        if not self._dirty or not self.is_attached:
            return
        dirty, self._dirty = self._dirty, {}
        table = self.job_table
        table.upsert(dirty.values())
        states = self._counted_states
        if any(states.get(job.id) is not job.state for job in dirty.values()):
            # Most changes are log lines: count the states of every job only when one moved.
            states.update((job.id, job.state) for job in dirty.values())
            counts = Counter(job.state.value for job in self.services.jobs.jobs())
            self.status_bar.set_counts(counts)
            self.show_spend()
        unpriced = {job.endpoint_id for job in dirty.values()} - self._priced
        if unpriced and self.settings.key:
            self._priced |= unpriced
            self._fetch_prices(unpriced)
        if self._follow is not None and table.select_job(self._follow):
            self._follow = None  # its Highlighted message shows it in Results
        selected = table.selected_job_id
        if selected is not None and (
            selected in dirty or any(j in dirty for j in self._batches.get(selected, ()))
        ):
            self.show_result(selected)
        for job in dirty.values():
            self._report_finished(job)
        self._check_quit_when_done()

    def show_spend(self) -> None:
        """Today's and the session's spend in the status line (with the budget, if set)."""
        self.status_bar.set_spend(self.services.spend.status_text())

    @work(group="prices", exit_on_error=False)
    async def _fetch_prices(self, endpoint_ids: set[str]) -> None:
        """Ask for the unit prices of these endpoints, then re-show costs and the spend."""
        await self.services.prices.fetch(endpoint_ids)
        self.job_table.refresh_costs()
        self.show_spend()

    def in_flight_jobs(self) -> list[Job]:
        """Jobs not finished yet (being uploaded, queued or running)."""
        return [job for job in self.services.jobs.jobs() if not job.final]

    def quit_when_done(self) -> None:
        """Quit once every job in flight has finished (ctrl+q again quits at once)."""
        self.quitting_when_done = True
        self._check_quit_when_done()

    def _check_quit_when_done(self) -> None:
        if not self.quitting_when_done:
            return
        left = len(self.in_flight_jobs())
        if left == 0:
            self.app.exit()
        else:
            self.status_bar.set_busy(f"quitting when {left} job(s) finish · ctrl+q quits now")

    @work(group="quit", exclusive=True, exit_on_error=False)
    async def cancel_all_then_quit(self) -> None:
        """Ask fal to cancel every job in flight, then quit (failures are shown first)."""
        jobs = self.in_flight_jobs()
        self.status_bar.set_busy(f"cancelling {len(jobs)} job(s)…")
        failed: list[str] = []
        for job in jobs:
            try:
                await self.services.jobs.cancel(job.id)
            except FaltuiError as exc:
                failed.append(f"{job.request_id or job.id}: {exc}")
        self.status_bar.set_busy(None)
        if failed:
            self.notify(
                f"{len(failed)} of {len(jobs)} could not be cancelled (first: {failed[0]}); "
                "they keep running on fal. ctrl+q again to quit.",
                title="Cancel incomplete",
                severity="error",
                markup=False,
            )
            return
        self.app.exit()

    def _report_finished(self, job: Job) -> None:
        if job.id not in self._form_jobs or job.state not in _REPORTED:
            return
        self._form_jobs.discard(job.id)
        if job.state is JobState.unknown:
            self.notify(
                f"{job.endpoint_id}: fal may have taken this request, but no answer said so. "
                "It was not sent again (that could bill it twice). R on the job looks for it "
                "in fal's request history.",
                title="Outcome unknown",
                severity="warning",
                timeout=15,
                markup=False,
            )
            return
        if job.state is not JobState.failed:
            return
        model = self.current_model
        if job.field_errors and model is not None and job.endpoint_id == model.endpoint_id:
            self.form.mark_errors(list(job.field_errors))
        self.notify(
            f"{job.endpoint_id}: {job.error or 'failed'}",
            title="Job failed",
            severity="error",
            markup=False,
        )

    def job(self, job_id: str | None) -> Job | None:
        """A job the manager knows, by its local id."""
        return self.services.jobs.get(job_id) if job_id is not None else None

    def find_job(self, job_id: str) -> Job | None:
        """A job by its local id: one the manager knows, else the journal's (a parent older
        than the jobs listed)."""
        job = self.services.jobs.get(job_id)
        if job is None:
            try:
                job = self.services.journal.get(job_id)
            except (FaltuiError, sqlite3.Error):
                return None
        return job

    def batch_of(self, job_id: str | None) -> list[Job]:
        """The jobs of the ×N submit ``job_id`` belongs to (empty for a single job or none)."""
        if job_id is None:
            return []
        jobs = [self.job(i) for i in self._batches.get(job_id, ())]
        return [job for job in jobs if job is not None]

    def show_result(self, job_id: str | None) -> None:
        """Show a job in Results (``None``: nothing), with the rest of its ×N batch for the
        contact sheet."""
        self.results.show(self.job(job_id), self.batch_of(job_id))

    @on(JobTable.Highlighted)
    def _on_job_highlighted(self, message: JobTable.Highlighted) -> None:
        # Shown a moment later, once: a burst of moves (a held key) shows the last job only,
        # instead of drawing every job passed on the way while the keys queue up.
        message.stop()
        self._result_job = message.job_id
        if not self._result_pending:
            self._result_pending = True
            self.call_later(self._show_pending_result)

    def _show_pending_result(self) -> None:
        if self._result_pending:
            self._result_pending = False
            self.show_result(self._result_job)

    @on(ResultsPane.JobPicked)
    def _on_result_job_picked(self, message: ResultsPane.JobPicked) -> None:
        # The contact sheet moved to an image of another job of the batch: the job list
        # follows, so the highlighted job stays the one Results shows and the keys act on.
        message.stop()
        self.job_table.select_job(message.job_id)

    @on(ResultsPane.ResultWanted)
    def _on_result_wanted(self, message: ResultsPane.ResultWanted) -> None:
        message.stop()
        self._fetch_result(message.job_id)

    @work(group="results-fetch", exit_on_error=False)
    async def _fetch_result(self, job_id: str) -> None:
        """Fetch the result of a finished job that has none here (salvaged from a damaged
        journal): shown once it arrives, or why it cannot be."""
        try:
            await self.services.jobs.fetch_result(job_id)
        except NotFoundError:
            self.notify(
                "fal no longer has this job's result (results are kept for a limited time).",
                title="Result gone",
                severity="warning",
                markup=False,
            )
        except FaltuiError as exc:
            title = "Could not fetch the result"
            self.notify(str(exc), title=title, severity="error", markup=False)

    @on(ResultsPane.SendRequested)
    def _on_send_requested(self, message: ResultsPane.SendRequested) -> None:
        message.stop()
        self.send_flow.start(message.job_id, message.first)

    def send_highlighted(self) -> None:
        """Send the highlighted job's outputs to another model (the palette's command)."""
        self.send_flow.start(self.job_table.selected_job_id)

    def action_send_to(self) -> None:
        """``t``: send the highlighted job's outputs to another model."""
        self.send_highlighted()

    @on(JobTable.CancelRequested)
    def _on_cancel_requested(self, message: JobTable.CancelRequested) -> None:
        message.stop()
        for job_id in message.job_ids:
            self._cancel_job(job_id)

    @on(JobTable.RerunRequested)
    def _on_rerun_requested(self, message: JobTable.RerunRequested) -> None:
        message.stop()
        for job_id in message.job_ids:
            self._rerun_job(job_id)

    @on(JobTable.DownloadRequested)
    def _on_download_requested(self, message: JobTable.DownloadRequested) -> None:
        message.stop()
        self.download_jobs(list(message.job_ids), f"{len(message.job_ids)} marked jobs")

    @on(JobTable.RemoveRequested)
    def _on_remove_requested(self, message: JobTable.RemoveRequested) -> None:
        message.stop()
        archived = self.services.jobs.archive(list(message.job_ids))
        self.job_table.remove_jobs(job.id for job in archived)
        self.status_bar.set_counts(Counter(job.state.value for job in self.services.jobs.jobs()))
        count = len(archived)
        self.notify(
            f"Removed {count} job{'s' if count != 1 else ''} from the list; the journal keeps "
            "them (faltui history).",
            markup=False,
        )

    @on(JobTable.ResultRequested)
    def _on_result_requested(self, message: JobTable.ResultRequested) -> None:
        message.stop()
        self.show_result(message.job_id)
        self.results.run_output_action(message.action)

    @on(JobTable.ReconcileRequested)
    def _on_reconcile_requested(self, message: JobTable.ReconcileRequested) -> None:
        message.stop()
        self.reconcile_jobs(list(message.job_ids))

    @on(JobTable.DetailsRequested)
    def _on_details_requested(self, message: JobTable.DetailsRequested) -> None:
        message.stop()
        job = self.job(message.job_id)
        if job is not None:
            self.open_details(job)

    def open_details(self, job: Job) -> None:
        """The detail screen of ``job``: ``e`` forks it, ``t`` sends its outputs, and a job
        of its chain can be opened from there."""
        from faltui.tui.screens.job_detail import JobDetailScreen

        def closed(choice: str | None) -> None:
            if choice == "edit":
                self.fork_into_form(job)
            elif choice == "reconcile":
                self.reconcile_jobs([job.id])
            elif choice == "send":
                self.send_flow.start(job.id)
            elif choice and choice.startswith("open:"):
                other = self.find_job(choice.removeprefix("open:"))
                if other is not None:
                    self.open_details(other)

        from faltui.core.lineage import chain_of

        chain = chain_of(job, self.find_job, self.services.jobs.jobs())
        cost = self.services.spend.cost_of
        screen = JobDetailScreen(
            job, self.settings, is_reconciling=self.is_reconciling, chain=chain, cost=cost
        )
        self.app.push_screen(screen, closed)

    def open_model(self, endpoint_id: str) -> None:
        """Make a model current by its id (one the catalog does not list too)."""
        known = {m.endpoint_id: m for m in self.known_models()}
        model = known.get(endpoint_id) or ModelInfo.from_api(
            {"endpoint_id": endpoint_id, "metadata": {"display_name": endpoint_id}}
        )
        self.choose_model(model)

    def action_save_preset(self) -> None:
        """``ctrl+o``: save the form as a named preset of its model."""
        self.preset_flow.save()

    def action_apply_preset(self) -> None:
        """``ctrl+g``: apply one of the model's presets to the form."""
        self.preset_flow.pick()

    def apply_preset(self, preset: Preset) -> None:
        """Fill the form of the preset's model with it (in the background)."""
        self.run_worker(self.preset_flow.apply(preset), group="preset", exit_on_error=False)

    def preset_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """``Apply preset: NAME`` for each preset of every model (the palette's)."""
        try:
            presets = self.services.presets.presets()
        except FaltuiError:
            return []
        current = self.current_model.endpoint_id if self.current_model else None
        presets.sort(key=lambda p: p.endpoint_id != current)
        return [
            (
                f"Apply preset: {preset.name}",
                f"Fill the form of {preset.endpoint_id} with this preset",
                partial(self.apply_preset, preset),
            )
            for preset in presets
        ]

    @on(JobTable.CompareRequested)
    def _on_compare_requested(self, message: JobTable.CompareRequested) -> None:
        message.stop()
        self.compare_jobs(list(message.job_ids))

    def compare_marked(self) -> None:
        """Open the compare screen on the jobs marked in the jobs list (palette)."""
        self.compare_jobs(self.job_table.marked_ids)

    def compare_jobs(self, job_ids: list[str]) -> None:
        """Open the compare screen on these jobs; with fewer than two, say what is needed.
        Picking a job there forks it into the form."""
        from faltui.tui.screens.compare import MAX_JOBS as MAX_COMPARED
        from faltui.tui.screens.compare import CompareScreen

        jobs = [job for job in (self.job(job_id) for job_id in job_ids) if job is not None]
        if len(jobs) < 2:
            marked = f"{len(jobs)} marked" if jobs else "none marked"
            self.notify(
                f"Compare needs two or more marked jobs ({marked}): space marks the "
                "highlighted job in the jobs list, a marks every shown job; then C.",
                title="Compare",
                markup=False,
            )
            return
        if len(jobs) > MAX_COMPARED:
            self.notify(
                f"Comparing the first {MAX_COMPARED} of the {len(jobs)} marked jobs.",
                title="Compare",
                markup=False,
            )
            jobs = jobs[:MAX_COMPARED]
        results = self.results
        screen = CompareScreen(
            jobs,
            prices=self.services.prices,
            outputs=self.services.outputs,
            images=results.images,
            image_widget=results.preview_class if results.previews_enabled else None,
        )

        def closed(picked: Job | None) -> None:
            if picked is not None:
                self.fork_into_form(picked)

        self.app.push_screen(screen, closed)

    def fork_into_form(self, job: Job) -> None:
        """Load a job's model and input into the form, to change and submit again."""
        self.form.queue_fork(job)
        self.open_model(job.endpoint_id)
        self.notify(f"Loaded the job's input for {job.endpoint_id} into the form.", markup=False)

    @work(group="jobs", exit_on_error=False)
    async def _cancel_job(self, job_id: str) -> None:
        try:
            await self.services.jobs.cancel(job_id)
        except FaltuiError as exc:
            self.notify(str(exc), title="Cancel failed", severity="warning", markup=False)

    @work(group="jobs", exit_on_error=False)
    async def _rerun_job(self, job_id: str) -> None:
        refusal = self.submit_refusal()
        if refusal is not None:
            self._refuse_for_journal(refusal)
            return
        if not self.settings.key:
            self.notify(
                str(MissingKeyError()), title="No fal API key", severity="error", markup=False
            )
            return
        try:
            job = await self.services.jobs.rerun(job_id)
        except JournalUnavailable as exc:
            self._refuse_for_journal(str(exc))
            return
        except FaltuiError as exc:
            self.notify(str(exc), title="Re-run failed", severity="error", markup=False)
            return
        finally:
            self.check_journal()
        self._mark_dirty(job)
        self._follow = job.id

    @work(group="jobs", exit_on_error=False)
    async def _resume_jobs(self) -> None:
        await self.session_open.wait()
        manager = self.services.jobs
        manager.load_history(limit=HISTORY_LIMIT)  # earlier sessions' finished jobs
        for job in manager.jobs():
            self._mark_dirty(job)
        self.show_spend()  # today's spend from the journal, before any job moves
        try:
            # Reconciling is done here rather than in the core's background, so that the list
            # says which jobs are being looked up and the outcome is reported.
            resumed = await manager.resume_unfinished(reconcile=False)
        except FaltuiError as exc:
            self._problem(f"Could not resume unfinished jobs: {exc}")
            return
        for job in resumed:
            self._mark_dirty(job)
        if resumed:
            self.notify(f"Resumed {len(resumed)} unfinished job(s).", markup=False)
        journal = manager.journal
        unknown = {job.id for job in manager.jobs() if job.state is JobState.unknown}
        try:
            unknown |= {job.id for job in journal.unknown()} if journal is not None else set()
        except FaltuiError as exc:
            self._problem(f"Could not read the jobs of unknown outcome: {exc}")
        if unknown:
            await self._reconcile(None, unknown, automatic=True)

    # -- reconciling unknown outcomes ------------------------------------------------------

    def is_reconciling(self, job_id: str) -> bool:
        """Whether fal's request history is being searched for this job right now."""
        return job_id in self.reconciling

    def reconcile_jobs(self, job_ids: list[str] | None = None) -> None:
        """Look the given jobs (default: every job of unknown outcome) up in fal's request
        history, in the background, and report what was found."""
        manager = self.services.jobs
        jobs = [manager.get(job_id) for job_id in job_ids] if job_ids is not None else None
        candidates = manager.jobs() if jobs is None else [j for j in jobs if j is not None]
        unknown = {j.id for j in candidates if j.state is JobState.unknown}
        if not unknown:
            what = "this job's" if job_ids is not None and len(job_ids) == 1 else "no job's"
            self.notify(
                f"Nothing to reconcile: {what} outcome is unknown (only a submit fal may have "
                "taken unconfirmed is looked up in its request history).",
                markup=False,
            )
            return
        fresh = unknown - self.reconciling
        if not fresh:
            self.notify("Already looking for it in fal's request history…", markup=False)
            return
        self._reconcile_worker(sorted(fresh))

    @work(group="reconcile", exit_on_error=False)
    async def _reconcile_worker(self, job_ids: list[str]) -> None:
        await self._reconcile(job_ids, set(job_ids), automatic=False)

    async def _reconcile(
        self, job_ids: list[str] | None, marked: set[str], *, automatic: bool
    ) -> None:
        manager = self.services.jobs
        self.reconciling |= marked
        self._mark_ids_dirty(marked)
        self.status_bar.set_busy("reconciling: searching fal's request history…")
        try:
            results = await manager.reconcile(job_ids)
        except FaltuiError as exc:
            self.notify(
                f"fal's request history could not be searched: {exc}. The job(s) stay of "
                "unknown outcome; nothing was sent again.",
                title="Reconcile failed",
                severity="error",
                markup=False,
            )
            return
        finally:
            self.reconciling -= marked
            self.status_bar.set_busy(None)
            self._mark_ids_dirty(marked)
        self._report_reconcile(results, automatic=automatic)

    def _mark_ids_dirty(self, job_ids: set[str]) -> None:
        for job_id in job_ids:
            job = self.job(job_id)
            if job is not None:
                self._mark_dirty(job)
        if self.results.job is not None and self.results.job.id in job_ids:
            self.results.show(self.results.job)

    def _report_reconcile(self, results: list[ReconcileResult], *, automatic: bool) -> None:
        """One notification: each job attached (with its request id) or still unknown (why)."""
        if not results:
            return
        attached = [r for r in results if r.attached]
        unknown = [r for r in results if not r.attached]
        lines: list[str] = []
        for result in [*attached, *unknown][:RECONCILE_LINES]:
            job = self.job(result.job_id)
            name = prompt_snippet(job) if job is not None else ""
            name = one_line(name, 40) or result.job_id[:8]
            if result.attached:
                lines.append(f"{name}: attached to request {result.request_id}; tracking it.")
            else:
                lines.append(f"{name}: still unknown: {result.message}.")
        if len(results) > RECONCILE_LINES:
            lines.append(f"…and {len(results) - RECONCILE_LINES} more.")
        when = "At start: " if automatic else ""
        head = f"{when}{len(attached)} attached, {len(unknown)} still unknown."
        if len(results) == 1:
            head = when.strip()
        title = "Reconciled" if not unknown else "Outcome still unknown"
        message = "\n".join(line for line in [head, *lines] if line)
        self.notify(
            message,
            title=title,
            severity="information" if not unknown else "warning",
            timeout=20,
            markup=False,
        )

    @work(group="history-import", exclusive=True, exit_on_error=False)
    async def import_history(self, days: int = IMPORT_DAYS) -> None:
        """Bring in the last ``days`` of fal's request history (jobs run elsewhere: the web
        playground, other machines) for the models in the journal, the current one and the
        recent ones; they join the job list (fork, re-run, send) and the library."""
        if not self.settings.key:
            self.notify(
                str(MissingKeyError()), title="No fal API key", severity="error", markup=False
            )
            return
        services = self.services
        endpoints = {job.endpoint_id for job in services.jobs.jobs()}
        if self.current_model is not None:
            endpoints.add(self.current_model.endpoint_id)
        endpoints.update(self.state.recents)
        if not endpoints:
            self.notify(
                "Which models? Choose one first (or: faltui history --import --endpoint E).",
                markup=False,
            )
            return
        status = self.status_bar
        status.set_busy(f"importing fal's request history of {len(endpoints)} model(s)…")
        try:
            from faltui.core.history_import import import_history as import_fal_history

            report = await import_fal_history(
                services.client,
                services.journal,
                sorted(endpoints),
                start=time.time() - days * 86_400,
            )
        except FaltuiError as exc:
            self.notify(str(exc), title="Import failed", severity="error", markup=False)
            return
        finally:
            status.set_busy(None)
        services.jobs.load_history(limit=HISTORY_LIMIT)  # the imported jobs join the list
        if services.auto_download.enabled:
            for job in report.imported:
                if job.state is JobState.done:
                    services.auto_download.save_later(job)
        failed = "".join(f"\n{e}: {why}" for e, why in report.failed.items())
        self.notify(
            f"fal's request history (last {days} days): {report.summary()}{failed}",
            title="Import",
            severity="warning" if report.failed else "information",
            markup=False,
        )
        if report.imported:
            self._follow = report.imported[-1].id

    def filter_jobs(self, state: str | None) -> None:
        """Show only jobs in one state (``None``: all)."""
        self.job_table.set_filter(state)
        self.notify(f"Jobs: {'all' if state is None else state}", markup=False)
        self.action_pane("jobs")

    def download_finished(self) -> None:
        """Save the outputs of every finished job in the table's current view."""
        self.download_jobs(self.job_table.shown_ids, "this view")

    @work(group="bulk-download", exclusive=True, exit_on_error=False)
    async def download_jobs(self, job_ids: list[str], where: str) -> None:
        """Save the outputs of these jobs (the finished ones) to the download folder."""
        jobs = [self.job(job_id) for job_id in job_ids]
        done = [j for j in jobs if j is not None and j.state is JobState.done and j.result]
        items = [item for j in done for item in find_saveables(j.result, j.request_id or j.id)]
        if not items:
            self.notify(f"No finished job with outputs in {where}.", markup=False)
            return
        status = self.status_bar
        status.set_busy(progress_line(DownloadProgress(len(items), 0, 0, 0, None)))
        try:
            report = await self.services.outputs.download_all(
                items, on_progress=lambda p: status.set_busy(progress_line(p))
            )
        finally:
            status.set_busy(None)
        notify_report(self, report)

    # -- misc actions --------------------------------------------------------------------

    def action_search(self) -> None:
        """Focus the model search box."""
        self._show_pane("models")
        self.browser.focus_search()

    def action_back(self) -> None:
        """Escape: leave the search box for the list; from another pane, back to the models."""
        if self.active_pane != "models":
            self.action_pane("models")
        else:
            self.browser.focus_list()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Workers run with exit_on_error=False: an unexpected error becomes a notification
        # instead of a traceback that ends the app.
        if event.state == WorkerState.ERROR:
            name = event.worker.name or "Background task"
            self._problem(f"{name} failed: {event.worker.error!r}", severity="error")

    def _save_state(self) -> None:
        error = self.state.save()
        if error:
            self._problem(error)
