"""ModelBrowser in a tiny harness app: ranking as you type, favourites, categories, choosing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from faltui.core.catalog import ModelInfo
from faltui.core.state import AppState
from faltui.tui.format import literal
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.model_list import ModelList


def Model(endpoint_id: str, name: str, category: str, description: str = "") -> ModelInfo:
    return ModelInfo(endpoint_id, name, category, description)


def substring_rank(
    models: list[ModelInfo],
    query: str,
    category: str | None = None,
    *,
    prefer: Mapping[str, int] | None = None,
) -> list[ModelInfo]:
    """A simple deterministic ranker: id prefix matches first, then substring matches."""
    q = query.strip().lower()
    pool = [m for m in models if category is None or m.category == category]
    if not q:
        return sorted(pool, key=lambda m: m.endpoint_id)
    hits = [m for m in pool if q in f"{m.endpoint_id} {m.display_name}".lower()]
    tiers = prefer or {}
    return sorted(
        hits,
        key=lambda m: (
            not m.display_name.lower().startswith(q),
            tiers.get(m.endpoint_id, 99),
            m.endpoint_id,
        ),
    )


MODELS = [
    Model("fal-ai/flux/dev", "FLUX.1 [dev]", "text-to-image", "Fast [b]images[/b]\x1b[31m"),
    Model("fal-ai/flux/schnell", "FLUX.1 [schnell]", "text-to-image", "Even faster"),
    Model("fal-ai/kling-video/v2", "Kling video", "text-to-video", "Video from text"),
    Model("fal-ai/kokoro", "Kokoro TTS", "text-to-speech", "Speech"),
    *[Model(f"acme/model-{i:03}", f"Model {i}", "text-to-image") for i in range(400)],
]


class Harness(App[None]):
    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield ModelBrowser(MODELS, state=self.state, ranker=substring_rank)

    def on_model_browser_chosen(self, message: ModelBrowser.Chosen) -> None:
        self.chosen.append(message.model.endpoint_id)


def ids(browser: ModelBrowser, n: int = 3) -> list[str]:
    return [m.endpoint_id for m in browser.shown[:n]]


async def test_typing_ranks_and_enter_chooses(tmp_path: Path) -> None:
    app = Harness(AppState(tmp_path / "state.json"))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        browser.focus_search()
        # Not everything is listed at once, but the count says how many there are.
        assert len(browser.shown) == browser.max_shown
        assert "404 models" in str(app.query_one("#browser-count", Static).render())
        await pilot.press(*"kok")
        await pilot.pause()
        assert ids(browser) == ["fal-ai/kokoro"]
        await pilot.press("backspace", "backspace", "backspace", *"flux")
        await pilot.pause()
        assert ids(browser) == ["fal-ai/flux/dev", "fal-ai/flux/schnell"]
        assert app.state.favourites == []  # "f" typed in the search box is just a letter
        await pilot.press("down")  # moves through the list while typing
        assert browser.highlighted_model.endpoint_id == "fal-ai/flux/schnell"
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == ["fal-ai/flux/schnell"]


async def test_favourite_floats_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    app = Harness(AppState.load(path))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        assert ids(browser, 1) == ["acme/model-000"]
        browser.set_query("kokoro")
        await pilot.pause()
        browser.focus_list()
        await pilot.press("f")
        await pilot.pause()
        browser.set_query("")
        await pilot.pause()
        assert ids(browser, 1) == ["fal-ai/kokoro"]
        assert "★" in browser.query_one(ModelList).line_text(0)
    assert AppState.load(path).favourites == ["fal-ai/kokoro"]

    # A new browser with the saved state lists the favourite first, then recents.
    state = AppState.load(path)
    state.touch_recent("fal-ai/kling-video/v2")
    app = Harness(state)
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        assert ids(browser, 2) == ["fal-ai/kokoro", "fal-ai/kling-video/v2"]
        # With a query, a favourite breaks the tie between equally good matches.
        browser.set_query("fal-ai")
        await pilot.pause()
        assert ids(browser, 1) == ["fal-ai/kokoro"]


async def test_category_cycle_and_description_is_literal(tmp_path: Path) -> None:
    app = Harness(AppState(None))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        browser.focus_list()
        await pilot.press("c")  # first category: text-to-image
        await pilot.pause()
        assert browser.category == "text-to-image"
        assert {m.category for m in browser.shown} == {"text-to-image"}
        await pilot.press("c", "c")
        await pilot.pause()
        assert browser.category == "text-to-video"
        assert ids(browser) == ["fal-ai/kling-video/v2"]
        await pilot.press("c")
        await pilot.pause()
        assert browser.category is None
        browser.set_query("flux/dev")
        await pilot.pause()
        description = app.query_one("#browser-description", Static).render()
        plain = description.plain if isinstance(description, Text) else str(description)
        assert "[b]images[/b]" in plain  # shown literally, not as markup
        assert "\x1b" not in plain


async def test_add_models_merges_live_results(tmp_path: Path) -> None:
    app = Harness(AppState(None))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        added = browser.add_models(
            [Model("zeta/new", "Zeta", "image-to-3d"), Model("fal-ai/kokoro", "Kokoro 2", "tts")]
        )
        await pilot.pause()
        assert added == 1
        assert len(browser.models) == len(MODELS) + 1
        browser.set_query("kokoro")
        await pilot.pause()
        assert browser.shown[0].display_name == "Kokoro 2"


def test_literal_makes_control_characters_visible() -> None:
    # The one sanitiser (faltui.core.text): nothing dropped silently, nothing interpreted.
    assert literal("a\x1b[31mb\x07c\nd\te\u202ef\x9b") == "a␛[31mb␇c\nd\te\\u202ef\\u009b"


class CatalogHarness(App[None]):
    """The browser with the bundled catalog and the real ranking."""

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        from faltui.core.bundled import bundled_models

        models = [ModelInfo.from_api(m) for m in bundled_models()]
        yield ModelBrowser(models, state=self.state)


async def test_a_recent_model_never_beats_a_better_match(tmp_path: Path) -> None:
    state = AppState(tmp_path / "state.json")
    state.touch_recent("fal-ai/kokoro/american-english")
    state.toggle_favourite("fal-ai/vidu/q3/text-to-video")
    app = CatalogHarness(state)
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        assert ids(browser, 2) == ["fal-ai/vidu/q3/text-to-video", "fal-ai/kokoro/american-english"]
        browser.set_query("lora")
        await pilot.pause()
        assert "lora" in ids(browser, 1)[0]
        browser.set_query("flux dev")
        await pilot.pause()
        assert ids(browser, 1) == ["fal-ai/flux/dev"]
        assert "fal-ai/vidu/q3/text-to-video" not in ids(browser, 50)


class IndexedHarness(App[None]):
    """The browser as the app builds it: no ranker given, so it ranks with its SearchIndex."""

    def __init__(self, models: list[ModelInfo], state: AppState) -> None:
        super().__init__()
        self.models, self.state = models, state

    def compose(self) -> ComposeResult:
        yield ModelBrowser(self.models, state=self.state)


def scaled_bundled(n: int) -> list[ModelInfo]:
    """The bundled catalog, then variants of it (other owners and suffixes) up to ``n``."""
    from faltui.core.bundled import bundled_models

    base = bundled_models()
    out = [ModelInfo.from_api(obj) for obj in base]
    owners, suffixes = ["bria", "community", "fal-ai"], ["v2", "pro", "turbo", "lora", "edit"]
    i = 0
    while len(out) < n:
        obj = base[i % len(base)]
        meta = dict(obj.get("metadata") or {})
        suffix = suffixes[i % len(suffixes)]
        rest = obj["endpoint_id"].partition("/")[2]
        endpoint_id = f"{owners[i % len(owners)]}/{rest}/{suffix}-{i}"
        meta["display_name"] = f"{meta.get('display_name') or rest} {suffix}"
        meta["description"] = f"{meta.get('description') or ''} supports LoRA, fast {suffix}"
        out.append(ModelInfo.from_api({"endpoint_id": endpoint_id, "metadata": meta}))
        i += 1
    return out


async def test_the_list_typed_key_by_key_is_the_full_rankings_first_rows(tmp_path: Path) -> None:
    from faltui.core.search import rank

    models = scaled_bundled(900)
    state = AppState(tmp_path / "state.json")
    state.toggle_favourite(models[700].endpoint_id)  # a tie-break the ranking must honour
    app = IndexedHarness(models, state)
    async with app.run_test(size=(80, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        browser.focus_search()
        typed, most = "", 0
        for key in "flux lora":
            typed += key
            await pilot.press("space" if key == " " else key)
            await pilot.pause()
            full = rank(models, typed, prefer={models[700].endpoint_id: 0})
            assert [m.endpoint_id for m in browser.shown] == [
                m.endpoint_id for m in full[: browser.max_shown]
            ], typed
            count = str(app.query_one("#browser-count", Static).render())
            expected = f"{len(full)} of 900 models" if len(full) != 900 else "900 models"
            assert count.startswith(expected), (typed, count)
            most = max(most, len(full))
        assert most > browser.max_shown and len(full) > 0  # cut to the top K, and not empty
