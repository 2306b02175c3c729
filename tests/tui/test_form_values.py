"""The form's pure rules: text ↔ typed values, bounds, file checks, hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from faltui.core.schema import Field
from faltui.tui.widgets.form_values import (
    UNSET,
    bounds_hint,
    default_of,
    error_summary,
    file_error,
    file_value,
    help_of,
    initial_value,
    is_empty,
    kind_hint,
    parse_json,
    parse_number,
    parse_text,
    range_error,
    to_text,
)


def test_integers_stay_int_and_numbers_become_float() -> None:
    integer = Field("steps", ("steps",), kind="integer", minimum=1, maximum=50)
    number = Field("cfg", ("cfg",), kind="number")
    assert parse_number(integer, " 28 ") == 28 and type(parse_number(integer, "28")) is int
    assert parse_number(number, "3") == 3.0 and type(parse_number(number, "3")) is float
    assert parse_number(number, "1e-3") == 0.001
    assert parse_number(integer, "") is UNSET
    with pytest.raises(ValueError, match="whole number"):
        parse_number(integer, "2.5")
    with pytest.raises(ValueError, match="not a number"):
        parse_number(number, "1e")
    with pytest.raises(ValueError, match="finite"):
        parse_number(number, "inf")


def test_range_errors_and_hints() -> None:
    steps = Field("steps", ("steps",), kind="integer", minimum=1, maximum=50)
    width = Field("width", ("width",), kind="integer", exclusive_minimum=0, maximum=14142)
    prompt = Field("prompt", ("prompt",), kind="text", min_length=3, max_length=5)
    assert range_error(steps, 0) == "must be ≥ 1"
    assert range_error(steps, 51) == "must be ≤ 50"
    assert range_error(steps, 50) is None
    assert range_error(width, 0) == "must be > 0"
    assert range_error(width, 1) is None
    assert range_error(prompt, "ab") == "needs at least 3 characters"
    assert range_error(prompt, "abcdef") == "at most 5 characters (now 6)"
    assert range_error(steps, True) is None  # booleans are not numbers here
    assert bounds_hint(steps) == "1–50"
    assert bounds_hint(width) == "> 0 ≤ 14142"
    assert kind_hint(steps) == "integer 1–50"
    assert kind_hint(prompt) == "≤ 5 chars"
    old = Field("mode", ("mode",), kind="enum", deprecated=True)
    assert kind_hint(old) == "(deprecated)"


def test_text_values_and_empties() -> None:
    text = Field("prompt", ("prompt",), kind="text")
    string = Field("voice", ("voice",), kind="string")
    assert parse_text(text, "  spaced  ") == "  spaced  "  # prompts keep their spaces
    assert parse_text(string, "   ") is UNSET
    assert parse_text(text, "") is UNSET
    assert parse_json("") is UNSET and parse_json('{"a": [1]}') == {"a": [1]}
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_json("{")
    assert is_empty(UNSET) and is_empty(None) and is_empty(" ") and is_empty([])
    assert not is_empty(0) and not is_empty(False)


def test_to_text_round_trips_through_parsing() -> None:
    number = Field("cfg", ("cfg",), kind="number")
    assert to_text(3.0) == "3.0" and parse_number(number, to_text(3.0)) == 3.0
    assert to_text(0.1) == "0.1" and to_text(7) == "7" and to_text(True) == "true"
    assert to_text(None) == "" and to_text(UNSET) == ""
    assert to_text({"a": 1}) == '{"a": 1}'


def test_initial_values_prefer_remembered_then_defaults() -> None:
    steps = Field("steps", ("steps",), kind="integer", default=28, has_default=True)
    seed = Field("seed", ("seed",), kind="integer", nullable=True, has_default=True)
    assert initial_value(steps, None) == 28
    assert initial_value(steps, {"steps": 4}) == 4
    assert initial_value(steps, {}) is UNSET  # remembered without it: the user cleared it
    assert default_of(seed) is UNSET  # a null default means "not set"


def test_file_fields(tmp_path: Path) -> None:
    real = tmp_path / "a.wav"
    real.write_bytes(b"x")
    assert file_error("https://example.com/a.wav") is None
    assert file_error("data:audio/wav;base64,AAAA") is None
    assert file_error(str(real)) is None
    assert file_error(f"file://{real}") is None
    assert "no such local file" in (file_error(str(tmp_path / "b.wav")) or "")
    assert "folder" in (file_error(str(tmp_path)) or "")
    assert file_value(" https://x/y ") == "https://x/y"
    assert file_value("~/a.wav") == str(Path("~/a.wav").expanduser())
    assert file_value("") is UNSET


def test_help_and_summary_text() -> None:
    field = Field("seed", ("seed",), description="\n    The same seed\n    gives the same image.\n")
    assert help_of(field) == "The same seed gives the same image."
    assert error_summary(["a", "b", "c", "d", "e", "f"]) == "a, b, c, d and 2 more"
