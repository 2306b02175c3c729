"""The form on generated schemas with generated texts (hypothesis): it never raises, every
problem it reports names a field, and what it submits passes the core's gate unchanged."""

from __future__ import annotations

import asyncio

from form_host import FormHost
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import schemas, texts
from textual.widgets import Collapsible

from faltui.core.schema import EndpointSchema, prepare
from faltui.tui.widgets.form_fields import TextFieldEditor


async def fill_and_submit(schema: EndpointSchema, typed: list[str]) -> None:
    app = FormHost(schema)
    async with app.run_test(size=(100, 50)) as pilot:
        await app.form.settled()
        await pilot.pause()
        for section in app.query(Collapsible).results():
            section.collapsed = False
        await pilot.pause()
        editors = [e for e in app.form._walk_editors() if isinstance(e, TextFieldEditor)]
        for editor, text in zip(editors, typed, strict=False):
            editor.set_text(text)
        await pilot.pause()
        errors = app.form.check()
        names = {f.name for f in schema.input}
        for error in errors:
            assert error.path and error.path[0] in names, error
            assert error.message
        posted = app.form.request_submit(2)
        await pilot.pause()
        assert posted == (not errors)
        if posted:
            sent = app.submitted[-1].prepared.payload
            assert prepare(schema, sent).payload == sent
        app.form.toggle_raw()  # and the raw view takes whatever the fields hold
        await pilot.pause()
        app.form.check()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(schema=schemas, typed=st.lists(texts, max_size=8))
def test_the_form_never_raises_and_names_every_problem(
    schema: EndpointSchema, typed: list[str]
) -> None:
    asyncio.run(fill_and_submit(schema, typed))
