"""The one sanitiser (``faltui.core.text``): hostile strings, the JSON writer, properties."""

from __future__ import annotations

import json

import pytest
from hostile import CORPUS, assert_terminal_safe, unsafe_chars
from hypothesis import given, settings
from hypothesis import strategies as st

from faltui.core.text import (
    MAX_LINE,
    clip,
    clip_lines,
    has_unsafe,
    one_line,
    safe_block,
    safe_json,
    safe_text,
)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_hostile_string_is_made_inert(name: str) -> None:
    text = CORPUS[name]
    assert_terminal_safe(safe_text(text), name)
    assert_terminal_safe(one_line(text), name)
    assert "\n" not in one_line(text)
    assert_terminal_safe(safe_json({"value": text, name: [text]}), name)


def test_escapes_become_visible_not_dropped() -> None:
    assert safe_text("a\x1b[2Jb") == "a␛[2Jb"
    assert safe_text("x\x00y\x07z\x7f") == "x␀y␇z␡"
    assert safe_text("c1\x9b2J") == "c1\\u009b2J"
    assert safe_text("invoice\u202egnp.exe") == "invoice\\u202egnp.exe"
    assert safe_text("\u2066a\u2069\u200e\u200f\u061c") == "\\u2066a\\u2069\\u200e\\u200f\\u061c"
    assert safe_text("bad \udc9b") == "bad \\udc9b"


def test_newlines_and_tabs_kept_only_where_lines_are_allowed() -> None:
    assert safe_text("a\r\nb\tc\rd") == "a\nb\tc␍d"
    assert safe_text("a\nb\tc", multiline=False) == "a␊b␉c"
    assert one_line("  a\n\n b\t\tc\r\n ") == "a b c"


def test_markup_is_left_as_text() -> None:
    # The sanitiser never interprets or strips brackets: markup safety is the renderer's job
    # (Text, never markup); the characters stay exactly as sent.
    for name in ("closing_tag", "click_quit", "link"):
        assert safe_text(CORPUS[name]) == CORPUS[name]


def test_long_lines_are_capped() -> None:
    long = CORPUS["long_line"]
    assert clip(long, 100) == "A" * 99 + "…"
    assert clip("short", 100) == "short"
    assert clip("abc", 0) == ""
    assert one_line(long, 50) == "A" * 49 + "…"
    capped = clip_lines("x\n" + long + "\ny", 10)
    assert capped.split("\n") == ["x", "A" * 9 + "…", "y"]
    assert max(len(line) for line in safe_block("a\n" + long).split("\n")) == MAX_LINE


def test_json_writer_escapes_what_json_dumps_keeps_raw() -> None:
    value = {"c1": "\x9b2J", "bidi": "\u202e", "del": "\x7f", "esc": "\x1b[2J", "ü": "日本"}
    plain = json.dumps(value, ensure_ascii=False)
    assert unsafe_chars(plain), "json.dumps keeps C1/DEL/bidi raw: the writer must not"
    text = safe_json(value)
    assert_terminal_safe(text)
    assert "\\u009b" in text and "\\u202e" in text and "\\u007f" in text and "\\u001b" in text
    assert "日本" in text and "ü" in text  # readable non-ASCII stays as it is
    assert json.loads(text) == value


def test_json_writer_round_trips_a_lone_surrogate() -> None:
    value = {"s": "\udc9b"}
    text = safe_json(value, indent=None)
    text.encode("utf-8")  # a raw surrogate would not encode
    assert json.loads(text) == value


# -- properties ------------------------------------------------------------------------------

#: The characters the sanitiser is about, drawn often (a uniform draw would rarely hit them).
_HOSTILE_CHARS = [
    *map(chr, range(0x20)),
    *map(chr, range(0x7F, 0xA0)),
    *"\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    "\ud800",
    "\udfff",
    "[",
    "]",
    "\\",
    '"',
]
_any_text = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF),
        st.sampled_from(_HOSTILE_CHARS),
    )
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_any_text, children, max_size=4)
    ),
    max_leaves=12,
)
_printable = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
        blacklist_characters=(
            "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        ),
    )
)


@settings(max_examples=400)
@given(_any_text)
def test_sanitised_text_never_holds_an_unsafe_character(text: str) -> None:
    assert unsafe_chars(safe_text(text)) == []
    assert unsafe_chars(safe_text(text, multiline=False)) == []
    single = one_line(text)
    assert unsafe_chars(single) == [] and "\n" not in single and "\t" not in single
    assert not has_unsafe(safe_text(text))
    safe_text(text).encode("utf-8")  # always encodable: no lone surrogate survives


@settings(max_examples=300)
@given(_printable)
def test_printable_text_round_trips_unchanged(text: str) -> None:
    assert safe_text(text) == text
    assert safe_text(text, multiline=False) == text


@settings(max_examples=300)
@given(_json_values, st.sampled_from([None, 2]))
def test_json_writer_output_is_safe_and_round_trips(value: object, indent: int | None) -> None:
    text = safe_json(value, indent=indent)
    assert unsafe_chars(text.replace("\n", "")) == []
    text.encode("utf-8")
    assert json.loads(text) == value


@settings(max_examples=200)
@given(_any_text, st.integers(min_value=1, max_value=50))
def test_clip_never_exceeds_its_limit(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert len(clipped) <= limit
    assert clipped == text or clipped.endswith("…")
