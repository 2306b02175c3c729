"""The faltui Textual app: themes, keymap, help and the palette around the main screen.

The session's services (client, catalog, journal, jobs) come from ``faltui.services``; the
panes and everything between them live on ``MainScreen``.
"""

from __future__ import annotations

from asyncio import AbstractEventLoop
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, AutopilotCallbackType
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from faltui.core.config import Settings
from faltui.core.state import AppState
from faltui.services import Services, build_services
from faltui.tui import commands as palette
from faltui.tui import image_probe
from faltui.tui.format import notice_text, one_line
from faltui.tui.keymap import binding_ids, check_keymap, faltui_classes, node_classes
from faltui.tui.screens.main import MainScreen
from faltui.tui.themes import DEFAULT_THEME, load_all_themes, theme_defaults

if TYPE_CHECKING:  # screens other than the main one are imported when first shown
    from faltui.tui.screens.quit import QuitChoice

#: Seconds a notice from the session's setup stays up (a journal repair says what it kept).
NOTICE_TIMEOUT = 30.0
#: Longest notification title.
TITLE_LIMIT = 80


class FaltuiApp(App[None]):
    """The full-screen faltui workbench."""

    CSS_PATH = "app.tcss"
    TITLE = "faltui"

    COMMANDS = App.COMMANDS | {palette.ThemeCommands}

    BINDINGS: ClassVar = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, id="palette", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        services: Services | None = None,
        on_first_frame: Callable[[], object] | None = None,
    ) -> None:
        """``on_first_frame`` is called once the first frame is drawn (the CLI starts the
        ``--demo`` emulator's server then)."""
        super().__init__()
        self._on_first_frame = on_first_frame
        image_probe.start()  # textual-image asks the terminal before Textual takes it (run)
        self.settings = settings
        self.services = services or build_services(settings)
        self.state = AppState.load(settings.paths.state_file)
        self.problems: list[str] = []
        #: The user's key remaps that were applied (binding id → keys).
        self.keymap: dict[str, str] = {}
        self.main = MainScreen(self.services, self.state, self.report)
        # The theme is chosen before the stylesheet is first read: chosen once the screen is
        # mounted, it would parse every widget's CSS again and restyle every widget.
        self._theme_problems = self._choose_theme()

    def run(
        self,
        *,
        headless: bool = False,
        inline: bool = False,
        inline_no_clear: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        auto_pilot: AutopilotCallbackType | None = None,
        loop: AbstractEventLoop | None = None,
    ) -> None:
        """Run the app (Textual's ``run``), once textual-image has had its answers from the
        terminal: after Textual takes the terminal it could not ask any more."""
        image_probe.wait()
        return super().run(
            headless=headless,
            inline=inline,
            inline_no_clear=inline_no_clear,
            mouse=mouse,
            size=size,
            auto_pilot=auto_pilot,
            loop=loop,
        )

    def get_default_screen(self) -> MainScreen:
        """The main screen is the bottom of the screen stack."""
        return self.main

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """faltui's own CSS variables, so themes without them (Textual's) still work."""
        return theme_defaults(self.current_theme)

    def on_mount(self) -> None:
        self.call_after_refresh(self._open_session)
        for problem in self.state.problems:
            self.report(problem)
        for title, problem in self._theme_problems:
            self.report(problem, title)
        self._remember_theme(self.current_theme)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._setup_keymap()

    def _open_session(self) -> None:
        """Once the first frame is drawn: open the services (all but the fal client, made when
        first used), report what setting them up found, and let the main screen follow the
        jobs."""
        self.services.open_all(skip=("client",))
        # What setting up the session found (a journal repair and what it kept, a config
        # problem): up long enough to read, and listed under help's problems afterwards.
        for problem in self.services.problems:
            self.report(problem, "faltui", "warning", timeout=NOTICE_TIMEOUT)
        self.main.start_session()
        if self._on_first_frame is not None:
            self._on_first_frame()

    async def on_unmount(self) -> None:
        """Close what the session opened."""
        await self.services.aclose()

    def report(
        self,
        message: str,
        title: str = "faltui",
        severity: str = "warning",
        *,
        timeout: float | None = None,
    ) -> None:
        """Tell the user about a problem (a notification) and keep it for the help screen."""
        self.problems.append(message)
        self.notify(
            message,
            title=title,
            severity=severity,  # type: ignore[arg-type]
            timeout=timeout,
            markup=False,
        )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Show a notification; its message and title are always literal, sanitised text.

        Messages carry text we did not write (server errors, request ids, file names), so
        markup is never parsed, whatever a caller asks: ``markup`` is accepted for Textual's
        signature and ignored.
        """
        super().notify(
            notice_text(message),
            title=one_line(title, TITLE_LIMIT),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # -- themes and keys -----------------------------------------------------------------

    def _choose_theme(self) -> list[tuple[str, str]]:
        """Register the user's themes and set the remembered or configured one; returns the
        problems found (notification title, message), reported once the app is mounted."""
        problems: list[tuple[str, str]] = []
        loaded = load_all_themes(self.settings.paths.user_themes_dir)
        for theme in loaded.themes:
            self.register_theme(theme)
        for problem in loaded.problems:
            problems.append(("Theme problem", f"Theme skipped: {problem}"))
        wanted = [name for name in (self.state.theme, self.settings.theme) if name]
        for name in wanted:
            if name in self.available_themes:
                self.theme = name
                break
            problems.append(("Theme problem", f"Unknown theme {name!r}; using {DEFAULT_THEME}."))
        else:
            self.theme = DEFAULT_THEME
        return problems

    def _remember_theme(self, theme: Theme) -> None:
        if self.state.theme != theme.name:
            self.state.set_theme(theme.name)
            error = self.state.save()
            if error:
                self.report(error)

    def switch_theme(self, name: str) -> None:
        """Switch theme (remembered in the state file)."""
        if name not in self.available_themes:
            self.report(f"Unknown theme {name!r}.", "Theme problem")
            return
        self.theme = name

    def known_binding_ids(self) -> dict[str, Binding]:
        """Every binding id the app, its panes and its screens define."""
        from faltui.tui.screens.compare import CompareScreen
        from faltui.tui.screens.confirm import ConfirmScreen
        from faltui.tui.screens.count import CountScreen
        from faltui.tui.screens.help import HelpScreen
        from faltui.tui.screens.job_detail import JobDetailScreen
        from faltui.tui.screens.presets import PresetNameScreen, PresetPickScreen
        from faltui.tui.screens.quit import QuitScreen
        from faltui.tui.screens.send_to import SendToScreen

        classes: list[type] = [
            type(self),
            MainScreen,
            HelpScreen,
            CountScreen,
            JobDetailScreen,
            CompareScreen,
            QuitScreen,
            SendToScreen,
            ConfirmScreen,
            PresetNameScreen,
            PresetPickScreen,
        ]
        classes.extend(node_classes(self.main.walk_children(with_self=True)))
        classes.extend(faltui_classes())
        return binding_ids(classes)

    def _setup_keymap(self) -> None:
        if not self.settings.keymap:
            return
        checked = check_keymap(self.settings.keymap, self.known_binding_ids())
        for problem in checked.problems:
            self.report(problem, "Keymap problem")
        if checked.keymap:
            self.keymap = dict(checked.keymap)
            self.set_keymap(self.keymap)

    # -- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with jobs still in flight, ask what to do with them first."""
        from faltui.tui.screens.quit import QuitScreen

        in_flight = self.main.in_flight_jobs()
        if not in_flight or self.main.quitting_when_done:
            self.exit()
            return
        if not isinstance(self.screen, QuitScreen):
            self.push_screen(QuitScreen(len(in_flight)), self._quit_chosen)

    def _quit_chosen(self, choice: QuitChoice | None) -> None:
        from faltui.tui.screens.quit import QuitChoice

        if choice is QuitChoice.leave:
            self.exit()
        elif choice is QuitChoice.cancel:
            self.main.cancel_all_then_quit()
        elif choice is QuitChoice.wait:
            self.main.quit_when_done()

    # -- help -----------------------------------------------------------------

    def action_help(self) -> None:
        """Show the help screen."""
        from faltui.tui.screens.compare import CompareScreen
        from faltui.tui.screens.confirm import ConfirmScreen
        from faltui.tui.screens.count import CountScreen
        from faltui.tui.screens.help import HelpScreen, collect_sections
        from faltui.tui.screens.job_detail import JobDetailScreen
        from faltui.tui.screens.quit import QuitScreen
        from faltui.tui.screens.send_to import SendToScreen
        from faltui.tui.screens.sweep import SweepScreen
        from faltui.tui.screens.sweep_grid import SweepGridScreen

        if isinstance(self.screen, HelpScreen):
            return
        notes = [f"Problem: {p}" for p in self.problems[-10:]]
        dialogs: list[tuple[str, type[Screen[Any]]]] = [
            ("Job details (enter on a job)", JobDetailScreen),
            ("Compare (C on marked jobs)", CompareScreen),
            ("Submit ×N dialog", CountScreen),
            ("Sweep dialog (f6)", SweepScreen),
            ("Sweep grid", SweepGridScreen),
            ("Quit dialog", QuitScreen),
            ("Send to model (t)", SendToScreen),
            ("Budget question", ConfirmScreen),
        ]
        sections = collect_sections(self, self.main, self.main.panes(), self.keymap, dialogs)
        self.push_screen(HelpScreen(sections, notes=notes))


def run_app(settings: Settings) -> None:
    """Run the TUI until the user quits."""
    FaltuiApp(settings).run()


__all__ = ["FaltuiApp", "run_app"]
