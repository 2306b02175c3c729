"""The same text gives the same value — or the same error — in the form and on the command line.

Each case is typed key by key into the real form widgets (Pilot) and given to ``faltui run`` as
``--param k=v`` (parsed by the real argument parser and built by the CLI's own input builder,
through the same gate); the two outcomes must be identical. A few cases also run the whole
``faltui run`` against the emulator, to see what fal would receive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from form_host import FLUX, WHISPER, FormHost, schema_for
from textual.widgets import Collapsible, Input, Select, TextArea

from faltui.cli import build_parser, main
from faltui.cli.payload import prepare_input
from faltui.core.errors import ValidationFailed
from faltui.emulator import DEMO_KEY, Emulator
from faltui.tui.widgets.form_groups import CUSTOM, ImageSizeEditor

ULTRA = "fal-ai/flux-pro/v1.1-ultra"
#: What the form and the CLI both start from (the required prompt), per model.
BASE = {FLUX: {"prompt": "p"}, ULTRA: {"prompt": "p"}, WHISPER: {}}

ABSENT = "<absent>"
Outcome = tuple[str, Any]

#: (model, {field path: typed text}, the outcome both must give).
CASES: list[tuple[str, dict[str, str], Outcome]] = [
    (FLUX, {"num_inference_steps": "28"}, ("ok", {"num_inference_steps": 28})),
    (FLUX, {"num_inference_steps": "5.0"}, ("ok", {"num_inference_steps": 5})),
    (FLUX, {"num_inference_steps": "1e1"}, ("ok", {"num_inference_steps": 10})),
    (FLUX, {"num_inference_steps": ""}, ("ok", {"num_inference_steps": ABSENT})),
    (FLUX, {"num_inference_steps": "2.5"}, ("error", "expected an integer; got '2.5'")),
    (FLUX, {"num_inference_steps": "3,5"}, ("error", "got '3,5' (write decimals with a point")),
    (FLUX, {"num_inference_steps": "1e3"}, ("error", "must be ≤ 50, got 1000")),
    (FLUX, {"num_inference_steps": "abc"}, ("error", "expected an integer; got 'abc'")),
    (FLUX, {"num_images": "2.5"}, ("error", "expected an integer; got '2.5'")),
    (FLUX, {"num_images": "0"}, ("error", "must be ≥ 1, got 0")),
    (FLUX, {"guidance_scale": "5"}, ("ok", {"guidance_scale": 5})),
    (FLUX, {"guidance_scale": "5.0"}, ("ok", {"guidance_scale": 5.0})),
    (FLUX, {"guidance_scale": "1e1"}, ("ok", {"guidance_scale": 10.0})),
    (FLUX, {"guidance_scale": "3,5"}, ("error", "expected a number; got '3,5'")),
    (FLUX, {"guidance_scale": "nan"}, ("error", "expected a number; got 'nan'")),
    (FLUX, {"seed": "random"}, ("ok", {"seed": ABSENT})),
    (FLUX, {"seed": "1234"}, ("ok", {"seed": 1234})),
    (FLUX, {"seed": "1e3"}, ("ok", {"seed": 1000})),
    (FLUX, {"seed": "12.5"}, ("error", "expected an integer; got '12.5'")),
    (FLUX, {"prompt": "   "}, ("error", "required")),
    (
        FLUX,
        {"image_size.width": "640", "image_size.height": "480"},
        ("ok", {"image_size": {"width": 640, "height": 480}}),
    ),
    (
        FLUX,
        {"image_size.width": "2.5", "image_size.height": "480"},
        ("error", "expected an integer; got '2.5'"),
    ),
    (
        FLUX,
        {"image_size.width": "0", "image_size.height": "480"},
        ("error", "must be > 0, got 0"),
    ),
    (ULTRA, {"aspect_ratio": "7:3"}, ("ok", {"aspect_ratio": "7:3"})),
    (WHISPER, {"audio_url": "https://x.org/a.mp3"}, ("ok", {"audio_url": "https://x.org/a.mp3"})),
    (WHISPER, {"audio_url": "{uri}"}, ("ok", {"audio_url": "{path}"})),
    (WHISPER, {"audio_url": "{path}"}, ("ok", {"audio_url": "{path}"})),
    (WHISPER, {"audio_url": "ftp://x.org/a.wav"}, ("error", "ftp:// URLs are not supported")),
    (WHISPER, {"audio_url": "{dir}/nope.wav"}, ("error", "no such local file")),
    (WHISPER, {"audio_url": "{dir}"}, ("error", "is a folder, not a file")),
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Placeholders of the file cases: a local file whose name has a space, and its folder."""
    audio = tmp_path / "a b.wav"
    audio.write_bytes(b"RIFF")
    return {"uri": audio.as_uri(), "path": str(audio), "dir": str(tmp_path)}


