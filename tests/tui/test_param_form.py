"""ParamForm on real fal schemas: typing, choosing, checking, raw JSON, errors, lists."""

from __future__ import annotations

import json
from pathlib import Path

from form_host import FLUX, KLING, WHISPER, FormHost, openapi, parse, schema_for
from textual.widgets import Button, Collapsible, Input, Select, Static, Switch, TextArea
from waits import until

from faltui.core.errors import FieldError
from faltui.tui.widgets.form_fields import FieldEditor
from faltui.tui.widgets.form_groups import CUSTOM, ImageSizeEditor
from faltui.tui.widgets.form_lists import ArrayEditor
from faltui.tui.widgets.help_line import HelpLine
from faltui.tui.widgets.param_form import ParamForm


def error_line(editor: FieldEditor) -> str:
    """The text of an editor's own red error line."""
    line = editor.query_children(".field-error").first(Static)
    return str(line.render()) if editor.has_class("-error") else ""


async def test_defaults_are_prefilled_and_typed() -> None:
    app = FormHost(schema_for(FLUX))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        values = app.form.values()
        assert "prompt" not in values  # empty and no default
        assert values["num_images"] == 1 and type(values["num_images"]) is int
        assert values["guidance_scale"] == 3.5 and type(values["guidance_scale"]) is float
        assert values["image_size"] == "landscape_4_3"
        assert values["enable_safety_checker"] is True
        assert "seed" not in values  # optional, no default: omitted
        header = app.query_one("#form-header", Static).render()
        assert FLUX in str(header)


async def test_required_missing_blocks_submit_and_is_marked() -> None:
    app = FormHost(schema_for(FLUX))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.request_submit(1) is False
        await pilot.pause()
        assert app.submitted == []
        prompt = app.form.editor("prompt")
        assert prompt is not None and prompt.has_class("-error")
        assert "required" in error_line(prompt)
        assert app.notes and app.notes[-1][0] == "error"
        assert app.notes[-1][1] == "1 field needs attention: prompt"


async def test_typing_a_prompt_and_ctrl_s_submits_a_typed_payload() -> None:
    app = FormHost(schema_for(FLUX))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.editor("prompt").focus_control()
        await pilot.press(*"a red fox")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(app.submitted) == 1
        message = app.submitted[0]
        assert message.endpoint_id == FLUX and message.count == 1
        assert message.payload["prompt"] == "a red fox"
        assert type(message.payload["num_images"]) is int
        assert type(message.payload["guidance_scale"]) is float
        assert type(message.payload["num_inference_steps"]) is int


async def test_a_number_field_sends_the_number_as_typed() -> None:
    # "7" is sent as 7 and "7.5" as 7.5, as on the command line (a number field used to
    # turn every whole number into a float: 7.0).
    app = FormHost(schema_for(FLUX), {"prompt": "p", "guidance_scale": 3.5})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        editor = app.form.editor("guidance_scale")
        editor.query_one(Input).value = ""
        editor.focus_control()
        await pilot.press("7")
        assert app.form.values()["guidance_scale"] == 7
        assert type(app.form.values()["guidance_scale"]) is int
        await pilot.press(".", "5")
        assert app.form.values()["guidance_scale"] == 7.5


async def test_out_of_range_number_shows_inline_error_and_blocks() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p", "num_images": 1})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        editor = app.form.editor("num_images")
        field = editor.query_one(Input)
        field.focus()
        await pilot.press("end", "backspace", "9")
        await pilot.pause()
        assert field.value == "9"
        assert "≤ 4" in error_line(editor)  # shown while typing, before any submit
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.submitted == []
        await pilot.press("backspace", "x", "2")  # typed as it is, and said to be wrong
        await pilot.pause()
        assert field.value == "x2" and "expected an integer; got 'x2'" in error_line(editor)
        await pilot.press("ctrl+u", "2")
        await pilot.pause()
        assert field.value == "2" and error_line(editor) == ""
        assert app.form.request_submit(3)
        await pilot.pause()
        assert app.submitted[-1].payload["num_images"] == 2 and app.submitted[-1].count == 3


async def test_choosing_an_enum_value_with_the_keyboard() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p", "output_format": "jpeg"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        select = app.form.editor("output_format").query_one(Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert select.value == "png"
        assert app.form.values()["output_format"] == "png"


