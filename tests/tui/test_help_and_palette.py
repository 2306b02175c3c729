"""Help lists every pane's and dialog's keys and says how to close; the palette marks the theme;
unfocused pane borders stay visible in every built-in theme."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.color import Color
from textual.command import CommandList
from textual.events import Key
from textual.widgets import Input

from faltui.core.config import Paths, Settings
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.count import CountScreen
from faltui.tui.screens.help import HelpScreen
from faltui.tui.themes import builtin_themes, theme_defaults


def make_app(home: Path) -> FaltuiApp:
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return FaltuiApp(Settings(paths=paths))


async def test_help_says_how_to_close_and_lists_dialog_keys(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        hint = str(screen.query_one("#help-hint").render())
        assert "escape" in hint and "closes" in hint
        titles = [section.title for section in screen.sections]
        assert any(t.startswith("Job details") for t in titles)
        assert "Quit dialog" in titles
        ids = {row.binding_id for section in screen.sections for row in section.rows}
        assert {"detail.edit", "detail.curl", "detail.python", "detail.cli"} <= ids
        assert {"quit.leave", "quit.cancel", "quit.wait"} <= ids


async def test_palette_marks_the_current_theme(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme: faltui")
        results = app.screen.query_one(CommandList)
        for _ in range(400):  # the palette searches in a worker: wait for its hits
            if any("faltui-light" in str(o.prompt) for o in results.options):
                break
            await asyncio.sleep(0.02)
        prompts = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        marked = [p for p in prompts if "● current" in p]
        assert len(marked) == 1 and app.theme in marked[0], prompts


@pytest.mark.parametrize("theme", builtin_themes().themes, ids=lambda t: t.name)
def test_unfocused_pane_borders_stand_out_from_the_background(theme) -> None:
    border = Color.parse(theme_defaults(theme)["pane-border"])
    background = Color.parse(theme.background or "#000000")
    # WCAG contrast ratio of the two colours: a border nobody can see is ~1.0.
    lighter, darker = sorted((border.brightness, background.brightness), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 1.4, theme.name


def _burst(app: FaltuiApp, text: str) -> None:
    """Queue a run of keys at once, as a fast typist or a terminal paste delivers them."""
    for char in text:
        key = {"/": "slash", "?": "question_mark", " ": "space"}.get(char, char)
        app.post_message(Key(key, char))


async def test_keys_typed_right_after_slash_land_in_the_search_box(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("tab")  # focus leaves the search box (the category select)
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        _burst(app, "/whisper")
        await pilot.pause()
        assert app.main.browser.query_one("#browser-search", Input).value == "whisper"


async def test_question_mark_in_the_empty_search_box_opens_help(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        search = app.main.browser.query_one("#browser-search", Input)
        assert app.focused is search  # where the app starts
        await pilot.press("slash")  # already searching: not typed
        assert search.value == ""
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and search.value == ""
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"fal-ai/flux?")  # inside a query both are just characters
        assert search.value == "fal-ai/flux?"
        assert not isinstance(app.screen, HelpScreen)


async def test_submit_many_dialog_offers_the_last_count_and_names_its_keys(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        model = next(m for m in app.main.known_models() if m.endpoint_id == "fal-ai/flux/schnell")
        app.main.choose_model(model)
        await app.workers.wait_for_complete()
        app.main.form.focus_first()
        await pilot.press(*"a lighthouse")
        await pilot.press("ctrl+b")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CountScreen)
        assert "enter" in str(dialog.query_one("#count-keys").render())
        field = dialog.query_one(Input)
        assert field.value == "4"  # the first time: the default
        field.value = "2"
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert len(app.services.jobs.jobs()) == 2
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(app.screen, CountScreen)
        assert app.screen.query_one(Input).value == "2"  # remembered
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.services.jobs.jobs()) == 2


@pytest.mark.parametrize("pane", ["models", "jobs", "results"])
async def test_question_mark_opens_help_from_every_pane_without_a_text_field(
    tmp_path: Path, pane: str
) -> None:
    """``?`` opens help wherever a printable key is not expected (the models pane's empty
    search box included), and escape brings the user back to the same pane."""
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        app.main.action_pane(pane)
        await pilot.pause()
        focused = app.focused
        assert focused is not None and app.main.pane_widget(pane) in focused.ancestors_with_self
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen) and app.focused is focused


async def test_f1_opens_help_from_a_text_field_where_question_mark_is_typed(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        search = app.main.browser.query_one("#browser-search", Input)
        await pilot.press(*"flux")
        await pilot.press("question_mark")  # inside a query: a character
        assert search.value == "flux?" and not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is search and search.value == "flux?"