def fill(value: Any, files: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**files)
    if isinstance(value, dict):
        return {k: fill(v, files) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(fill(v, files) for v in value)
    return value


def outcome_of(payload: dict[str, Any] | None, errors: list[Any], fields: list[str]) -> Outcome:
    """The comparable result: the case's top-level fields as sent, or every error."""
    if errors:
        return "error", sorted((e.dotted, e.message) for e in errors)
    assert payload is not None
    tops = dict.fromkeys(path.split(".")[0] for path in fields)
    return "ok", {top: payload.get(top, ABSENT) for top in tops}


async def through_the_form(model: str, typed: dict[str, str]) -> Outcome:
    app = FormHost(schema_for(model), dict(BASE[model]))
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        for section in app.query(Collapsible).results():
            section.collapsed = False
        await pilot.pause()
        for path, text in typed.items():
            top, _, sub = path.partition(".")
            editor = app.form.editor(top)
            assert editor is not None, path
            if isinstance(editor, ImageSizeEditor):
                editor.query_one(".size-preset", Select).value = CUSTOM
                await pilot.pause()
                control: Input | TextArea = editor.query_one(f".size-{sub}", Input)
            else:
                control = editor.query_one(".field-control")
            control.focus()
            await pilot.pause()
            if isinstance(control, TextArea):
                control.select_all()
                await pilot.press("backspace", *[" " if c == " " else c for c in text])
            else:
                await pilot.press("end", "ctrl+u", *text)
            await pilot.pause()
        errors = app.form.check()
        if errors:
            return outcome_of(None, errors, list(typed))
        assert app.form.request_submit(1)
        await pilot.pause()
        return outcome_of(app.submitted[-1].prepared.payload, [], list(typed))


def through_the_cli(model: str, typed: dict[str, str]) -> Outcome:
    argv = ["run", "-m", model]
    if "prompt" in BASE[model] and "prompt" not in typed:
        argv += ["-p", BASE[model]["prompt"]]
    for path, text in typed.items():
        argv += ["--param", f"{path}={text}"]
    args = build_parser().parse_args(argv)
    try:
        prepared = prepare_input(args, schema_for(model))
    except ValidationFailed as exc:
        return outcome_of(None, exc.errors, list(typed))
    return outcome_of(prepared.payload, [], list(typed))


@pytest.mark.parametrize(("model", "typed", "expected"), CASES, ids=[str(c[1]) for c in CASES])
async def test_form_and_cli_agree(
    model: str, typed: dict[str, str], expected: Outcome, files: dict[str, str]
) -> None:
    typed = {path: fill(text, files) for path, text in typed.items()}
    form = await through_the_form(model, typed)
    cli = through_the_cli(model, typed)
    assert form == cli
    kind, detail = fill(expected, files)
    assert form[0] == kind, form
    if kind == "ok":
        assert form[1] == detail
        for top, value in detail.items():  # 5 and 5.0 are different answers here
            assert type(form[1][top]) is type(value)
    else:
        assert any(detail in message for _, message in form[1]), form[1]
        assert all(path != "(input)" for path, _ in form[1])  # every error names its field


# -- the whole `faltui run`, against the emulator -------------------------------------------------


@pytest.fixture
def cli_env(
    session_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Emulator:
    monkeypatch.setenv("FALTUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FAL_KEY", DEMO_KEY)
    for name, url in session_emulator.urls.items():
        monkeypatch.setenv(f"FALTUI_{name.upper()}_URL", url)
    return session_emulator


@pytest.mark.parametrize(
    ("field", "text", "sent"),
    [("num_inference_steps", "5.0", 5), ("guidance_scale", "5", 5), ("seed", "1e3", 1000)],
)
def test_what_the_cli_sends_is_what_the_form_sends(
    cli_env: Emulator, capsys: pytest.CaptureFixture[str], field: str, text: str, sent: Any
) -> None:
    code = main(["run", "-m", FLUX, "-p", "p", "--param", f"{field}={text}", "-a"])
    out, err = capsys.readouterr()
    assert code == 0, err
    received = cli_env.jobs[out.strip()].input[field]
    assert received == sent and type(received) is type(sent)


def test_the_cli_refuses_what_the_form_refuses(
    cli_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(cli_env.jobs)
    code = main(["run", "-m", WHISPER, "--audio-url", "ftp://x.org/a.wav", "-a"])
    _, err = capsys.readouterr()
    assert code == 2 and "nothing was sent" in err
    assert "audio_url: ftp:// URLs are not supported" in err
    code = main(["run", "-m", FLUX, "-p", "p", "--param", "num_images=2.5", "-a"])
    _, err = capsys.readouterr()
    assert code == 2 and "num_images: expected an integer; got '2.5'" in err
    assert len(cli_env.jobs) == before