async def test_switching_a_boolean() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p", "enable_safety_checker": True})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        switch = app.form.editor("enable_safety_checker").query_one(Switch)
        switch.focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.form.values()["enable_safety_checker"] is False


async def test_kling_duration_stays_a_string_and_values_are_remembered() -> None:
    remembered = {"prompt": "waves", "duration": "10", "generate_audio": False}
    app = FormHost(schema_for(KLING), remembered)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.request_submit(1)
        await pilot.pause()
        payload = app.submitted[0].payload
        # Remembered values come back exactly; what the user left empty stays out.
        assert payload == remembered
        assert payload["duration"] == "10" and isinstance(payload["duration"], str)


async def test_kling_defaults_send_duration_5_as_string() -> None:
    app = FormHost(schema_for(KLING))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.editor("prompt").focus_control()
        await pilot.press(*"surf")
        assert app.form.request_submit(1)
        await pilot.pause()
        payload = app.submitted[0].payload
        assert payload["duration"] == "5"
        assert payload["cfg_scale"] == 0.5 and type(payload["cfg_scale"]) is float
        assert "multi_prompt" not in payload and "voice_ids" not in payload


async def test_raw_json_round_trip() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "cat", "num_images": 2, "guidance_scale": 3.5})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        before = app.form.values()
        await pilot.press("ctrl+r")
        await pilot.pause()
        area = app.query_one("#form-raw", TextArea)
        assert app.form.raw_mode and area.display
        assert area.text == json.dumps(before, indent=2, ensure_ascii=False)
        assert json.loads(area.text) == before

        area.load_text('{"prompt": "dog", "num_images": 3, "image_size": {"width"')
        await pilot.press("ctrl+r")  # bad JSON: stays in the raw view, says why
        await pilot.pause()
        assert app.form.raw_mode
        raw_error = app.query_one("#form-raw-error", Static)
        assert raw_error.display and "Not valid JSON" in str(raw_error.render())
        await pilot.press("ctrl+s")  # the notice says what is wrong, not "(input)"
        await pilot.pause()
        assert not app.submitted
        assert app.notes[-1][0] == "error" and app.notes[-1][1].startswith("Not valid JSON")

        edited = {"prompt": "dog", "num_images": 3, "image_size": {"width": 640, "height": 480}}
        area.load_text(json.dumps(edited))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.form.raw_mode
        assert app.form.editor("prompt").query_one(TextArea).text == "dog"
        assert app.form.editor("num_images").query_one(Input).value == "3"
        size = app.form.editor("image_size")
        assert isinstance(size, ImageSizeEditor) and size.has_class("-custom")
        # Fields left out of the JSON are left out of the payload (the user removed them).
        assert app.form.values() == edited


async def test_raw_json_must_be_an_object_and_is_checked_on_submit() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "cat"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.toggle_raw()
        area = app.query_one("#form-raw", TextArea)
        area.load_text("[1, 2]")
        assert app.form.toggle_raw() is False
        assert app.form.raw_mode
        area.load_text('{"num_images": 2}')
        assert app.form.request_submit(1) is False  # prompt is required
        await pilot.pause()
        assert "prompt" in str(app.query_one("#form-raw-error", Static).render())
        area.load_text('{"prompt": "x", "num_images": 2}')
        assert app.form.request_submit(1)
        await pilot.pause()
        assert app.submitted[-1].payload == {"prompt": "x", "num_images": 2}


async def test_mark_errors_lands_on_nested_editors() -> None:
    values = {"prompt": "p", "image_size": {"width": 512, "height": 512}}
    app = FormHost(schema_for(FLUX), values)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.mark_errors(
            [
                FieldError(("image_size", "width"), "must be a multiple of 8"),
                FieldError(("num_inference_steps",), "too many"),
                FieldError(("nonsense", 3), "what is this"),
                FieldError((), "the whole input is wrong"),
            ]
        )
        await pilot.pause()
        size = app.form.editor("image_size")
        assert "width: must be a multiple of 8" in error_line(size)
        steps = app.form.editor("num_inference_steps")
        assert "too many" in error_line(steps)
        # An error inside the collapsed Advanced section opens it.
        assert not app.query_one(".form-advanced", Collapsible).collapsed
        general = str(app.query_one("#form-general", Static).render())
        assert "nonsense[3]: what is this" in general and "the whole input is wrong" in general
        app.form.mark_errors([])
        await pilot.pause()
        assert error_line(size) == "" and not app.query_one("#form-general").has_class("-shown")


