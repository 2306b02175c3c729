"""The one input pipeline: text → value rules, file references, the gate, seeds."""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema import (
    EMPTY,
    EndpointSchema,
    Field,
    bounds_hint,
    coerce,
    default_value,
    file_problem,
    is_empty,
    kind_hint,
    parse_openapi,
    prepare,
    read,
    read_file_ref,
    value_text,
)
from faltui.core.seeds import SEED_CEILING, SeedRule, seed_rule, seeds_for

SCHEMAS = Path(__file__).resolve().parents[1] / "faltui" / "data" / "schemas"


def load(name: str) -> EndpointSchema:
    doc = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return parse_openapi(doc)


def _f(kind: str, **kw: Any) -> Field:
    name = kw.pop("name", "x")
    return Field(name=name, path=(name,), kind=kind, **kw)


# -- text → value -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        (_f("integer"), "42", 42),
        (_f("integer"), " -3 ", -3),
        (_f("integer"), "+7", 7),
        (_f("integer"), "5.0", 5),
        (_f("integer"), "1e3", 1000),
        (_f("integer"), "1E1", 10),
        (_f("number"), "5", 5),
        (_f("number"), "5.0", 5.0),
        (_f("number"), ".5", 0.5),
        (_f("number"), "1e3", 1000.0),
        (_f("number"), "-2.5e-1", -0.25),
        (_f("text"), "  keep my spaces ", "  keep my spaces "),
        (_f("string"), "null", "null"),
        (_f("text", nullable=True), "null", "null"),  # the word, not a null prompt
        (_f("integer", nullable=True), "null", None),
        (_f("integer", name="seed"), "random", EMPTY),
        (_f("integer", name="seed"), "RANDOM", EMPTY),
        (_f("integer", name="steps"), "random", "error"),
        (_f("file"), " https://x.org/a.png ", "https://x.org/a.png"),
        (_f("file_list"), "https://a/1.png, b.png", ["https://a/1.png", "b.png"]),
        (_f("array", item=_f("integer")), "1, 2.0, 3e0", [1, 2, 3]),
    ],
)
def test_text_becomes_the_value_typed(field: Field, text: str, expected: Any) -> None:
    if expected == "error":
        with pytest.raises(ValueError):
            coerce(field, text)
        return
    value = coerce(field, text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        (_f("integer"), "2.5", "expected an integer; got '2.5'"),
        (_f("integer"), "3,5", "expected an integer; got '3,5' (write decimals with a point: 3.5)"),
        (_f("integer"), "1_000", "expected an integer; got '1_000'"),
        (_f("integer"), "0x10", "expected an integer; got '0x10'"),
        (_f("integer"), "٣", "expected an integer; got '٣'"),  # not an ASCII digit
        (_f("integer"), "1e400", "too large"),
        (_f("integer"), "9" * 5000, "5000 digits (too long)"),
        (_f("number"), "3,5", "expected a number; got '3,5' (write decimals with a point"),
        (_f("number"), "nan", "expected a number; got 'nan'"),
        (_f("number"), "inf", "expected a number; got 'inf'"),
        (_f("number"), "1e999", "too large"),
        (_f("file"), "ftp://host/a.png", "ftp:// URLs are not supported"),
        (_f("file"), "s3://bucket/a.png", "s3:// URLs are not supported"),
        (_f("file_list"), "a.png, gs://b/c.png", "gs:// URLs are not supported"),
    ],
)
def test_what_cannot_be_read_says_why(field: Field, text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        coerce(field, text)
    assert message in str(info.value)


@pytest.mark.parametrize("kind", ["string", "text", "integer", "number", "file", "json", "enum"])
def test_blank_text_is_empty_for_every_kind(kind: str) -> None:
    field = _f(kind, enum=["a"] if kind == "enum" else None)
    assert coerce(field, "") is EMPTY and coerce(field, " \t\n ") is EMPTY
    assert read(field, "   ", ("x",)) == (EMPTY, [])


def test_read_reports_what_the_gate_reports(tmp_path: Path) -> None:
    steps = _f("integer", name="steps", minimum=1, maximum=50)
    assert read(steps, "1e3", ("steps",)) == (
        1000,
        [FieldError(("steps",), "must be ≤ 50, got 1000", "range")],
    )
    value, problems = read(steps, "2.5", ("steps",))
    assert value is EMPTY and [e.kind for e in problems] == ["parse"]
    missing = str(tmp_path / "nope.png")
    value, problems = read(_f("file"), missing, ("image_url",))
    assert value == missing and problems[0].message.startswith("no such local file")
    gate = prepare(None, {"image_url": "https://x/a.png"})  # passes: a URL
    assert gate.payload == {"image_url": "https://x/a.png"}


def test_values_read_back_as_themselves() -> None:
    cases: list[tuple[Field, Any]] = [
        (_f("integer"), 7),
        (_f("number"), 3.0),
        (_f("number"), 0.1),
        (_f("number"), 1e16),
        (_f("boolean"), False),
        (_f("string"), "a, b"),
        (_f("object"), {"a": [1, None]}),
        (_f("array", item=_f("integer")), [1, 2]),
    ]
    for field, value in cases:
        back = coerce(field, value_text(value))
        assert back == value and type(back) is type(value), (field.kind, value)
    assert value_text(EMPTY) == value_text(None) == ""


def test_empties_defaults_and_hints() -> None:
    assert is_empty(EMPTY) and is_empty(None) and is_empty(" ") and is_empty([])
    assert not is_empty(0) and not is_empty(False)
    steps = _f("integer", name="steps", minimum=1, maximum=50, default=28, has_default=True)
    assert default_value(steps) == 28
    assert default_value(_f("integer", name="seed", has_default=True)) is EMPTY  # null default
    assert default_value(_f("const", const="3")) == "3"
    width = _f("integer", exclusive_minimum=0, maximum=14142)
    prompt = _f("text", max_length=2500)
    assert bounds_hint(steps) == "1–50" and kind_hint(steps) == "integer 1–50"
    assert bounds_hint(width) == "> 0 ≤ 14142"
    assert kind_hint(prompt) == "≤ 2500 chars"
    assert kind_hint(_f("integer", name="seed")) == "integer · empty = random"
    assert kind_hint(_f("enum", deprecated=True)) == "(deprecated)"


# -- file references -------------------------------------------------------------------------


def test_file_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spaced = tmp_path / "a b.png"
    spaced.write_bytes(b"x")
    assert read_file_ref("https://x/a.png").kind == "remote"
    assert read_file_ref("DATA:image/png;base64,AAAA").kind == "remote"
    ref = read_file_ref(spaced.as_uri())  # file:///…/a%20b.png
    assert ref.kind == "local" and ref.path == spaced
    assert read_file_ref("file://localhost" + str(spaced).replace(" ", "%20")).path == spaced
    assert read_file_ref("a b.png").path == Path("a b.png")
    assert read_file_ref("C:\\pics\\a.png").kind == "local"  # a drive letter is no scheme
    assert file_problem(spaced.as_uri()) is None and file_problem("a b.png") is None
    assert "not supported" in (file_problem("ftp://h/a.png") or "")
    assert "is read as a host" in (file_problem("file://a%20b.png") or "")
    assert (file_problem("missing.png") or "").startswith("no such local file")
    assert (file_problem(str(tmp_path)) or "").startswith("is a folder")


# -- the gate -----------------------------------------------------------------------------------


def test_the_gate_refuses_naming_every_field(tmp_path: Path) -> None:
    flux = load("fal-ai__flux__dev")
    with pytest.raises(ValidationFailed) as info:
        prepare(flux, {"num_images": 9, "guidance_scale": "x", "image_size": {"width": 0}})
    got = {(e.dotted, e.kind) for e in info.value.errors}
    assert got == {
        ("prompt", "missing"),
        ("num_images", "range"),
        ("guidance_scale", "type"),
        ("image_size.width", "range"),
    }
    with pytest.raises(ValidationFailed) as info:
        prepare(flux, ["not", "an", "object"])
    assert [e.dotted for e in info.value.errors] == ["(input)"]
    with pytest.raises(ValidationFailed) as info:
        prepare(flux, {"prompt": "x", "guidance_scale": float("nan"), "extra": {1: 2}})
    assert {e.dotted for e in info.value.errors} == {"guidance_scale", "extra.1"}


def test_an_input_nested_too_deeply_is_refused_by_field() -> None:
    deep: Any = 1
    for _ in range(5000):  # built without recursion: json.loads could not even read it
        deep = [deep]
    with pytest.raises(ValidationFailed) as info:
        prepare(load("fal-ai__flux__dev"), {"prompt": "x", "image_size": deep})
    assert [(e.dotted, e.message) for e in info.value.errors] == [
        ("image_size", "nested too deeply (more than 100 levels)")
    ]


def test_a_failing_checker_refuses_the_input(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("faltui.core.schema.validate")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("checker bug")

    monkeypatch.setattr(module._Checker, "check", broken)
    with pytest.raises(ValidationFailed) as info:
        prepare(load("fal-ai__flux__dev"), {"prompt": "a cat"})
    error = info.value.errors[0]
    assert error.path == ("prompt",) and error.kind == "internal"
    assert "could not be checked (RuntimeError: checker bug)" in error.message


def test_the_gate_normalises_files_and_lists_local_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a b.wav").write_bytes(b"RIFF")
    whisper = load("fal-ai__whisper")
    prepared = prepare(whisper, {"audio_url": (tmp_path / "a b.wav").as_uri()})
    assert prepared.payload["audio_url"] == str(tmp_path / "a b.wav")
    assert prepared.local_files == ((("audio_url",), tmp_path / "a b.wav"),)
    relative = prepare(whisper, {"audio_url": "a b.wav"})
    assert relative.payload["audio_url"] == str(tmp_path / "a b.wav")
    with pytest.raises(ValidationFailed) as info:
        prepare(whisper, {"audio_url": "ftp://h/a.wav"})
    assert info.value.errors[0].message.startswith("ftp:// URLs are not supported")
    # Without a schema, fal's *_url names find the files (nested too).
    free = prepare(None, {"cfg": {"mask_url": "a b.wav"}, "note_url": "https://x/y"})
    assert free.local_files == ((("cfg", "mask_url"), tmp_path / "a b.wav"),)
    # Idempotent: what passed passes again unchanged.
    assert prepare(whisper, prepared.payload).payload == prepared.payload


def test_the_gate_decides_the_seed() -> None:
    flux = load("fal-ai__flux__dev")
    assert prepare(flux, {"prompt": "x"}).seed == SeedRule(None)
    random_word = prepare(flux, {"prompt": "x", "seed": "random"})
    assert "seed" not in random_word.payload and random_word.seed == SeedRule(None)
    assert prepare(flux, {"prompt": "x", "seed": 7}).seed == SeedRule(7)
    whisper = load("fal-ai__whisper")  # no seed field
    assert prepare(whisper, {"audio_url": "https://x/a.wav"}).seed is None
    assert prepare(None, {"seed": 3}).seed == SeedRule(3)
    rodin = load("fal-ai__hyper3d__rodin")  # seed 0–65535
    assert seed_rule(rodin, {}) == SeedRule(None, 0, 65535)


# -- seeds for submit ×N -------------------------------------------------------------------------


def test_seeds_for_many_jobs() -> None:
    assert seeds_for(SeedRule(7), 3) == [7, 8, 9]
    assert seeds_for(SeedRule(65534, 0, 65535), 4) == [65534, 65535, 0, 1]  # wraps in bounds
    drawn = seeds_for(SeedRule(None), 200, random.Random(1))
    assert len(set(drawn)) == 200 and all(0 <= s <= SEED_CEILING for s in drawn)
    assert sorted(seeds_for(SeedRule(None, 0, 2), 3)) == [0, 1, 2]  # distinct while possible
    with pytest.raises(ValueError):
        seeds_for(SeedRule(1), 0)


def test_copies_of_a_prepared_input() -> None:
    flux = load("fal-ai__flux__dev")
    fixed = prepare(flux, {"prompt": "x", "seed": 41}).copies(3)
    assert [c.payload["seed"] for c in fixed] == [41, 42, 43]
    fresh = prepare(flux, {"prompt": "x"}).copies(5, random.Random(2))
    assert len({c.payload["seed"] for c in fresh}) == 5
    assert all(c.seed is not None and c.seed.fixed == c.payload["seed"] for c in fresh)
    whisper = prepare(load("fal-ai__whisper"), {"audio_url": "https://x/a.wav"})
    same = whisper.copies(2)
    assert [c.payload for c in same] == [whisper.payload] * 2
    same[0].payload["audio_url"] = "changed"
    assert whisper.payload["audio_url"] == "https://x/a.wav"  # copies are deep
