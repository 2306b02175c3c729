"""The faltui Textual app: wiring of catalog, client, jobs and the panes.

Panes: model browser | parameter form | jobs table over results. At 120 columns and more they
sit side by side; narrower, one pane shows at a time (``1``–``4`` or the tab bar switch).
Job events from the core only mark jobs dirty; a 10 Hz timer pushes them to the table in one
batch, so a thousand busy jobs cost ten table updates a second, not thousands.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import Footer, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from faltui.core.config import Settings
from faltui.core.errors import (
    ApiError,
    ApiValidationError,
    FaltuiError,
    FieldError,
    MissingKeyError,
    NotFoundError,
    ValidationFailed,
)
from faltui.core.state import AppState
from faltui.tui import commands as palette
from faltui.tui.keymap import binding_ids, check_keymap, faltui_classes, node_classes
from faltui.tui.screens.count import CountScreen
from faltui.tui.screens.help import HelpScreen, collect_sections
from faltui.tui.themes import DEFAULT_THEME, JOB_STATE_VARIABLES, load_all_themes
from faltui.tui.widgets.model_browser import ModelBrowser, default_rank, literal
from faltui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from faltui.core.catalog import ModelInfo
    from faltui.core.job import Job, JobEvent
    from faltui.core.schema import PreparedInput

try:  # the other panes land independently; until then a placeholder keeps the app running
    from faltui.tui.widgets.param_form import ParamForm
except ImportError:  # pragma: no cover - only while the form is being written
    ParamForm = None  # type: ignore[assignment,misc]
try:
    from faltui.tui.widgets.job_table import JobTable
except ImportError:  # pragma: no cover
    JobTable = None  # type: ignore[assignment,misc]
try:
    from faltui.tui.widgets.results import ResultsPane
except ImportError:  # pragma: no cover
    ResultsPane = None  # type: ignore[assignment,misc]
try:
    from faltui.tui.screens.job_detail import JobDetailScreen
except ImportError:  # pragma: no cover
    JobDetailScreen = None  # type: ignore[assignment,misc]

#: Width (columns) from which the panes sit side by side.
WIDE_COLUMNS = 120
#: Seconds between flushes of changed jobs to the table.
FLUSH_INTERVAL = 0.1
#: Live catalog results are handed to the browser in batches of this size.


#: How many finished jobs of earlier sessions the job table shows at start.
HISTORY_LIMIT = 500


def free_form_schema(endpoint_id: str) -> Any:
    """A schema with no declared fields: the form offers the raw JSON editor only."""
    from faltui.core.schema import EndpointSchema

    return EndpointSchema(endpoint_id, [], [], {}, {}, {})


class FaltuiApp(App[None]):
    """The full-screen faltui workbench."""

    CSS_PATH = "app.tcss"
    TITLE = "faltui"

    COMMANDS = App.COMMANDS | {
        palette.ModelCommands,
        palette.ThemeCommands,
        palette.ActionCommands,
    }

    BINDINGS: ClassVar = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, id="palette", priority=True),
        Binding("slash", "search", "Search", id="search"),
        Binding("ctrl+s,ctrl+j", "submit", "Submit", id="submit", priority=True),
        Binding("ctrl+b", "submit_many", "Submit ×N", id="submit_many", priority=True),
        Binding("escape", "back", "Back to models", show=False, id="back"),
        Binding("ctrl+r", "toggle_raw_json", "Raw JSON", show=False, id="raw"),
        Binding("1", "pane('models')", "Go to models", show=False, id="pane.models"),
        Binding("2", "pane('form')", "Go to parameters", show=False, id="pane.form"),
        Binding("3", "pane('jobs')", "Go to jobs", show=False, id="pane.jobs"),
        Binding("4", "pane('results')", "Go to results", show=False, id="pane.results"),
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

    def __init__(self, settings: Settings, *, emulator: Any = None) -> None:
        super().__init__()
        self.settings = settings
        self.emulator = emulator
        self.state = AppState.load(settings.paths.state_file)
        self.client: Any = None
        self.catalog: Any = None
        self.manager: Any = None
        self.journal: Any = None
        self.current_model: ModelInfo | None = None
        self.current_schema: Any = None
        self.current_price: Any = None
        self.active_pane = "models"
        self.narrow = False
        self.problems: list[str] = []
        self._dirty: dict[str, Job] = {}
        self._jobs: dict[str, Job] = {}
        self._form_jobs: set[str] = set()
        self._selected_job: str | None = None
        self._theme_ready = False

    #: Actions on the main screen's panes: not run while a dialog or detail screen is on top.
    MAIN_SCREEN_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"pane", "submit", "submit_many", "toggle_raw_json", "search", "back"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keep pane actions (some bound with priority) from acting under a modal screen."""
        return not (action in self.MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

    def main_query_one(self, selector: Any, expect_type: Any = None) -> Any:
        """Query the main screen (the panes), even while a modal screen is on top."""
        if not self.screen_stack:
            raise NoMatches("the app is shutting down: no screens are left")
        screen = self.screen_stack[0]
        if expect_type is None:
            return screen.query_one(selector)
        return screen.query_one(selector, expect_type)

    # -- composition ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        emulator_url = getattr(self.emulator, "base_url", None)
        yield StatusBar(self.settings, emulator_url=emulator_url, id="status")
        yield Tabs(
            *(
                Tab(f"{i} {t}", id=f"tab-{p}")
                for i, (p, t) in enumerate(self.PANE_TITLES.items(), 1)
            ),
            id="pane-tabs",
        )
        with Horizontal(id="main"):
            with Vertical(id="pane-models", classes="pane"):
                yield ModelBrowser(state=self.state, ranker=self.rank_models, id="browser")
            with Vertical(id="pane-form", classes="pane"):
                yield self._make_form()
            with Vertical(id="right"):
                with Vertical(id="pane-jobs", classes="pane"):
                    yield self._make_job_table()
                with Vertical(id="pane-results", classes="pane"):
                    yield self._make_results()
        yield Footer()

    def _make_form(self) -> Widget:
        if ParamForm is not None:
            return ParamForm(id="form", drafts=self.state)
        return Static("Choose a model to fill in its parameters.", id="form", classes="placeholder")

    def _make_job_table(self) -> Widget:
        if JobTable is not None:
            return JobTable(id="jobs")
        return Static("No jobs yet.", id="jobs", classes="placeholder")

    def _make_results(self) -> Widget:
        if ResultsPane is not None:
            return ResultsPane(id="results")
        return Static("Select a job to see its results.", id="results", classes="placeholder")

    # -- start-up ------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """faltui's own CSS variables, so themes without them (Textual's) still work."""
        return dict(JOB_STATE_VARIABLES)

    def on_mount(self) -> None:
        for problem in self.state.problems:
            self._problem(problem)
        self._setup_themes()
        self._setup_keymap()
        for pane, title in self.PANE_TITLES.items():
            number = list(self.PANE_TITLES).index(pane) + 1
            self.main_query_one(f"#pane-{pane}").border_title = f"{number} {title}"
        self.main_query_one("#pane-tabs", Tabs).can_focus = False
        self._start_services()
        browser = self.main_query_one(ModelBrowser)
        if self.catalog is not None:
            try:
                browser.set_models(self.catalog.local_models())
            except Exception as exc:
                self._problem(f"Could not read the bundled model catalog: {exc}")
        if self.catalog is not None and self.settings.key:
            self._stream_live_models()
        if self.manager is not None:
            self._resume_jobs()
        self.set_interval(FLUSH_INTERVAL, self.flush_jobs)
        self._apply_layout(self.size.width)
        browser.focus_search()

    def _problem(self, message: str, *, title: str = "faltui", severity: str = "warning") -> None:
        self.problems.append(message)
        self.notify(message, title=title, severity=severity, markup=False)  # type: ignore[arg-type]

    def _setup_themes(self) -> None:
        loaded = load_all_themes(self.settings.paths.user_themes_dir)
        for theme in loaded.themes:
            self.register_theme(theme)
        for problem in loaded.problems:
            self._problem(f"Theme skipped: {problem}", title="Theme problem")
        wanted = [name for name in (self.state.theme, self.settings.theme) if name]
        for name in wanted:
            if name in self.available_themes:
                self.theme = name
                break
            self._problem(f"Unknown theme {name!r}; using {DEFAULT_THEME}.", title="Theme problem")
        else:
            self.theme = DEFAULT_THEME
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._theme_ready = True

    def _remember_theme(self, theme: Theme) -> None:
        if self.state.theme != theme.name:
            self.state.set_theme(theme.name)
            self._save_state()

    def switch_theme(self, name: str) -> None:
        """Switch theme (remembered in the state file)."""
        if name not in self.available_themes:
            self._problem(f"Unknown theme {name!r}.", title="Theme problem")
            return
        self.theme = name

    def known_binding_ids(self) -> dict[str, Binding]:
        """Every binding id the app, its panes and its screens define."""
        classes: list[type] = [type(self), HelpScreen, CountScreen]
        if JobDetailScreen is not None:
            classes.append(JobDetailScreen)
        classes.extend(node_classes(self.screen.walk_children(with_self=True)))
        classes.extend(faltui_classes())
        return binding_ids(classes)

    def _setup_keymap(self) -> None:
        if not self.settings.keymap:
            return
        checked = check_keymap(self.settings.keymap, self.known_binding_ids())
        for problem in checked.problems:
            self._problem(problem, title="Keymap problem")
        if checked.keymap:
            self.set_keymap(checked.keymap)

    def _start_services(self) -> None:
        """Create the client, catalog and job manager (each optional until its module lands)."""
        try:
            from faltui.core.client import FalClient

            self.client = FalClient(self.settings)
        except ImportError:  # pragma: no cover
            self.client = None
        except Exception as exc:
            self._problem(f"Could not start the fal client: {exc}", severity="error")
        try:
            from faltui.core.catalog import Catalog

            http = getattr(self.client, "http", None)
            self.catalog = Catalog(self.settings, http)
        except ImportError:  # pragma: no cover
            self.catalog = None
        except Exception as exc:
            self._problem(f"Could not open the model catalog: {exc}", severity="error")
        if self.client is None:
            return
        try:
            from faltui.core.jobs import JobManager

            try:
                from faltui.core.journal import Journal

                self.journal = Journal(self.settings.paths.journal_file)
            except ImportError:  # pragma: no cover
                self.journal = None
            except Exception as exc:
                self._problem(f"Job journal unavailable ({exc}); jobs will not be resumable.")
                self.journal = None
            self.manager = JobManager(
                self.client,
                journal=self.journal,
                max_active=self.settings.max_active_jobs,
                on_event=self._on_job_event,
            )
        except ImportError:  # pragma: no cover
            self.manager = None
        except Exception as exc:
            self._problem(f"Could not start the job manager: {exc}", severity="error")

    async def on_unmount(self) -> None:
        """Close what the app opened."""
        for closer in (self.manager, self.client):
            aclose = getattr(closer, "aclose", None)
            if aclose is None:
                continue
            with contextlib.suppress(Exception):  # shutting down: nothing to tell the user
                await aclose()
        close = getattr(self.journal, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()

    # -- layout --------------------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        narrow = width < WIDE_COLUMNS
        self.narrow = narrow
        self.set_class(narrow, "-narrow")
        self.main_query_one("#pane-tabs").display = narrow
        self._show_pane(self.active_pane)

    def _show_pane(self, pane: str) -> None:
        self.active_pane = pane
        for name in self.PANE_TITLES:
            self.main_query_one(f"#pane-{name}").display = (not self.narrow) or name == pane
        self.main_query_one("#right").display = (not self.narrow) or pane in ("jobs", "results")
        tabs = self.main_query_one("#pane-tabs", Tabs)
        if tabs.active != f"tab-{pane}":
            with tabs.prevent(Tabs.TabActivated):
                tabs.active = f"tab-{pane}"

    def pane_widget(self, pane: str) -> Widget:
        """The container of a pane."""
        return self.main_query_one(f"#pane-{pane}")

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
            self.main_query_one(ModelBrowser).focus_list()
            return
        container = self.pane_widget(pane)
        focus_resume = getattr(
            container.query_one("#form") if pane == "form" else None, "focus_resume", None
        )
        if focus_resume is not None and focus_resume():  # back to the field last used
            return
        for widget in container.query("*"):
            if widget.focusable:
                widget.focus()
                return
        container.focus()  # nothing focusable yet (placeholder): at least leave the old pane

    @on(Tabs.TabActivated, "#pane-tabs")
    def _on_tab(self, event: Tabs.TabActivated) -> None:
        event.stop()
        pane = (event.tab.id or "").removeprefix("tab-") if event.tab is not None else ""
        if pane and pane != self.active_pane:  # ignore the initial activation
            self.action_pane(pane)

    def on_descendant_focus(self, event: Any) -> None:
        # Keep the tab bar and the active pane in step with the focus (tab key, clicks).
        widget = event.widget
        for name in self.PANE_TITLES:
            if self.pane_widget(name) in widget.ancestors_with_self:
                if name != self.active_pane:
                    self._show_pane(name)
                return

    # -- models --------------------------------------------------------------------------

    def rank_models(
        self, models: list[ModelInfo], query: str, category: str | None = None
    ) -> list[ModelInfo]:
        """The catalog's ranking (fuzzy on id, name, category and tags)."""
        try:
            from faltui.core.catalog import rank
        except ImportError:  # pragma: no cover
            return default_rank(models, query, category)
        return rank(models, query, category)

    def known_models(self) -> list[ModelInfo]:
        """Every model the browser knows (bundled and live)."""
        return self.main_query_one(ModelBrowser).models

    @work(group="catalog", exclusive=True, exit_on_error=False)
    async def _stream_live_models(self) -> None:
        browser = self.main_query_one(ModelBrowser)
        status = self.main_query_one(StatusBar)
        status.set_busy("fetching live model list…")
        added = 0
        try:
            async for page in self.catalog.iter_models():
                added += browser.add_models(page)
        except FaltuiError as exc:
            self.notify(
                f"Live model list unavailable ({exc}); showing the bundled catalog.",
                severity="warning",
                markup=False,
            )
        except Exception as exc:
            self.notify(f"Live model list failed: {exc!r}", severity="warning", markup=False)
        finally:
            status.set_busy(None)
        if added:
            self.notify(f"{added} more models from fal's live catalog.", markup=False)

    def on_model_browser_chosen(self, message: ModelBrowser.Chosen) -> None:
        self.choose_model(message.model)

    def on_model_browser_favourite_toggled(self, message: ModelBrowser.FavouriteToggled) -> None:
        if message.error:
            self._problem(message.error)

    def choose_model(self, model: ModelInfo) -> None:
        """Make a model current: remember it and load its schema into the form."""
        self.current_model = model
        self.state.touch_recent(model.endpoint_id)
        self._save_state()
        self.main_query_one(StatusBar).set_model(model.endpoint_id)
        self.pane_widget("form").border_title = Content(f"2 {literal(model.display_name)}")
        self.pane_widget("form").border_subtitle = literal(model.endpoint_id)
        self._load_schema(model)
        self.current_price = None
        self.main_query_one(StatusBar).set_price(None)
        if self.settings.key and self.client is not None:
            self._load_price(model.endpoint_id)

    @work(group="price", exclusive=True, exit_on_error=False)
    async def _load_price(self, endpoint_id: str) -> None:
        """Fetch the model's unit price for the status line and the ×N estimate."""
        from faltui.core.pricing import get_prices

        try:
            prices = await get_prices(self.client, self.settings, [endpoint_id])
        except Exception:  # prices are a nicety: no price, no line
            return
        price = next((p for p in prices if p.endpoint_id == endpoint_id), None)
        if price is None or self.current_model is None:
            return
        if self.current_model.endpoint_id != endpoint_id:
            return
        self.current_price = price
        self.main_query_one(StatusBar).set_price(price.describe())

    @work(group="schema", exclusive=True, exit_on_error=False)
    async def _load_schema(self, model: ModelInfo) -> None:
        form = self.main_query_one("#form")
        if self.catalog is None:
            self._problem("The model catalog is not available.", severity="error")
            return
        form.loading = True
        try:
            schema = await self.catalog.get_schema(model.endpoint_id)
        except NotFoundError:
            # No published schema: the model can still run with an input written as JSON.
            schema = free_form_schema(model.endpoint_id)
            self.notify(
                f"{model.endpoint_id} publishes no parameter schema here. Write its input as "
                "JSON in the raw view (ctrl+r); nothing is checked before submit.",
                title="No schema",
                severity="warning",
                markup=False,
            )
        except Exception as exc:
            form.loading = False
            message = str(exc) if isinstance(exc, FaltuiError) else repr(exc)
            self._problem(
                f"Could not load the parameters of {model.endpoint_id}: {message}",
                title="Schema unavailable",
                severity="error",
            )
            return
        if self.current_model is not model:
            return  # the user chose another model meanwhile
        self.current_schema = schema
        form.loading = False
        if ParamForm is not None and isinstance(form, ParamForm):
            try:
                form.load(schema)  # the form starts from the model's draft, if it has one
            except Exception as exc:
                self._problem(
                    f"The form could not show {model.endpoint_id}: {exc!r}", severity="error"
                )
                return
        else:
            names = ", ".join(f.name for f in getattr(schema, "input", []))
            form.update(Text(f"{model.endpoint_id}\nfields: {names}"))  # type: ignore[attr-defined]
        self._show_pane("form")
        # The form mounts its editors asynchronously: focus the first one once they exist
        # and have been laid out (a pane shown just now has no size before that).
        settled = getattr(form, "settled", None)
        if settled is not None:
            await settled()
        self.call_after_refresh(self._focus_pane, "form")

    # -- submitting ----------------------------------------------------------------------

    def _can_submit(self) -> bool:
        if not self.settings.key:
            self.notify(
                str(MissingKeyError()), title="No fal API key", severity="error", markup=False
            )
            return False
        if self.current_model is None or self.current_schema is None:
            self.notify("Choose a model first (/ to search, enter to choose).", markup=False)
            return False
        if self.manager is None:
            self._problem("Jobs cannot run: the job manager is not available.", severity="error")
            return False
        return True

    def action_submit(self) -> None:
        """Submit the form once."""
        if self.screen is not self.screen_stack[0] or not self._can_submit():
            return
        form = self.main_query_one("#form")
        if hasattr(form, "request_submit"):
            form.request_submit(1)

    def action_submit_many(self) -> None:
        """Ask for N, then submit the form N times (seeds varied)."""
        if self.screen is not self.screen_stack[0] or not self._can_submit():
            return

        def chosen(count: int | None) -> None:
            form = self.main_query_one("#form")
            if count and hasattr(form, "request_submit"):
                form.request_submit(count)

        self.push_screen(CountScreen(cost=self._cost_of), chosen)

    def _cost_of(self, count: int) -> str | None:
        """What ``count`` submissions of the form would cost, when fal published a price."""
        price = self.current_price
        if price is None or self.current_model is None:
            return None
        if price.endpoint_id != self.current_model.endpoint_id:
            return None
        from faltui.core.pricing import describe_cost

        form = self.main_query_one("#form")
        try:
            payload = form.values() if hasattr(form, "values") else {}
        except Exception:  # a half-filled form: price the defaults
            payload = {}
        return describe_cost(price, payload, count)

    def on_param_form_submit(self, message: Any) -> None:
        message.stop()
        if not self._can_submit():
            return
        self._submit(message.endpoint_id, message.prepared, int(message.count or 1))

    @work(group="submit", exit_on_error=False)
    async def _submit(self, endpoint_id: str, prepared: PreparedInput, count: int) -> None:
        try:
            jobs = await self.manager.submit_many(endpoint_id, prepared, count)
        except ValidationFailed as exc:
            self._mark_form(exc.errors)
            self.notify(str(exc), title="Input not valid", severity="error", markup=False)
            return
        except ApiValidationError as exc:
            self._mark_form(exc.field_errors)
            self.notify(str(exc), title="fal rejected the input", severity="error", markup=False)
            return
        except (ApiError, FaltuiError) as exc:
            self.notify(str(exc), title="Submit failed", severity="error", markup=False)
            return
        except Exception as exc:
            self.notify(f"Submit failed: {exc!r}", severity="error", markup=False)
            return
        for job in jobs:
            self._form_jobs.add(job.id)
            self._mark_dirty(job)
        note = f"Submitted {len(jobs)} job{'s' if len(jobs) != 1 else ''} to {endpoint_id}"
        if count > 1 and prepared.seed is None:
            note += " (the model has no seed: identical inputs)"
        self.notify(note, markup=False)
        if jobs:
            self._select_job(jobs[-1].id)

    def _mark_form(self, errors: list[FieldError]) -> None:
        form = self.main_query_one("#form")
        if errors and hasattr(form, "mark_errors"):
            form.mark_errors(errors)

    def action_toggle_raw_json(self) -> None:
        """Switch the form between fields and its raw JSON payload (from any pane)."""
        self.toggle_raw_json()

    def toggle_raw_json(self) -> None:
        """Switch the form between fields and its raw JSON payload."""
        if self.current_schema is None:
            self.notify("Choose a model first.", markup=False)
            return
        self._show_pane("form")
        form = self.main_query_one("#form")
        for name in ("toggle_raw", "action_toggle_raw", "action_toggle_json"):
            method = getattr(form, name, None)
            if callable(method):
                method()
                return
        self.notify("Choose a model first; the form has no raw JSON view yet.", markup=False)

    # -- jobs ----------------------------------------------------------------------------

    def _on_job_event(self, event: JobEvent) -> None:
        # Called by the JobManager for every change: only remember; the timer renders.
        self._mark_dirty(event.job)

    def _mark_dirty(self, job: Job) -> None:
        self._dirty[job.id] = job
        self._jobs[job.id] = job

    def flush_jobs(self) -> None:
        """Push every changed job to the table in one batch (runs on a 10 Hz timer)."""
        if not self._dirty:
            return
        try:
            table = self.main_query_one("#jobs")
        except NoMatches:  # shutting down: no screen left to draw on
            return
        dirty, self._dirty = self._dirty, {}
        if hasattr(table, "upsert"):
            try:
                table.upsert(list(dirty.values()))
            except Exception as exc:
                self._problem(f"Job table update failed: {exc!r}", severity="error")
        counts = Counter(str(getattr(j.state, "value", j.state)) for j in self._jobs.values())
        with contextlib.suppress(NoMatches):  # shutting down: the panes are gone
            self.main_query_one(StatusBar).set_counts(counts)
        if self._selected_job in dirty:
            self._show_results(dirty[self._selected_job])
        for job in dirty.values():
            self._report_finished(job)

    def _report_finished(self, job: Job) -> None:
        state = str(getattr(job.state, "value", job.state))
        if job.id not in self._form_jobs or state not in ("failed", "done", "cancelled", "lost"):
            return
        self._form_jobs.discard(job.id)
        if state == "failed":
            if (
                job.field_errors
                and self.current_model is not None
                and (job.endpoint_id == self.current_model.endpoint_id)
            ):
                self._mark_form(list(job.field_errors))
            self.notify(
                f"{job.endpoint_id}: {job.error or 'failed'}",
                title="Job failed",
                severity="error",
                markup=False,
            )

    def _select_job(self, job_id: str) -> None:
        self._selected_job = job_id
        job = self._jobs.get(job_id)
        if job is not None:
            self._show_results(job)

    def _show_results(self, job: Job | None) -> None:
        results = self.main_query_one("#results")
        if hasattr(results, "show"):
            try:
                results.show(job)
            except Exception as exc:
                self._problem(f"Results pane failed: {exc!r}", severity="error")

    def _job(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None and self.manager is not None:
            try:
                job = self.manager.get(job_id)
            except Exception:
                job = None
        return job

    def on_job_table_highlighted(self, message: Any) -> None:
        message.stop()
        self._select_job(message.job_id)

    def on_job_table_cancel_requested(self, message: Any) -> None:
        message.stop()
        self._cancel_job(message.job_id)

    def on_job_table_rerun_requested(self, message: Any) -> None:
        message.stop()
        self._rerun_job(message.job_id)

    def on_job_table_result_requested(self, message: Any) -> None:
        message.stop()
        if message.job_id != self._selected_job:
            self._select_job(message.job_id)
        results = self.main_query_one("#results")
        action = getattr(results, f"action_{message.action}", None)
        if callable(action):
            action()

    def on_job_table_details_requested(self, message: Any) -> None:
        message.stop()
        job = self._job(message.job_id)
        if job is not None and JobDetailScreen is not None:

            def closed(choice: str | None) -> None:
                if choice == "edit":
                    self.fork_into_form(job)

            self.push_screen(JobDetailScreen(job), closed)

    def fork_into_form(self, job: Job) -> None:
        """Load a job's model and input into the form, to change and submit again."""
        from faltui.core.catalog import ModelInfo

        known = {m.endpoint_id: m for m in self.known_models()}
        model = known.get(job.endpoint_id) or ModelInfo.from_api(
            {"endpoint_id": job.endpoint_id, "metadata": {"display_name": job.endpoint_id}}
        )
        self.main_query_one("#form", ParamForm).queue_fork(job)
        self.choose_model(model)
        self.notify(f"Loaded the job's input for {job.endpoint_id} into the form.", markup=False)

    @work(group="jobs", exit_on_error=False)
    async def _cancel_job(self, job_id: str) -> None:
        if self.manager is None:
            return
        try:
            await self.manager.cancel(job_id)
        except FaltuiError as exc:
            self.notify(str(exc), title="Cancel failed", severity="warning", markup=False)
        except Exception as exc:
            self.notify(f"Cancel failed: {exc!r}", severity="error", markup=False)

    @work(group="jobs", exit_on_error=False)
    async def _rerun_job(self, job_id: str) -> None:
        if self.manager is None or not self._can_rerun():
            return
        try:
            job = await self.manager.rerun(job_id)
        except FaltuiError as exc:
            self.notify(str(exc), title="Re-run failed", severity="error", markup=False)
            return
        except Exception as exc:
            self.notify(f"Re-run failed: {exc!r}", severity="error", markup=False)
            return
        self._mark_dirty(job)
        self._select_job(job.id)

    def _can_rerun(self) -> bool:
        if self.settings.key:
            return True
        self.notify(str(MissingKeyError()), title="No fal API key", severity="error", markup=False)
        return False

    @work(group="jobs", exit_on_error=False)
    async def _resume_jobs(self) -> None:
        try:
            load_history = getattr(self.manager, "load_history", None)
            if load_history is not None:  # earlier sessions' finished jobs, newest last
                load_history(limit=HISTORY_LIMIT)
            for job in self.manager.jobs():
                self._mark_dirty(job)
            resumed = await self.manager.resume_unfinished()
        except Exception as exc:
            self._problem(f"Could not resume unfinished jobs: {exc}")
            return
        for job in resumed:
            self._mark_dirty(job)
        if resumed:
            self.notify(f"Resumed {len(resumed)} unfinished job(s).", markup=False)

    def filter_jobs(self, state: str | None) -> None:
        """Show only jobs in one state (``None``: all)."""
        table = self.main_query_one("#jobs")
        if hasattr(table, "set_filter"):
            table.set_filter(state)
            self.notify(f"Jobs: {'all' if state is None else state}", markup=False)
        self.action_pane("jobs")

    @work(group="bulk-download", exclusive=True, exit_on_error=False)
    async def download_finished(self) -> None:
        """Save the output files of every finished job in the table's current view."""
        import httpx

        from faltui.core.job import JobState
        from faltui.core.outputs import download_many, find_outputs

        table = self.main_query_one("#jobs")
        jobs = [self._jobs.get(job_id) for job_id in getattr(table, "shown_ids", [])]
        done = [j for j in jobs if j is not None and j.state is JobState.done and j.result]
        outputs = [output for job in done for output in find_outputs(job.result)]
        if not outputs:
            self.notify("No finished job with output files in this view.", markup=False)
            return
        folder = self.settings.paths.download_dir
        status = self.main_query_one(StatusBar)
        ended = 0

        def on_done(*_: object) -> None:
            nonlocal ended
            ended += 1
            status.set_busy(f"downloading {ended}/{len(outputs)}")

        status.set_busy(f"downloading 0/{len(outputs)}")
        try:
            # A plain client: result files live on CDN hosts, which never get the fal key.
            async with httpx.AsyncClient(follow_redirects=True, timeout=60.0) as http:
                saved, failed = await download_many(http, outputs, folder, on_done=on_done)
        finally:
            status.set_busy(None)
        message = f"Saved {len(saved)} files from {len(done)} jobs to {folder}"
        if failed:
            first = f"{failed[0][0].url}: {failed[0][1]}"
            self.notify(
                f"{message}; {len(failed)} failed (first: {first})",
                title="Download incomplete",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(message, title="Downloaded", markup=False)

    # -- misc actions --------------------------------------------------------------------

    def action_search(self) -> None:
        """Focus the model search box."""
        self._show_pane("models")
        self.main_query_one(ModelBrowser).focus_search()

    def action_back(self) -> None:
        """Escape: leave the search box for the list; from another pane, back to the models."""
        if self.active_pane != "models":
            self.action_pane("models")
        else:
            self.main_query_one(ModelBrowser).focus_list()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Workers run with exit_on_error=False: an unexpected error becomes a notification
        # instead of a traceback that ends the app.
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._problem(
                f"{event.worker.name or 'Background task'} failed: {error!r}", severity="error"
            )

    def help_sections(self) -> list[Any]:
        """The real bindings, grouped by pane (for the help screen)."""
        panes = [(title, self.pane_widget(p)) for p, title in self.PANE_TITLES.items()]
        return collect_sections(self, panes)

    def action_help(self) -> None:
        """Show the help screen."""
        if isinstance(self.screen, HelpScreen):
            return
        notes = [f"Problem: {p}" for p in self.problems[-10:]]
        self.push_screen(HelpScreen(self.help_sections(), notes=notes))

    def _save_state(self) -> None:
        error = self.state.save()
        if error:
            self._problem(error)

    def jobs_snapshot(self) -> Iterable[Job]:
        """Every job the app has seen (for tests and the status line)."""
        return list(self._jobs.values())


def run_app(settings: Settings, *, emulator: Any = None) -> None:
    """Run the TUI until the user quits."""
    FaltuiApp(settings, emulator=emulator).run()


__all__ = ["FaltuiApp", "run_app"]