async def test_mark_errors_in_a_list_of_objects() -> None:
    values = {
        "prompt": "p",
        "multi_prompt": [{"prompt": "a", "duration": "5"}, {"prompt": "b", "duration": "3"}],
    }
    app = FormHost(schema_for(KLING), values)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.values()["multi_prompt"] == values["multi_prompt"]
        app.form.mark_errors([FieldError(("multi_prompt", 1, "prompt"), "too short")])
        await pilot.pause()
        array = app.form.editor("multi_prompt")
        assert isinstance(array, ArrayEditor)
        second = array.child_editors()[1]
        inner, rest = second.locate(("multi_prompt", 1, "prompt"))
        assert rest == () and inner.path == ("multi_prompt", 1, "prompt")
        assert "too short" in error_line(inner)
        assert error_line(array.child_editors()[0]) == ""


def focus_in_row(app: FormHost, array: ArrayEditor, index: int) -> bool:
    """True once row ``index`` of ``array`` exists and holds the focus."""
    rows = array.rows()
    focused = app.focused
    return len(rows) > index and focused is not None and rows[index] in focused.ancestors


async def test_array_of_objects_add_and_remove() -> None:
    app = FormHost(schema_for(KLING), {"prompt": "p"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        array = app.form.editor("multi_prompt")
        assert isinstance(array, ArrayEditor) and array.rows() == []
        array.query_one(".array-add", Button).press()
        await until(lambda: focus_in_row(app, array, 0), what="focus in the new row")
        assert len(array.rows()) == 1
        await pilot.press(*"first shot")  # the new row's first field has the focus
        await pilot.press("ctrl+n")  # key binding adds another row
        await until(lambda: focus_in_row(app, array, 1), what="focus in the second row")
        await pilot.press(*"second")
        assert app.form.values()["multi_prompt"] == [
            {"prompt": "first shot", "duration": "5"},
            {"prompt": "second", "duration": "5"},
        ]
        array.rows()[0].query_one(".row-remove", Button).press()
        await pilot.pause()
        assert app.form.values()["multi_prompt"] == [{"prompt": "second", "duration": "5"}]
        assert array.rows()[0].editor.path == ("multi_prompt", 0)
        array.rows()[0].editor.focus_control()
        await pilot.press("ctrl+t")  # removes the row holding the focus
        await pilot.pause()
        assert array.rows() == [] and "multi_prompt" not in app.form.values()


async def test_array_item_missing_required_child_blocks_submit() -> None:
    app = FormHost(schema_for(KLING), {"prompt": "p", "multi_prompt": [{"duration": "5"}]})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        errors = app.form.check()
        assert [e.path for e in errors] == [("multi_prompt", 0, "prompt")]
        assert app.form.request_submit(1) is False


async def test_list_of_strings_add_rows() -> None:
    app = FormHost(schema_for(KLING), {"prompt": "p"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.query_one(".form-advanced", Collapsible).collapsed = False
        array = app.form.editor("voice_ids")
        array.add_item()
        await pilot.pause()
        await pilot.press(*"v1")
        array.add_item()
        await pilot.pause()
        await pilot.press(*"v2")
        assert app.form.values()["voice_ids"] == ["v1", "v2"]


async def test_image_size_presets_and_custom() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p", "image_size": "square_hd"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        size = app.form.editor("image_size")
        assert app.form.values()["image_size"] == "square_hd"
        size.query_one(".size-preset", Select).value = CUSTOM
        await pilot.pause()
        assert size.has_class("-custom")
        assert app.form.values()["image_size"] == {"width": 512, "height": 512}
        size.query_one(".size-width", Input).value = "20000"
        await pilot.pause()
        assert "width: must be ≤ 14142, got 20000" in error_line(size)
        assert app.form.request_submit(1) is False


async def test_file_field_accepts_urls_and_existing_paths(tmp_path: Path) -> None:
    audio = tmp_path / "talk.wav"
    audio.write_bytes(b"RIFF")
    app = FormHost(schema_for(WHISPER))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        editor = app.form.editor("audio_url")
        assert "local path uploads on submit" in str(editor.query_one(".field-label").render())
        field = editor.query_one(Input)
        field.value = str(tmp_path / "missing.wav")
        await pilot.pause()
        assert "no such local file" in error_line(editor)
        assert app.form.request_submit(1) is False
        field.value = str(audio)
        assert app.form.request_submit(1)
        field.value = "https://example.com/a.mp3"
        assert app.form.request_submit(1)
        await pilot.pause()
        first, second = (m.payload for m in app.submitted)
        assert first["audio_url"] == str(audio)
        assert second["audio_url"] == "https://example.com/a.mp3"
        # Nullable enum without a default: not set, so not sent; the const is.
        assert "language" not in second and second["version"] == "3"
        assert second["batch_size"] == 64


async def test_descriptions_are_literal_text() -> None:
    doc = openapi(FLUX)
    props = doc["components"]["schemas"]["FluxDevInput"]["properties"]
    props["prompt"]["description"] = "Use [bold]brackets[/bold] and [link=x]y[/link] freely"
    props["num_images"]["title"] = "[red]Num"
    app = FormHost(parse(doc, FLUX))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        help_line = app.form.editor("prompt").query_one(".field-help", HelpLine)
        assert "[bold]brackets[/bold]" in str(help_line.render())
        area = app.form.editor("prompt").query_one(TextArea)
        assert "[link=x]" in str(area.tooltip)


async def test_unknown_keys_are_kept_and_schemaless_endpoints_use_raw_json() -> None:
    doc = openapi(FLUX)
    app = FormHost(parse(doc, FLUX), {"prompt": "p", "extra_thing": 1})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.values()["extra_thing"] == 1
        assert any("extra_thing" in str(s.render()) for s in app.query(".form-note"))


async def test_fits_80x24_and_scrolls() -> None:
    app = FormHost(schema_for(KLING))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        scroll = app.query_one("#form-fields")
        assert scroll.virtual_size.height > scroll.size.height
        last = app.form.editors()[-1]
        last.focus_control()
        await pilot.pause()
        assert scroll.scroll_y > 0
        assert app.query_one("#form-header").region.height == 1


async def test_empty_form_before_load() -> None:
    app = FormHost(None, autoload=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.query_one(ParamForm)
        assert form.check()  # no model: nothing to submit
        assert form.toggle_raw() is False


async def test_ctrl_b_asks_how_many_and_submits_that_many() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "p"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.editor("prompt").focus_control()
        await pilot.press("ctrl+b")
        await pilot.pause()
        count = app.screen.query_one(Input)
        count.value = ""
        await pilot.press("3", "enter")
        await pilot.pause()
        assert [m.count for m in app.submitted] == [3]


async def test_bindings_have_ids_and_show_in_the_footer() -> None:
    ids = {b.id: b.key for b in ParamForm.BINDINGS}
    assert ids == {
        "form.submit": "ctrl+s",
        "form.submit_alt": "ctrl+j",
        "form.submit_many": "ctrl+b",
        "form.raw": "ctrl+r",
    }
    app = FormHost(schema_for(FLUX))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.form.editor("prompt").focus_control()
        await pilot.pause()
        shown = {b.binding.id for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"form.submit", "form.submit_many", "form.raw"} <= shown


async def test_load_before_mount_and_reload_replace_the_fields() -> None:
    class Early(FormHost):
        def compose(self):
            form = ParamForm(id="form")
            form.load(self.schema, {"prompt": "early"})  # not mounted yet: applied on mount
            yield form

    app = Early(schema_for(FLUX), autoload=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.values()["prompt"] == "early"
        app.form.load(schema_for(WHISPER), None)
        app.form.load(schema_for(KLING), {"prompt": "last"})
        await app.form.settled()  # both swaps done (one pause is not enough on a busy machine)
        await pilot.pause()
        assert app.form.endpoint_id == KLING
        assert [e.field.name for e in app.form.editors()] == [
            f.name for f in schema_for(KLING).input
        ]
        assert len(app.form.query(".form-advanced")) == 1  # old sections are gone
        assert app.form.values() == {"prompt": "last"}


async def test_submitted_payload_is_a_copy() -> None:
    values = {"prompt": "p", "multi_prompt": [{"prompt": "a", "duration": "5"}]}
    app = FormHost(schema_for(KLING), values)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.request_submit(1)
        await pilot.pause()
        app.submitted[0].payload["multi_prompt"][0]["prompt"] = "changed"
        assert app.form.values()["multi_prompt"][0]["prompt"] == "a"


async def test_integer_enum_open_enum_and_file_list(tmp_path: Path) -> None:
    trellis = FormHost(schema_for("fal-ai/trellis"))
    async with trellis.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert trellis.form.values()["texture_size"] == 1024
        trellis.form.editor("texture_size").query_one(Select).value = 2048
        assert trellis.form.values()["texture_size"] == 2048

    ultra = FormHost(schema_for("fal-ai/flux-pro/v1.1-ultra"), None)
    async with ultra.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        ratio = ultra.form.editor("aspect_ratio")
        assert ratio.query_one(Input).value == "16:9"
        ratio.query_one(Input).value = "7:3"  # an open enum takes any string
        assert ultra.form.values()["aspect_ratio"] == "7:3"
        assert "suggested:" in str(ratio.query_one(".field-help", HelpLine).render())

    picture = tmp_path / "in.png"
    picture.write_bytes(b"\x89PNG")
    edit = FormHost(schema_for("fal-ai/nano-banana/edit"), {"prompt": "a cat"})
    async with edit.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        urls = edit.form.editor("image_urls")
        assert isinstance(urls, ArrayEditor)
        assert edit.form.check()[0].path == ("image_urls",)  # required list, still empty
        urls.add_item()
        await pilot.pause()
        await pilot.press(*str(tmp_path / "nope.png"))
        urls.add_item("https://example.com/a.png")
        await pilot.pause()
        errors = edit.form.check()
        assert [e.path for e in errors] == [("image_urls", 0)]
        assert "no such local file" in error_line(urls.child_editors()[0])
        urls.child_editors()[0].set_value(str(picture))
        assert edit.form.check() == []
        assert edit.form.values()["image_urls"] == [str(picture), "https://example.com/a.png"]


async def test_object_with_a_default_is_prefilled_and_typed() -> None:
    app = FormHost(schema_for("fal-ai/minimax/speech-02-hd"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        voice = app.form.values()["voice_setting"]
        assert voice["voice_id"] == "Wise_Woman"
        assert voice["speed"] == 1  # the schema's default, as the schema declares it
        assert "audio_setting" not in app.form.values()  # optional object left empty


async def test_prompt_box_grows_with_its_text() -> None:
    app = FormHost(schema_for(FLUX), {"prompt": "short"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        area = app.form.editor("prompt").query_one(TextArea)
        small = area.size.height
        area.load_text("a long prompt about lighthouses and the sea " * 12)
        await pilot.pause()
        assert area.soft_wrap and small <= 2 < area.size.height <= 6


async def test_wide_terminal_200x60() -> None:
    app = FormHost(schema_for(WHISPER))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        editor = app.form.editor("audio_url")
        assert editor.query_one(Input).size.width >= 190
        scroll = app.query_one("#form-fields")
        assert scroll.virtual_size.height <= scroll.size.height  # everything fits


async def test_too_short_shows_after_a_check_and_raw_fastapi_errors_are_understood() -> None:
    app = FormHost(schema_for("fal-ai/nano-banana/edit"), {"image_urls": ["https://x/a.png"]})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        prompt = app.form.editor("prompt")
        prompt.focus_control()
        await pilot.press("a")
        await pilot.pause()
        assert error_line(prompt) == ""  # still typing: not red yet
        assert app.form.request_submit(1) is False
        await pilot.pause()
        assert "too short: 1 characters, at least 3" in error_line(prompt)
        app.form.mark_errors([{"loc": ["body", "image_urls", 0], "msg": "Not an image"}])
        await pilot.pause()
        first_url = app.form.editor("image_urls").child_editors()[0]
        assert "Not an image" in error_line(first_url)


async def test_endpoint_without_fields_opens_the_raw_view() -> None:
    from faltui.core.schema import EndpointSchema

    schema = EndpointSchema("someone/free-form", [], [], {}, {}, {})
    app = FormHost(schema, {"messages": [{"role": "user", "content": "hi"}]})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.form.raw_mode
        area = app.query_one("#form-raw", TextArea)
        assert json.loads(area.text) == {"messages": [{"role": "user", "content": "hi"}]}
        area.load_text('{"model": "x", "max_tokens": 5}')
        assert app.form.request_submit(1)
        await pilot.pause()
        assert app.submitted[0].payload == {"model": "x", "max_tokens": 5}
        assert app.submitted[0].endpoint_id == "someone/free-form"


async def test_long_example_urls_fit_the_placeholder() -> None:
    app = FormHost(schema_for(WHISPER))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        audio = app.form.editor("audio_url").query_one(Input)
        assert audio.placeholder == "e.g. …/dinner_conversation.mp3"
