"""Command palette providers (``ctrl+p``): models, themes and app actions.

Textual's palette parses a hit's ``str`` prompt and help as markup, and ``Matcher.highlight``
does too; model names, descriptions and theme names are not ours, so every hit here is built
from ``Content``/``Text`` made literally (``literal_help``, ``highlight_literal``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from faltui.core.catalog import ModelInfo
from faltui.core.state import AppState
from faltui.tui.format import first_line, one_line

#: How many models the palette offers for one query.
MODEL_HITS = 15


def literal_help(text: str) -> str:
    """A hit's help line, literal.

    ``Hit.help`` is typed ``str``, but the palette passes it through ``Content.from_markup``,
    which returns a ``Content`` unchanged: handing it one is the only way to show text that
    is never parsed as markup.
    """
    return cast(str, Content(one_line(text)))


def highlight_literal(matcher: Matcher, text: str) -> Content:
    """``text`` as literal ``Content`` with the fuzzy match highlighted (``Matcher.highlight``
    would parse it as markup)."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if not score:
        return content
    for offset in offsets:
        if offset < len(text) and not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class PaletteHost(Protocol):
    """What the model and action commands need from the screen the palette opened on."""

    state: AppState
    PANE_TITLES: dict[str, str]

    def known_models(self) -> list[ModelInfo]: ...
    def rank_models(self, models: list[ModelInfo], query: str) -> list[ModelInfo]: ...
    def choose_model(self, model: ModelInfo) -> None: ...
    def action_submit(self) -> None: ...
    def action_submit_many(self) -> None: ...
    def action_sweep(self) -> None: ...
    def show_highlighted_sweep(self) -> None: ...
    def action_toggle_raw_json(self) -> None: ...
    def action_search(self) -> None: ...
    def action_pane(self, pane: str) -> None: ...
    def filter_jobs(self, state: str | None) -> None: ...
    def reconcile_jobs(self, job_ids: list[str] | None = None) -> None: ...
    def download_finished(self) -> Any: ...
    def compare_marked(self) -> None: ...
    def action_resize_pane(self, step: int, height: bool = False) -> None: ...
    def reset_layout(self) -> None: ...
    def send_highlighted(self) -> None: ...
    def import_history(self) -> Any: ...
    def action_save_preset(self) -> None: ...
    def action_apply_preset(self) -> None: ...
    def preset_commands(self) -> list[tuple[str, str, Callable[[], Any]]]: ...


class _AppProvider(Provider):
    @property
    def faltui(self) -> PaletteHost:
        """The main screen (these providers are registered on it)."""
        return cast(PaletteHost, self.screen)


class ModelCommands(_AppProvider):
    """Type part of a model's name or id; enter chooses it (like enter in the browser)."""

    async def search(self, query: str) -> Hits:
        app = self.faltui
        query = query.strip()
        if not query:
            return
        models = app.known_models()
        ranked = app.rank_models(models, query)[:MODEL_HITS]
        matcher = self.matcher(query)
        for index, model in enumerate(ranked):
            name = one_line(model.display_name, 120) or one_line(model.endpoint_id, 120)
            label = Text("Model: ", style="dim")
            label.append(name, style="bold")
            label.append(f"  {one_line(model.endpoint_id, 120)}", style="dim")
            plain = f"Model: {name} {one_line(model.endpoint_id, 120)}"
            # Keep the catalog's order, but let a strong fuzzy match of the words win.
            score = max(matcher.match(plain), 0.9 - 0.5 * index / max(len(ranked), 1))
            yield Hit(
                score,
                label,
                partial(app.choose_model, model),
                text=plain,
                help=literal_help(first_line(f"{model.category} · {model.description}")),
            )

    async def discover(self) -> Hits:
        app = self.faltui
        by_id = {m.endpoint_id: m for m in app.known_models()}
        seen: set[str] = set()
        for endpoint_id in [*app.state.favourites, *app.state.recents]:
            model = by_id.get(endpoint_id)
            if model is None or endpoint_id in seen:
                continue
            seen.add(endpoint_id)
            star = "★ " if app.state.is_favourite(endpoint_id) else ""
            label = Text(f"Model: {star}", style="dim")
            label.append(
                one_line(model.display_name, 120) or one_line(endpoint_id, 120), style="bold"
            )
            yield DiscoveryHit(label, partial(app.choose_model, model), text=label.plain)


