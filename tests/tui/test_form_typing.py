"""The form as a user types into it: each case here once gave a different answer than the CLI,
silently changed what was typed, or lost it (issue 7). Typed through the real widgets."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from form_host import FLUX, KLING, WHISPER, FormHost, schema_for
from textual.widgets import Collapsible, Input, Static, TextArea

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.widgets.form_fields import FieldEditor
from faltui.tui.widgets.param_form import ParamForm


def error_line(editor: FieldEditor) -> str:
    """The text of an editor's own red error line ('' when it shows none)."""
    line = editor.query_children(".field-error").first(Static)
    return str(line.render()) if editor.has_class("-error") else ""


async def until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def type_into(pilot, app: FormHost, name: str, text: str) -> Input:
    """Open Advanced if needed, empty the field with ctrl+u and type ``text`` key by key."""
    for section in app.query(".form-advanced").results(Collapsible):
        section.collapsed = False
    await pilot.pause()
    field = app.form.editor(name).query_one(Input)
    field.focus()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()
    return field


# -- numbers: what is typed is what is sent, or an error says why ------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2.5", "expected an integer; got '2.5'"),  # was silently 25
        ("3,5", "expected an integer; got '3,5'"),  # was silently 35
        ("1e3", "must be ≤ 4, got 1000"),  # was silently 13
    ],
)
async def test_an_integer_field_keeps_what_was_typed_and_says_why_not(
    text: str, message: str
) -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p", "num_images": 1})
    async with app.run_test(size=(100, 40)) as pilot:
        field = await type_into(pilot, app, "num_images", text)
        assert field.value == text  # no character was dropped
        assert message in error_line(app.form.editor("num_images"))
        assert app.form.request_submit(1) is False
        await pilot.pause()
        assert app.submitted == []


async def test_integer_written_as_5_0_or_1e1_is_that_integer() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p"})
    async with app.run_test(size=(100, 40)) as pilot:
        await type_into(pilot, app, "num_inference_steps", "5.0")
        assert app.form.request_submit(1)
        await type_into(pilot, app, "num_inference_steps", "1e1")
        assert app.form.request_submit(1)
        await pilot.pause()
        sent = [m.payload["num_inference_steps"] for m in app.submitted]
        assert sent == [5, 10] and all(type(v) is int for v in sent)


async def test_a_whole_number_in_a_number_field_is_sent_as_typed() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p"})
    async with app.run_test(size=(100, 40)) as pilot:
        await type_into(pilot, app, "guidance_scale", "5")
        assert app.form.request_submit(1)
        await type_into(pilot, app, "guidance_scale", "5.0")
        assert app.form.request_submit(1)
        await pilot.pause()
        first, second = (m.payload["guidance_scale"] for m in app.submitted)
        assert type(first) is int and first == 5  # as `faltui run --param guidance_scale=5`
        assert type(second) is float and second == 5.0


async def test_a_number_field_holding_letters_can_be_cleared() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p", "guidance_scale": 3.5})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        field = app.form.editor("guidance_scale").query_one(Input)
        field.value = "abc"  # e.g. pasted, or kept from an earlier draft
        field.focus()
        await pilot.press("end", "backspace")
        assert field.value == "ab"
        await pilot.press("backspace", "backspace")
        assert field.value == ""
        field.value = "abc"
        await pilot.press("home", "delete")
        assert field.value == "bc"
        await pilot.press("end", "ctrl+u")
        assert field.value == ""
        assert "guidance_scale" not in app.form.values()


# -- files ----------------------------------------------------------------------------------


async def test_a_file_url_with_escaped_space_names_the_local_file(tmp_path: Path) -> None:
    audio = tmp_path / "a b.wav"
    audio.write_bytes(b"RIFF")
    app = FormHost(schema_for(WHISPER))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.editor("audio_url").query_one(Input).value = audio.as_uri()  # …/a%20b.wav
        await pilot.pause()
        assert "%20" in audio.as_uri() and error_line(app.form.editor("audio_url")) == ""
        assert app.form.request_submit(1)
        await pilot.pause()
        assert app.submitted[0].payload["audio_url"] in (audio.as_uri(), str(audio))


