"""The model browser: search box, category filter, ranked model list, description.

Standalone: give it models with ``set_models`` (and more with ``add_models`` as live results
stream in); it posts ``ModelBrowser.Chosen`` when the user picks one. Favourites and recent
models come from an optional ``AppState`` and float to the top of the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from faltui.core.catalog import ModelInfo, rank
from faltui.core.search import Ranked, SearchIndex
from faltui.core.state import AppState
from faltui.tui.format import literal, one_line
from faltui.tui.widgets.model_list import NAME_LIMIT, ModelList, model_name
from faltui.tui.widgets.safe_editors import SafeInput


class Ranker(Protocol):
    """Ranks models for a query (``faltui.core.catalog.rank``); ``prefer`` breaks ties.

    Without one the browser keeps a ``SearchIndex`` of its models and asks it only for the
    rows it lists and the count."""

    def __call__(
        self,
        models: list[ModelInfo],
        query: str,
        category: str | None = None,
        *,
        prefer: Mapping[str, int] | None = None,
    ) -> list[ModelInfo]: ...


class SearchInput(SafeInput):
    """The search box. A query never starts with ``?`` or ``/``: in an empty box ``?`` opens
    the help and ``/`` (the key that leads here) is not typed."""

    async def on_key(self, event: events.Key) -> None:
        if self.value or event.character not in ("?", "/"):
            return
        event.prevent_default()
        event.stop()
        if event.character == "?":
            await self.app.run_action("app.help")


class ModelBrowser(Widget):
    """Find a model: type to rank, filter by category, ``f`` to favourite, ``enter`` to choose."""

    DEFAULT_CSS = """
    ModelBrowser { layout: vertical; height: 1fr; }
    ModelBrowser #browser-search { margin: 0 0 0 0; }
    ModelBrowser #browser-category { margin: 0 0 0 0; }
    ModelBrowser #browser-list { height: 1fr; min-height: 3; }
    ModelBrowser #browser-count { height: 1; color: $text-muted; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ModelBrowser #browser-about { height: auto; max-height: 8; border-top: solid $panel-lighten-2;
        padding: 0 1; }
    """

    BINDINGS = [
        Binding("f", "toggle_favourite", "Favourite", id="browser.favourite"),
        Binding("c", "cycle_category", "Category", id="browser.category"),
    ]

    #: At most this many rows are listed; typing narrows the rest down.
    max_shown = 300

    #: The search text (not ``query``: that is DOMNode's query method).
    search_text: reactive[str] = reactive("", init=False, repaint=False)
    category: reactive[str | None] = reactive(None, init=False, repaint=False)

    class Chosen(Message):
        """The user picked a model (enter)."""

        def __init__(self, model: ModelInfo) -> None:
            super().__init__()
            self.model = model

    class FavouriteToggled(Message):
        """A model's favourite mark changed (already saved in the state)."""

        def __init__(self, model: ModelInfo, favourite: bool, error: str | None) -> None:
            super().__init__()
            self.model = model
            self.favourite = favourite
            self.error = error

    def __init__(
        self,
        models: Sequence[ModelInfo] = (),
        *,
        state: AppState | None = None,
        ranker: Ranker | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._models: dict[str, ModelInfo] = {m.endpoint_id: m for m in models}
        self._state = state
        self._ranker = ranker
        self._index: SearchIndex | None = None
        self._shown: list[ModelInfo] = []
        self._categories: list[str] = []
        self._match_count = 0
        #: What the description shows (the model and its favourite mark), to skip redraws.
        self._described: tuple[ModelInfo | None, bool] | None = None

    # -- composition ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield SearchInput(placeholder="/ search models…", id="browser-search", compact=True)
        yield Select[str](
            [], prompt="All categories", id="browser-category", compact=True, allow_blank=True
        )
        yield ModelList(id="browser-list")
        yield Static("", id="browser-count")
        with VerticalScroll(id="browser-about"):
            yield Static("", id="browser-description")

    def on_mount(self) -> None:
        self._sync_categories()
        self.refresh_results()

    # -- public API ----------------------------------------------------------------------

    @property
    def models(self) -> list[ModelInfo]:
        """Every model the browser knows."""
        return list(self._models.values())

    @property
    def shown(self) -> list[ModelInfo]:
        """The models currently listed, in display order."""
        return list(self._shown)

    @property
    def highlighted_model(self) -> ModelInfo | None:
        """The model under the cursor."""
        index = self.query_one(ModelList).highlighted
        if index is None or not 0 <= index < len(self._shown):
            return None
        return self._shown[index]

    def set_models(self, models: Iterable[ModelInfo]) -> None:
        """Replace every model."""
        self._models = {m.endpoint_id: m for m in models}
        self._after_models_changed()

    def add_models(self, models: Iterable[ModelInfo]) -> int:
        """Merge more models in (newer info replaces older by endpoint id); returns how many new."""
        before = len(self._models)
        for model in models:
            self._models[model.endpoint_id] = model
        self._after_models_changed()
        return len(self._models) - before

    def set_state(self, state: AppState | None) -> None:
        """Use this state for favourites and recents."""
        self._state = state
        if self.is_mounted:
            self.refresh_results()

    def focus_search(self) -> None:
        """Put the cursor in the search box at once (keys typed right after land there)."""
        self.screen.set_focus(self.query_one("#browser-search", Input))

    def focus_list(self) -> None:
        """Put the cursor in the model list at once."""
        self.screen.set_focus(self.query_one(ModelList))

    def set_query(self, text: str) -> None:
        """Type a query programmatically."""
        self.query_one("#browser-search", Input).value = text

    def choose_highlighted(self) -> None:
        """Post ``Chosen`` for the model under the cursor."""
        model = self.highlighted_model
        if model is not None:
            self.post_message(self.Chosen(model))

    # -- ranking -------------------------------------------------------------------------

    def _after_models_changed(self) -> None:
        self._index = None
        if self.is_mounted:
            self._sync_categories()
            self.refresh_results()

    def _sync_categories(self) -> None:
        categories = sorted({m.category for m in self._models.values() if m.category})
        if categories == self._categories:
            return
        self._categories = categories
        select = self.query_one("#browser-category", Select)
        current = self.category
        with select.prevent(Select.Changed):
            # The catalog names the categories: a prompt is literal Text, never markup.
            select.set_options([(Text(one_line(c, NAME_LIMIT)), c) for c in categories])
            if current in categories:
                select.value = current

    def _tier(self, model: ModelInfo) -> int:
        state = self._state
        if state is None:
            return 2
        if state.is_favourite(model.endpoint_id):
            return 0
        if model.endpoint_id in state.recents:
            return 1
        return 2

    def ranked(self) -> list[ModelInfo]:
        """The models for the current query and category: favourites, then recents, then rest."""
        tiers = self._tiers()
        models = list(self._models.values())
        ranked = (self._ranker or rank)(models, self.search_text, self.category, prefer=tiers)
        if self._state is not None and not self.search_text.strip():
            recents = {eid: i for i, eid in enumerate(self._state.recents)}
            favs = {eid: i for i, eid in enumerate(self._state.favourites)}

            def order(item: tuple[int, ModelInfo]) -> tuple[int, int, int]:
                index, model = item
                tier = self._tier(model)
                within = favs.get(model.endpoint_id, recents.get(model.endpoint_id, 0))
                return (tier, within if tier < 2 else 0, index)

            return [m for _, m in sorted(enumerate(ranked), key=order)]
        return ranked  # favourites and recents only break ties between equal matches

    def _top(self) -> Ranked:
        """The rows to list (at most ``max_shown``) and how many models match."""
        if self._ranker is not None or not self.search_text.strip():
            ranked = self.ranked()
            return Ranked(ranked[: self.max_shown], len(ranked))
        if self._index is None:
            self._index = SearchIndex(list(self._models.values()))
        return self._index.top(
            self.search_text, self.category, prefer=self._tiers(), limit=self.max_shown
        )

    def _tiers(self) -> dict[str, int]:
        """Favourites (0) and recent models (1), for the ranking's tie-break."""
        state = self._state
        if state is None:
            return {}
        tiers = dict.fromkeys(state.recents, 1)
        tiers.update(dict.fromkeys(state.favourites, 0))
        return tiers

    def refresh_results(self) -> None:
        """Re-rank and redraw the list, keeping the cursor on the same model when possible."""
        model_list = self.query_one(ModelList)
        previous = self.highlighted_model
        self._shown, self._match_count = self._top()
        index = 0 if self._shown else None
        if previous is not None and not self._query_changed:
            for i, m in enumerate(self._shown):
                if m.endpoint_id == previous.endpoint_id:
                    index = i
                    break
        model_list.set_models(self._shown, self._is_favourite, index)
        self._query_changed = False
        self._update_count()
        self._describe(self.highlighted_model)

    _query_changed = False

    def _is_favourite(self, endpoint_id: str) -> bool:
        return self._state is not None and self._state.is_favourite(endpoint_id)

    def _update_count(self) -> None:
        total = len(self._models)
        matches = self._match_count
        favs = len(self._state.favourites) if self._state is not None else 0
        label = f"{matches} of {total} models" if matches != total else f"{total} models"
        if len(self._shown) < matches:
            label += f" (first {len(self._shown)}; type to narrow)"
        if favs:
            label += f" · ★ {favs}"
        # One line, always: its size never changes, so no layout pass.
        self.query_one("#browser-count", Static).update(Text(label), layout=False)

    def _describe(self, model: ModelInfo | None) -> None:
        shown = (model, model is not None and self._is_favourite(model.endpoint_id))
        if shown == self._described:
            return
        self._described = shown
        target = self.query_one("#browser-description", Static)
        if model is None:
            target.update(Text("No model matches.", style="dim"))
            return
        text = Text()
        text.append(model_name(model), style="bold")
        text.append("\n")
        text.append(one_line(model.endpoint_id, NAME_LIMIT), style="dim")
        if model.category:
            text.append(" · ")
            text.append(one_line(model.category, NAME_LIMIT), style="italic")
        if model.tags:
            text.append(" · ")
            text.append(one_line(", ".join(str(t) for t in model.tags), NAME_LIMIT), style="dim")
        description = literal(model.description).strip()
        if description:
            text.append("\n")
            text.append(description)
        target.update(text)

    # -- events --------------------------------------------------------------------------

    @on(Input.Changed, "#browser-search")
    def _on_search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value.startswith("/"):  # the "/" that focused the search is not a query
            event.input.value = event.value.lstrip("/")
            return
        self._query_changed = True
        self.search_text = event.value

    @on(Input.Submitted, "#browser-search")
    def _on_search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.choose_highlighted()

    @on(Select.Changed, "#browser-category")
    def _on_category_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        self.category = value if isinstance(value, str) else None

    def watch_search_text(self) -> None:
        self.refresh_results()

    def watch_category(self) -> None:
        self._query_changed = True
        self.refresh_results()

    @on(ModelList.Highlighted, "#browser-list")
    def _on_highlighted(self, event: ModelList.Highlighted) -> None:
        event.stop()
        self._describe(self.highlighted_model)

    @on(ModelList.Selected, "#browser-list")
    def _on_selected(self, event: ModelList.Selected) -> None:
        event.stop()
        self.choose_highlighted()

    def on_key(self, event: events.Key) -> None:
        # Down/up in the search box move through the list without leaving the box.
        search = self.query_one("#browser-search", Input)
        if not search.has_focus:
            return
        model_list = self.query_one(ModelList)
        if event.key == "down":
            model_list.action_cursor_down()
            event.stop()
        elif event.key == "up":
            model_list.action_cursor_up()
            event.stop()
        elif event.key == "pagedown":
            model_list.action_page_down()
            event.stop()
        elif event.key == "pageup":
            model_list.action_page_up()
            event.stop()

    # -- actions -------------------------------------------------------------------------

    def action_toggle_favourite(self) -> None:
        """Flip the favourite mark of the highlighted model and save it."""
        model = self.highlighted_model
        if model is None or self._state is None:
            return
        favourite = self._state.toggle_favourite(model.endpoint_id)
        error = self._state.save()
        self.refresh_results()
        self.post_message(self.FavouriteToggled(model, favourite, error))

    def action_cycle_category(self) -> None:
        """Switch to the next category (after the last one: all categories)."""
        if not self._categories:
            return
        select = self.query_one("#browser-category", Select)
        if self.category in self._categories:
            index = self._categories.index(self.category) + 1
            select.value = self._categories[index] if index < len(self._categories) else Select.NULL
        else:
            select.value = self._categories[0]