class ThemeCommands(Provider):
    """Switch theme (the choice is remembered)."""

    def _names(self) -> list[str]:
        return sorted(self.app.available_themes)

    def _label(self, name: str, title: Content) -> Content:
        """The hit's label; the theme in use is marked ``● current``."""
        if name == self.app.theme:
            return Content.assemble(title, ("  ● current", "bold"))
        return title

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names():
            title = f"Theme: {one_line(name, 80)}"  # a user's theme file names it
            score = matcher.match(title)
            if score > 0:
                current = name == self.app.theme
                yield Hit(
                    score,
                    self._label(name, highlight_literal(matcher, title)),
                    partial(self._switch, name),
                    text=title,
                    help=literal_help("The theme in use" if current else "Switch to this theme"),
                )

    async def discover(self) -> Hits:
        for name in self._names():
            if name.startswith("faltui-") or name == self.app.theme:
                title = f"Theme: {one_line(name, 80)}"
                label = self._label(name, Content(title))
                yield DiscoveryHit(label, partial(self._switch, name), text=title)

    def _switch(self, name: str) -> None:
        self.app.theme = name


class ActionCommands(_AppProvider):
    """The app's actions: submit, submit ×N, help, raw JSON, job filters, panes, quit."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.faltui
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Submit", "Submit the form once", app.action_submit),
            ("Submit ×N…", "Submit the form N times with varied seeds", app.action_submit_many),
            ("Sweep…", "Run the form over several values and models (f6)", app.action_sweep),
            (
                "Sweep grid",
                "The results grid of the highlighted job's sweep (or the latest)",
                app.show_highlighted_sweep,
            ),
            ("Help: keys", "Show every active key binding", partial(self._app_action, "help")),
            (
                "Toggle raw JSON",
                "Switch the form between fields and raw JSON",
                app.action_toggle_raw_json,
            ),
            ("Search models", "Focus the model search box", app.action_search),
            (
                "Send result to another model…",
                "Fill another model's form with the highlighted job's outputs (t in results)",
                app.send_highlighted,
            ),
            ("Jobs: show all", "Clear the job filter", partial(app.filter_jobs, None)),
            (
                "Jobs: download all outputs",
                "Save the files and texts of every finished job in the current view",
                app.download_finished,
            ),
            (
                "Compare marked jobs",
                "Marked jobs side by side: outputs, input diff, timings, cost (C)",
                app.compare_marked,
            ),
        ]
        commands.append(
            (
                "Jobs: reconcile unknown outcomes",
                "Look every job of unknown outcome up in fal's request history (never resends)",
                partial(app.reconcile_jobs, None),
            )
        )
        commands += [
            (
                "Import from fal request history",
                "Bring in the last 7 days of jobs run elsewhere (playground, other machines) "
                "for the models you use",
                app.import_history,
            ),
            ("Save form as preset…", "Name the form's values (ctrl+o)", app.action_save_preset),
            (
                "Apply preset…",
                "Fill the form from a preset of its model (ctrl+g)",
                app.action_apply_preset,
            ),
            *app.preset_commands(),
        ]
        for state in ("queued", "running", "done", "failed", "cancelled", "lost"):
            commands.append(
                (f"Jobs: show {state}", f"Only {state} jobs", partial(app.filter_jobs, state))
            )
        commands.append(
            (
                "Jobs: show unknown",
                "Only jobs of unknown outcome (they may have run on fal; R reconciles)",
                partial(app.filter_jobs, "unknown"),
            )
        )
        for pane, title in app.PANE_TITLES.items():
            commands.append(
                (
                    f"Go to: {title}",
                    f"Show the {title.lower()} pane",
                    partial(app.action_pane, pane),
                )
            )
        commands += [
            ("Pane: wider", "Widen the focused pane (ctrl+→)", partial(app.action_resize_pane, 1)),
            (
                "Pane: narrower",
                "Narrow the focused pane (ctrl+←)",
                partial(app.action_resize_pane, -1),
            ),
            (
                "Pane: taller",
                "More height for jobs or results (ctrl+↓)",
                partial(app.action_resize_pane, 1, True),
            ),
            (
                "Pane: shorter",
                "Less height for jobs or results (ctrl+↑)",
                partial(app.action_resize_pane, -1, True),
            ),
            ("Pane: reset sizes", "Back to the default pane sizes", app.reset_layout),
        ]
        commands.append(("Quit", "Quit faltui", partial(self._app_action, "quit")))
        return commands

    def _app_action(self, action: str) -> None:
        self.app.call_later(self.app.run_action, action)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    highlight_literal(matcher, title),
                    callback,
                    text=title,
                    help=literal_help(help_text),
                )

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=literal_help(help_text))
