"""Properties of the input pipeline on generated schemas, inputs and texts (hypothesis).

The gate never raises anything but ``ValidationFailed``, every rejection names a field, what
passes passes again unchanged, and reading typed text never raises anything but ValueError.
"""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fields, payloads, schemas, texts, walk_values

from faltui.core.errors import ValidationFailed
from faltui.core.schema import EMPTY, EndpointSchema, Field, coerce, prepare, read

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(schema=st.one_of(st.none(), schemas), payload=payloads)
def test_the_gate_passes_or_refuses_naming_each_field(
    schema: EndpointSchema | None, payload: dict
) -> None:
    try:
        prepared = prepare(schema, payload)
    except ValidationFailed as exc:
        assert exc.errors
        for error in exc.errors:
            assert error.path and error.message  # a field, and what is wrong with it
        return
    sent = prepared.payload
    json.dumps(sent, allow_nan=False)  # it can travel
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in walk_values(sent))
    assert prepare(schema, sent).payload == sent  # idempotent


@SETTINGS
@given(field=fields("x", ("x",)), text=texts)
def test_reading_text_never_raises_anything_else(field: Field, text: str) -> None:
    try:
        value = coerce(field, text)
    except ValueError as exc:
        assert str(exc)
        return
    assert value is EMPTY or value is None or json.dumps(value) is not None
    read_value, problems = read(field, text, ("x",))
    assert read_value == value or (read_value is EMPTY and problems)
    assert all(p.path[:1] == ("x",) for p in problems)


@SETTINGS
@given(schema=schemas, data=st.data())
def test_what_reads_as_a_value_passes_the_gate_or_is_refused_by_field(
    schema: EndpointSchema, data: st.DataObject
) -> None:
    """Typing into every top-level field, then submitting: the CLI's path in miniature."""
    payload = {}
    for field in schema.input:
        try:
            value = coerce(field, data.draw(texts, label=field.name))
        except ValueError:
            continue
        if value is not EMPTY:
            payload[field.name] = value
    try:
        prepare(schema, payload)
    except ValidationFailed as exc:
        assert all(e.path and e.path[0] in {f.name for f in schema.input} for e in exc.errors)
