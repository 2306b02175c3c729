"""The model browser's own list widget: keys, mouse, and lines drawn from its cache."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from faltui.core.catalog import ModelInfo
from faltui.core.state import AppState
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.model_list import LINES_PER_MODEL, ModelList

MODELS = [
    ModelInfo("fal-ai/flux/dev", "FLUX.1 [dev]", "text-to-image", "Fast images"),
    ModelInfo("fal-ai/flux/schnell", "FLUX.1 [schnell]", "text-to-image", "Even faster"),
    ModelInfo("fal-ai/kokoro", "[red]Kokoro[/red]\x1b[31m", "text-to-speech", "Speech"),
    *[ModelInfo(f"acme/model-{i:03}", f"Model {i}", "text-to-image") for i in range(60)],
]


class Harness(App[None]):
    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield ModelBrowser(MODELS, state=self.state)

    def on_model_browser_chosen(self, message: ModelBrowser.Chosen) -> None:
        self.chosen.append(message.model.endpoint_id)


def _highlighted(app: Harness) -> str | None:
    model = app.query_one(ModelBrowser).highlighted_model
    return None if model is None else model.endpoint_id


async def test_keys_move_the_cursor_and_enter_chooses(tmp_path: Path) -> None:
    app = Harness(AppState(tmp_path / "state.json"))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        listed = app.query_one(ModelList)
        browser.focus_list()
        await pilot.pause()
        first = _highlighted(app)
        assert first == browser.shown[0].endpoint_id
        await pilot.press("j", "j")
        assert _highlighted(app) == browser.shown[2].endpoint_id
        await pilot.press("k")
        assert _highlighted(app) == browser.shown[1].endpoint_id
        await pilot.press("end")
        assert listed.highlighted == len(browser.shown) - 1
        # The cursor's model is on screen (both of its lines).
        top = listed.scroll_offset.y
        row_top = listed.highlighted * LINES_PER_MODEL
        assert top <= row_top and row_top + LINES_PER_MODEL <= top + listed.size.height
        await pilot.press("home")
        assert listed.highlighted == 0 and listed.scroll_offset.y == 0
        page = listed.page_models  # (the description's height, hence the page's, may change)
        await pilot.press("pagedown")
        assert listed.highlighted == page
        await pilot.press("pageup")
        assert listed.highlighted == 0
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.chosen == [browser.shown[1].endpoint_id]
        # The description follows the cursor.
        about = str(app.query_one("#browser-description").render())
        assert browser.shown[1].endpoint_id in about


async def test_a_click_on_either_line_of_a_model_chooses_it(tmp_path: Path) -> None:
    app = Harness(AppState(tmp_path / "state.json"))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        listed = app.query_one(ModelList)
        await pilot.click(ModelList, offset=(4, 2 * LINES_PER_MODEL + 1))  # third, second line
        await pilot.pause()
        assert app.chosen == [browser.shown[2].endpoint_id]
        assert listed.highlighted == 2


async def test_catalog_text_is_shown_literally(tmp_path: Path) -> None:
    app = Harness(AppState(tmp_path / "state.json"))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        browser.set_query("kokoro")
        await pilot.pause()
        listed = app.query_one(ModelList)
        assert listed.line_text(0) == "  [red]Kokoro[/red]␛[31m  text-to-speech\n  fal-ai/kokoro"


async def test_a_ranking_seen_before_is_drawn_from_the_line_cache(tmp_path: Path) -> None:
    app = Harness(AppState(tmp_path / "state.json"))
    async with app.run_test(size=(60, 30)) as pilot:
        browser = app.query_one(ModelBrowser)
        listed = app.query_one(ModelList)
        browser.focus_search()
        await pilot.press(*"flux")
        await pilot.pause()
        assert [m.endpoint_id for m in browser.shown] == ["fal-ai/flux/dev", "fal-ai/flux/schnell"]
        await pilot.press(*["backspace"] * 4)
        await pilot.pause()
        built = listed.lines_built
        assert built > 0
        await pilot.press(*"flux")
        await pilot.pause()
        await pilot.press(*["backspace"] * 4)
        await pilot.pause()
        # The same rankings again: every line came from the cache.
        assert listed.lines_built == built
        # Moving the cursor builds the two models whose cursor state changed, not the page.
        browser.focus_list()
        await pilot.pause()
        before = listed.lines_built
        await pilot.press("j")
        await pilot.pause()
        assert 0 < listed.lines_built - before <= 2
