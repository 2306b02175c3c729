"""Command palette providers (``ctrl+p``): models, themes and app actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from faltui.tui.widgets.model_browser import literal

if TYPE_CHECKING:
    from faltui.tui.app import FaltuiApp

#: How many models the palette offers for one query.
MODEL_HITS = 15


def _first_line(text: str, limit: int = 90) -> str:
    line = literal(text).strip().splitlines()[0] if text and text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _AppProvider(Provider):
    @property
    def faltui(self) -> FaltuiApp:
        return cast("FaltuiApp", self.app)


class ModelCommands(_AppProvider):
    """Type part of a model's name or id; enter chooses it (like enter in the browser)."""

    async def search(self, query: str) -> Hits:
        app = self.faltui
        query = query.strip()
        if not query:
            return
        models = app.known_models()
        try:
            ranked = app.rank_models(models, query)[:MODEL_HITS]
        except Exception:  # never break the palette over a ranking problem
            return
        matcher = self.matcher(query)
        for index, model in enumerate(ranked):
            label = Text("Model: ", style="dim")
            label.append(literal(model.display_name) or model.endpoint_id, style="bold")
            label.append(f"  {literal(model.endpoint_id)}", style="dim")
            plain = f"Model: {model.display_name} {model.endpoint_id}"
            # Keep the catalog's order, but let a strong fuzzy match of the words win.
            score = max(matcher.match(plain), 0.9 - 0.5 * index / max(len(ranked), 1))
            yield Hit(
                score,
                label,
                partial(app.choose_model, model),
                text=plain,
                help=_first_line(f"{model.category} · {model.description}"),
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
            label.append(literal(model.display_name) or endpoint_id, style="bold")
            yield DiscoveryHit(label, partial(app.choose_model, model), text=label.plain)


class ThemeCommands(_AppProvider):
    """Switch theme (the choice is remembered)."""

    def _names(self) -> list[str]:
        return sorted(self.app.available_themes)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names():
            title = f"Theme: {name}"
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.faltui.switch_theme, name),
                    text=title,
                    help="Switch to this theme",
                )

    async def discover(self) -> Hits:
        for name in self._names():
            if name.startswith("faltui-"):
                title = f"Theme: {name}"
                yield DiscoveryHit(title, partial(self.faltui.switch_theme, name), text=title)


class ActionCommands(_AppProvider):
    """The app's actions: submit, submit ×N, help, raw JSON, job filters, panes, quit."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.faltui
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Submit", "Submit the form once", app.action_submit),
            ("Submit ×N…", "Submit the form N times with varied seeds", app.action_submit_many),
            ("Help: keys", "Show every active key binding", app.action_help),
            ("Toggle raw JSON", "Switch the form between fields and raw JSON", app.toggle_raw_json),
            ("Search models", "Focus the model search box", app.action_search),
            ("Jobs: show all", "Clear the job filter", partial(app.filter_jobs, None)),
            (
                "Jobs: download all outputs",
                "Save the files and texts of every finished job in the current view",
                app.download_finished,
            ),
        ]
        for state in ("queued", "running", "done", "failed", "cancelled"):
            commands.append(
                (f"Jobs: show {state}", f"Only {state} jobs", partial(app.filter_jobs, state))
            )
        for pane, title in app.PANE_TITLES.items():
            commands.append(
                (
                    f"Go to: {title}",
                    f"Show the {title.lower()} pane",
                    partial(app.action_pane, pane),
                )
            )
        commands.append(("Quit", "Quit faltui", app.action_quit))
        return commands

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, text=title, help=help_text)
