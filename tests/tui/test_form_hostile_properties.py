"""The form on generated schemas whose every string is hostile (hypothesis).

Field names, titles, descriptions, examples, defaults and enum values are drawn from the
hostile corpus mixed with generated text (markup, escapes, C1, bidi, surrogates…). The form
is loaded, every section opened, every editor drawn, and the raw view shown, under a driver
that records what reaches the terminal. It must never raise, never let an unsafe character
through, and what it would submit must still be exactly the schema's values.
"""

from __future__ import annotations

import asyncio
from typing import Any

from form_host import FormHost
from hostile import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from terminal import assert_output_safe, run_recorded
from textual.widgets import Collapsible

from faltui.core.schema import EndpointSchema, Field, prepare

#: Hostile strings, short enough for many to fit in one form (the long line is kept).
hostile = st.one_of(
    st.sampled_from(list(CORPUS.values())),
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),  # any character, C0/C1/bidi included
            st.sampled_from(list("[]/@=:\\\x1b\x9b\u202e")),
        ),
        max_size=30,
    ),
)


@st.composite
def hostile_fields(draw: st.DrawFn, index: int) -> Field:
    """One top-level field of a drawn kind whose every string is hostile."""
    name = f"f{index}" + draw(hostile)[:40]
    kind = draw(st.sampled_from(["string", "text", "enum", "json", "const", "integer"]))
    field = Field(
        name,
        (name,),
        kind=kind,
        title=draw(hostile),
        description=draw(hostile),
        examples=[draw(hostile)],
        required=draw(st.booleans()),
        advanced=draw(st.booleans()),
    )
    if kind in ("enum", "const"):
        values = draw(st.lists(hostile, min_size=1, max_size=3, unique=True))
        field.enum = values
        if kind == "const":
            field.const = values[0]
            field.enum = [values[0]]
    if kind in ("string", "text", "enum") and draw(st.booleans()):
        field.default = field.enum[0] if field.enum else draw(hostile)
        field.has_default = True
    return field


@st.composite
def hostile_schemas(draw: st.DrawFn) -> EndpointSchema:
    count = draw(st.integers(1, 4))
    fields = [draw(hostile_fields(i)) for i in range(count)]
    return EndpointSchema("hostile/" + draw(hostile)[:20], fields, [], {}, {}, {})


async def load_and_show(schema: EndpointSchema) -> None:
    app = FormHost(schema)
    async with run_recorded(app, size=(100, 50)) as pilot:
        await app.form.settled()
        await pilot.pause()
        for section in app.query(Collapsible).results():
            section.collapsed = False
        await pilot.pause()
        assert_output_safe(app, "form")
        errors = app.form.check()
        names = {f.name for f in schema.input}
        for error in errors:
            assert error.path and error.path[0] in names, error
        if app.form.request_submit(1):
            await pilot.pause()
            sent: dict[str, Any] = app.submitted[-1].prepared.payload
            assert prepare(schema, sent).payload == sent
            for field in schema.input:  # a schema value is sent exactly as the schema has it
                if field.kind == "const":
                    assert sent[field.name] == field.const
                elif field.has_default and field.name in sent:
                    assert sent[field.name] == field.default
        await pilot.pause()
        app.form.toggle_raw()  # the raw JSON view of whatever the fields hold
        await pilot.pause()
        assert_output_safe(app, "raw view")
        assert app.is_running


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(schema=hostile_schemas())
def test_a_hostile_schema_never_breaks_the_form_nor_reaches_the_terminal(
    schema: EndpointSchema,
) -> None:
    asyncio.run(load_and_show(schema))


#: Every character ``str.splitlines`` (and so TextArea) breaks a line on, but ``\n``/``\r``.
LINE_BREAKERS = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i"


async def test_line_breaking_characters_in_defaults_are_sent_unchanged() -> None:
    text = Field("story", ("story",), kind="text", default=LINE_BREAKERS, has_default=True)
    data = Field("data", ("data",), kind="json", default={"k": LINE_BREAKERS}, has_default=True)
    schema = EndpointSchema("hostile/breaks", [text, data], [], {}, {}, {})
    expected = {"story": LINE_BREAKERS, "data": {"k": LINE_BREAKERS}}
    app = FormHost(schema)
    async with run_recorded(app, size=(100, 40)) as pilot:
        await app.form.settled()
        await pilot.pause()
        assert app.form.request_submit(1)
        await pilot.pause()
        assert app.submitted[-1].prepared.payload == expected
        app.form.toggle_raw()  # the raw JSON, then back to the fields read from it
        await pilot.pause()
        assert_output_safe(app, "raw view")
        app.form.toggle_raw()
        await app.form.settled()
        await pilot.pause()
        assert app.form.request_submit(1)
        await pilot.pause()
        assert app.submitted[-1].prepared.payload == expected
        assert_output_safe(app, "form")
