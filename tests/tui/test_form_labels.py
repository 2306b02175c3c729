"""The form's display text: labels, help lines, placeholders, summaries (no input rules here)."""

from __future__ import annotations

from faltui.core.schema import Field
from faltui.tui.widgets.form_labels import (
    describe_errors,
    error_summary,
    help_of,
    label_of,
    placeholder_for,
    short_url,
)


def test_help_label_and_summary_text() -> None:
    field = Field("seed", ("seed",), description="\n    The same seed\n    gives the same image.\n")
    assert help_of(field) == "The same seed gives the same image."
    assert label_of(Field("", ("x",), title="Title")) == "Title"
    assert error_summary(["a", "b", "c", "d", "e", "f"]) == "a, b, c, d and 2 more"
    assert describe_errors(1) == "1 field needs" and describe_errors(3) == "3 fields need"


def test_placeholders() -> None:
    assert placeholder_for(Field("seed", ("seed",), kind="integer")) == "random"
    assert placeholder_for(Field("p", ("p",), kind="text", required=True)) == "required"
    assert placeholder_for(Field("n", ("n",), kind="number", examples=[None, 2.5])) == "e.g. 2.5"
    url = "https://storage.googleapis.com/falserverless/example_inputs/dinner_conversation.mp3"
    assert short_url(url) == "…/dinner_conversation.mp3"