async def test_an_unsupported_url_scheme_is_named_not_called_a_missing_file() -> None:
    app = FormHost(schema_for(WHISPER))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        editor = app.form.editor("audio_url")
        editor.query_one(Input).value = "ftp://example.com/talk.wav"
        await pilot.pause()
        line = error_line(editor)
        assert "ftp:// URLs are not supported" in line and "no such" not in line
        assert app.form.request_submit(1) is False


# -- a validator that fails refuses the submit ----------------------------------------------


async def test_a_failing_validator_refuses_the_submit(monkeypatch: pytest.MonkeyPatch) -> None:
    # the module, not the function the package exports under the same name
    validate_module = importlib.import_module("faltui.core.schema.validate")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("checker bug")

    monkeypatch.setattr(validate_module._Checker, "check", broken)
    app = FormHost(schema_for(FLUX), {"prompt": "a cat"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.request_submit(1) is False
        await pilot.pause()
        assert app.submitted == []
        assert app.notes and app.notes[-1][0] == "error"  # and the user is told


# -- inside the app: drafts, focus, forks ------------------------------------------------------


async def choose(app: FaltuiApp, endpoint_id: str) -> ParamForm:
    model = next(m for m in app.services.catalog.local_models() if m.endpoint_id == endpoint_id)
    app.main.choose_model(model)
    await app.workers.wait_for_complete()
    form = app.query_one("#form", ParamForm)
    await until(lambda: form.endpoint_id == endpoint_id and bool(form.editors()))
    await form.settled()
    return form


async def test_an_unsent_draft_survives_switching_models_and_a_restart(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        form = await choose(app, KLING)
        form.editor("prompt").focus_control()
        await pilot.press(*"a half-written prompt")
        app.query_one(".form-advanced", Collapsible).collapsed = False
        voices = form.editor("voice_ids")
        for voice in ("v1", "v2"):
            voices.add_item()
            await pilot.pause()
            await pilot.press(*voice)
        await pilot.pause()
        form = await choose(app, FLUX)
        form = await choose(app, KLING)
        values = form.values()
        assert values["prompt"] == "a half-written prompt"
        assert values["voice_ids"] == ["v1", "v2"]
    app = FaltuiApp(emu_settings)  # a restart
    async with app.run_test(size=(160, 48)):
        form = await choose(app, KLING)
        assert form.values()["prompt"] == "a half-written prompt"
        assert form.values()["voice_ids"] == ["v1", "v2"]


async def test_returning_to_the_form_puts_the_cursor_back_in_the_field_last_used(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        form = await choose(app, FLUX)
        prompt = form.editor("prompt").query_one(TextArea)
        await until(lambda: app.focused is prompt)  # where choosing a model puts the cursor
        steps = form.editor("num_images").query_one(Input)
        await pilot.press("tab", "tab")  # past image_size, to num_images
        await until(lambda: app.focused is steps)
        await pilot.press("end", "backspace", "3")
        await pilot.press("f4")  # to the jobs pane
        await pilot.pause()
        assert app.focused is not steps
        await pilot.press("f3")  # back to the form
        await pilot.pause()
        assert app.focused is steps
        await pilot.press("escape", "2")  # the digit pane key, from the models pane
        await pilot.pause()
        assert app.focused is steps
        await pilot.press("f4")
        await pilot.click("#form-header")  # a click on the form, not on a field
        await pilot.pause()
        assert app.focused is steps


async def test_a_forked_seed_is_used_once_and_says_where_it_came_from(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        job = await app.services.jobs.submit(FLUX, {"prompt": "a fox", "seed": 1234})
        await until(lambda: job.state is JobState.done)
        await until(lambda: job.id in app.query_one("#jobs").shown_ids)
        await pilot.press("f4", "enter")  # the job's details …
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.press("e")  # … edited in the form
        await app.workers.wait_for_complete()
        form = app.query_one("#form", ParamForm)
        await until(lambda: form.endpoint_id == FLUX and form.values().get("prompt") == "a fox")
        await form.settled()
        await pilot.pause()
        assert form.values()["seed"] == 1234
        await pilot.press("ctrl+s")
        await until(lambda: len(emulator.jobs) == 2)
        await pilot.press("ctrl+s")
        await until(lambda: len(emulator.jobs) == 3)
        seeds = [j.input["seed"] for j in emulator.jobs.values()]
        assert seeds[:2] == [1234, 1234]  # the original job, then the fork's first submit
        assert seeds[2] != 1234  # the fork's seed did not stick: random again
        origin = str(app.query_one("#form-origin", Static).render())
        assert "its seed 1234 was used; the seed is random again" in origin
        assert "seed" not in form.values()


async def test_text_that_is_not_a_value_yet_is_kept_in_the_draft(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        form = await choose(app, FLUX)
        app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        scale = form.editor("guidance_scale").query_one(Input)
        scale.focus()
        await pilot.press("end", "ctrl+u", *"3,5")
        form = await choose(app, KLING)
        form = await choose(app, FLUX)
        await pilot.pause()
        editor = form.editor("guidance_scale")
        assert editor.query_one(Input).value == "3,5"  # as typed, still saying why not
        assert "write decimals with a point" in error_line(editor)


async def test_a_forked_seed_is_shown_and_a_typed_seed_replaces_it() -> None:
    from faltui.core.job import Job

    app = FormHost(schema_for(FLUX), autoload=False)
    async with app.run_test(size=(100, 40)) as pilot:
        job = Job(endpoint_id=FLUX, input={"prompt": "a fox", "seed": 1234})
        app.form.queue_fork(job)
        app.form.load(schema_for(FLUX))
        await app.form.settled()
        await pilot.pause()
        seed = app.form.editor("seed")
        note = seed.query_one(".seed-note", Static)
        assert str(note.render()) == f"seed 1234 from job {job.id[:8]}; clear for random"
        origin = str(app.query_one("#form-origin", Static).render())
        assert "its seed 1234 is used for the next submit only" in origin
        app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        seed.query_one(Input).focus()
        await pilot.press("end", "ctrl+u", *"77")
        await pilot.pause()
        assert not note.display  # the user's own seed now: it sticks, and nothing says fork
        assert "1234" not in str(app.query_one("#form-origin", Static).render())
        assert app.form.request_submit(1) and app.form.request_submit(1)
        await pilot.pause()
        assert [m.payload["seed"] for m in app.submitted] == [77, 77]


async def test_the_count_dialog_keeps_what_was_typed() -> None:
    from faltui.tui.screens.count import CountScreen

    app = FormHost(schema_for(FLUX), {"prompt": "p"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.editor("prompt").focus_control()
        await pilot.press("ctrl+b")
        await until(lambda: isinstance(app.screen, CountScreen))
        count = app.screen.query_one(Input)
        await pilot.press("end", "ctrl+u", "2", ".", "5", "enter")
        await pilot.pause()
        assert count.value == "2.5" and isinstance(app.screen, CountScreen)  # not 25 jobs
        assert "whole number" in str(app.screen.query_one("#count-error", Static).render())
        await pilot.press("ctrl+u", "3", "enter")
        await pilot.pause()
        assert [m.count for m in app.submitted] == [3]


async def test_text_typed_in_one_burst_with_the_submit_key_is_sent_whole(
    emu_settings: Settings, emulator: Emulator
) -> None:
    from textual import events

    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        form = await choose(app, FLUX)
        prompt = form.editor("prompt").query_one(TextArea)
        prompt.focus()
        await pilot.pause()
        # What a paste or a fast typist sends: every key in the app's queue at once, the
        # submit key last (it has priority: it ran before the field had taken the text).
        text = "a blue whale at sea"
        await pilot.press("a")  # the first key is in before the burst
        for character in text[1:]:
            key = "space" if character == " " else character
            app.post_message(events.Key(key, character))
        app.post_message(events.Key("ctrl+s", None))
        await until(lambda: len(emulator.jobs) == 1)
        sent = next(iter(emulator.jobs.values()))
        assert sent.input["prompt"] == text
        assert prompt.text == text
