"""Layout: panes resized with keys and remembered; descriptions cut at a word with "…" at 160
columns, and the focused field's description shown in full."""

from __future__ import annotations

from pathlib import Path

from test_app import make_settings
from textual.widgets import Collapsible
from waits import until

from faltui.core.state import AppState
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.help import HelpScreen
from faltui.tui.widgets.form_labels import help_of
from faltui.tui.widgets.help_line import HelpLine, clamp_lines


def widths(app: FaltuiApp) -> dict[str, int]:
    main = app.main
    return {
        "models": main.pane_widget("models").region.width,
        "form": main.pane_widget("form").region.width,
        "right": main.query_one("#right").region.width,
        "jobs": main.pane_widget("jobs").region.height,
        "results": main.pane_widget("results").region.height,
    }


async def test_panes_resize_with_keys_and_the_sizes_are_remembered(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = FaltuiApp(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("escape")  # from the search box to the model list
        await pilot.pause()
        before = widths(app)
        assert app.main.active_pane == "models"
        await pilot.press("ctrl+right", "ctrl+right")
        await pilot.pause()
        grown = widths(app)
        assert grown["models"] > before["models"] + 10
        assert grown["form"] < before["form"] and grown["right"] < before["right"]
        await pilot.press("4", "ctrl+down", "ctrl+down", "ctrl+left")
        await pilot.pause()
        after = widths(app)
        assert after["results"] > grown["results"] + 2 and after["jobs"] < grown["jobs"]
        assert after["right"] < grown["right"]  # results' width is its column's
        await pilot.press("1", "ctrl+up")  # the models pane has no height share
        await pilot.pause()
        help_screen_keys: list[str] = []
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        help_screen_keys = [row.binding_id for section in screen.sections for row in section.rows]
        for binding_id in ("pane.wider", "pane.narrower", "pane.taller", "pane.shorter"):
            assert binding_id in help_screen_keys
        await pilot.press("escape")
    saved = AppState.load(settings.paths.state_file).layout
    assert saved == {"models": 5, "form": 3, "right": 4, "jobs": 4, "results": 6}
    again = FaltuiApp(settings)
    async with again.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert widths(again) == after
        await pilot.resize_terminal(80, 24)  # narrow: one pane at a time, full width
        await pilot.pause()
        assert again.main.pane_widget("models").region.width == 80
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert widths(again) == after
        again.main.reset_layout()
        await pilot.pause()
        assert AppState.load(settings.paths.state_file).layout == {}


def test_clamped_descriptions_end_at_a_word_with_an_ellipsis() -> None:
    text = "Level of the chunks to return. Either none, segment or word. None would imply"
    lines = clamp_lines(text, 30)
    assert lines == ["Level of the chunks to return.", "Either none, segment or word…"]
    assert clamp_lines("short text", 30) == ["short text"]
    assert clamp_lines("a " + "x" * 70, 30, 2)[-1].endswith("…")  # a word longer than a line
    assert all(len(line) <= 30 for line in clamp_lines(text * 3, 30))


async def test_descriptions_are_cut_at_words_and_the_focused_one_is_whole(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(*"fal-ai/whisper")
        await until(lambda: app.query_one("#browser").shown[0].endpoint_id == "fal-ai/whisper")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        form = app.main.form
        await until(lambda: form.editor("audio_url") is not None, what="the whisper form")
        form.query_one(".form-advanced", Collapsible).collapsed = False  # as a click would
        await pilot.pause()
        lines = [h for h in form.query(HelpLine) if h.region.width > 0]
        line = next(
            h for h in lines if len(h.text) > 2 * h.content_size.width and not h.full
        )  # a long description of a field without the focus
        editor = next(a for a in line.ancestors if hasattr(a, "field"))
        assert not editor.has_focus_within
        description = help_of(editor.field)
        assert line.text == description
        shown = str(line.render()).split("\n")
        assert len(shown) == 2 and shown[-1].endswith("…")
        kept = " ".join(shown)[:-1]
        assert description.startswith(kept)
        assert description[len(kept)] == " "  # cut between two words, not inside one
        editor.query("Input, TextArea, Select, Switch").first().focus()
        await pilot.pause()
        whole = str(line.render()).split("\n")
        assert " ".join(whole) == description and not whole[-1].endswith("…")
        other = next(h for h in lines if h is not line)
        next(a for a in other.ancestors if hasattr(a, "field")).query(
            "Input, TextArea, Select, Switch"
        ).first().focus()
        await pilot.pause()
        assert str(line.render()).split("\n") == shown
