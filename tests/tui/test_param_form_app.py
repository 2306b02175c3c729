"""The form inside the real app, against the emulator: typed payloads reach fal, 422s come back."""

from __future__ import annotations

from form_host import FLUX, KLING
from waits import until

from faltui.core.config import Settings
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.widgets.param_form import ParamForm


async def choose(app: FaltuiApp, endpoint_id: str) -> ParamForm:
    model = next(m for m in app.services.catalog.local_models() if m.endpoint_id == endpoint_id)
    app.main.choose_model(model)
    await until(lambda: app.main.current_schema is not None)
    form = app.query_one("#form", ParamForm)
    await until(lambda: form.endpoint_id == endpoint_id and bool(form.editors()))
    return form


async def test_typed_payload_reaches_fal_and_a_422_marks_the_field(
    emu_settings: Settings, emulator: Emulator
) -> None:
    emulator.script_next_jobs("validation")
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        form = await choose(app, FLUX)
        await pilot.pause()
        form.editor("prompt").focus_control()
        await pilot.press(*"a lighthouse")
        await pilot.press("ctrl+j")  # the alternative submit key
        await until(lambda: len(emulator.jobs) == 1)
        sent = next(iter(emulator.jobs.values())).input
        # The seed field was left empty (random): faltui chose one, and the job shows it.
        assert "seed" not in form.values() and isinstance(sent["seed"], int)
        assert sent == {**form.values(), "seed": sent["seed"]}
        (job,) = app.services.jobs.jobs()
        assert job.input["seed"] == sent["seed"]
        assert sent["prompt"] == "a lighthouse"
        assert type(sent["num_images"]) is int and type(sent["guidance_scale"]) is float
        # The emulated fal answers 422 at ("body", "prompt"): the field shows it.
        prompt = form.editor("prompt")
        await until(lambda: "Emulated validation failure" in (prompt.error_message or ""))
        assert prompt.has_class("-error")


async def test_remembered_values_and_raw_json_key_in_the_app(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        form = await choose(app, KLING)
        await pilot.pause()
        form.editor("prompt").focus_control()
        await pilot.press(*"waves")
        await pilot.press("ctrl+s")
        await until(lambda: len(emulator.jobs) == 1)
        assert next(iter(emulator.jobs.values())).input["duration"] == "5"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert form.raw_mode
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not form.raw_mode
        # Choosing the model again brings back what was submitted.
        await choose(app, FLUX)
        form = await choose(app, KLING)
        await pilot.pause()
        assert form.values()["prompt"] == "waves"
