"""Help lists every pane's and dialog's keys and says how to close; the palette marks the theme;
unfocused pane borders stay visible in every built-in theme."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.color import Color
from textual.command import CommandList

from faltui.core.config import Paths, Settings
from faltui.tui.app import FaltuiApp
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
