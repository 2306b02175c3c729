"""Presets in the TUI, against the emulator: the form saved as a named preset (ctrl+o), applied
from the form (ctrl+g) and from the palette ("Apply preset: NAME"), and a preset applied after
the model's schema changed says what changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from textual.widgets import Input, Static
from waits import palette_highlight, until

from faltui.core import bundled
from faltui.core.config import Settings
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.presets import PresetNameScreen, PresetPickScreen
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.param_form import ParamForm
from faltui.tui.widgets.results import ResultsPane

FLUX = "fal-ai/flux/dev"


@pytest.fixture(autouse=True)
def no_previews(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


def changed_flux_doc() -> dict[str, Any]:
    """flux/dev with num_inference_steps gone and guidance_scale now a string."""
    doc = copy.deepcopy(bundled.bundled_openapi(FLUX))
    props = doc["components"]["schemas"]["FluxDevInput"]["properties"]
    del props["num_inference_steps"]
    props["guidance_scale"] = {"type": "string", "title": "Guidance Scale"}
    return doc


async def test_save_apply_and_a_changed_schema_is_named(
    emu_settings: Settings, emulator: Emulator
) -> None:
    notes: list[str] = []
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        original = app.notify

        def record(message: str, **kwargs: Any) -> None:
            notes.append(message)
            original(message, **kwargs)

        app.notify = record  # type: ignore[method-assign]
        await pilot.press("slash", *"flux dev")
        browser = app.query_one(ModelBrowser)
        await until(lambda: browser.highlighted_model is not None)
        await pilot.press("enter")
        await until(lambda: app.main.current_schema is not None)
        form = app.query_one(ParamForm)
        await form.settled()
        for name, value in (("prompt", "a misty harbour"), ("num_inference_steps", 20)):
            editor = form.editor(name)
            assert editor is not None
            editor.set_value(value)
        await pilot.pause()
        assert form.values()["num_inference_steps"] == 20
        await pilot.press("ctrl+o")
        await until(lambda: isinstance(app.screen, PresetNameScreen))
        app.screen.query_one(Input).value = "   "
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PresetNameScreen)  # a bad name is refused, and says why
        assert "a preset needs a name" in str(
            app.screen.query_one("#preset-error", Static).render()
        )
        app.screen.query_one(Input).value = "harbour"
        await pilot.press("enter")
        await until(lambda: any("Saved preset 'harbour'" in n for n in notes))
        (saved,) = app.services.presets.presets(FLUX)
        assert saved.input["prompt"] == "a misty harbour"
        assert saved.input["num_inference_steps"] == 20

        # Applied from the form (ctrl+g) onto a changed form, unchanged schema: it fits.
        prompt = form.editor("prompt")
        assert prompt is not None
        prompt.set_value("something else")
        await pilot.pause()
        await pilot.press("ctrl+g")
        await until(lambda: isinstance(app.screen, PresetPickScreen))
        await pilot.press("enter")
        await until(lambda: form.values().get("prompt") == "a misty harbour")
        await until(lambda: any("Applied preset 'harbour'." in n for n in notes))

        # The model's schema changes on fal: applying (from the palette) says what changed.
        emulator.catalog.add(FLUX, changed_flux_doc())
        await pilot.press("ctrl+p")
        await pilot.press(*"apply preset: harbour")
        await until(lambda: "Apply preset: harbour" in palette_highlight(app))
        await pilot.press("enter")
        await until(lambda: any("changed since" in n for n in notes), what="the change note")
        note = next(n for n in notes if "changed since" in n)
        assert "the schema of fal-ai/flux/dev changed since" in note
        assert "field 'num_inference_steps' is gone from the model's inputs" in note
        await until(lambda: form.editor("num_inference_steps") is None)
        origin = str(form.query_one("#form-origin", Static).render())
        assert "num_inference_steps' is gone" in origin


async def test_help_lists_the_send_spend_and_preset_keys(tmp_path) -> None:
    from faltui.core.config import Paths
    from faltui.tui.screens.help import HelpScreen

    home = tmp_path
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    app = FaltuiApp(Settings(paths=paths))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen))
        rows = {
            row.binding_id: (row.keys, row.description)
            for section in app.screen.sections
            for row in section.rows
        }
        assert rows["send"] == (["t"], "Send to model")
        assert rows["results.send"][0] == ["t"] and rows["detail.send"][0] == ["t"]
        assert rows["preset.save"] == (["^o"], "Save preset")
        assert rows["preset.apply"] == (["^g"], "Apply preset")
        assert {"confirm.yes", "confirm.no", "send.cancel"} <= set(rows)
