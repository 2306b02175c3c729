"""Hypothesis strategies: generated field trees (schemas), JSON-ish inputs and typed texts."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from faltui.core.schema import EndpointSchema, Field

NAMES = ("prompt", "seed", "steps", "scale", "image_url", "image_urls", "size", "mode", "extra")

#: Texts people type, and texts meant to trip a reader up.
TRICKY_TEXTS = [
    "",
    " ",
    "0",
    "-1",
    "2.5",
    "3,5",
    "1e3",
    "1E400",
    "nan",
    "inf",
    "1_000",
    "0x10",
    "٣",
    "null",
    "random",
    "true",
    "[1, 2]",
    '{"width": 64, "height": 64}',
    "{bad",
    "64x48",
    "https://example.com/a.png",
    "data:image/png;base64,AAAA",
    "ftp://example.com/a.png",
    "file:///nonexistent/a%20b.png",
    "file://host/x",
    "~nouser/x",
    "a\x00b",
    "9" * 5000,
]

texts = st.one_of(st.sampled_from(TRICKY_TEXTS), st.text(max_size=40))

_numbers = st.one_of(st.none(), st.integers(-10, 100), st.floats(-5, 100, allow_nan=False))


def _scalar(name: str, path: tuple[str, ...]) -> st.SearchStrategy[Field]:
    common = {
        "required": st.booleans(),
        "nullable": st.booleans(),
        "advanced": st.booleans(),
    }
    numeric = {"minimum": _numbers, "maximum": _numbers, "exclusive_minimum": _numbers}
    return st.one_of(
        st.builds(Field, st.just(name), st.just(path), st.just("string"), **common),
        st.builds(
            Field,
            st.just(name),
            st.just(path),
            st.just("text"),
            max_length=st.one_of(st.none(), st.integers(0, 20)),
            min_length=st.one_of(st.none(), st.integers(0, 5)),
            **common,
        ),
        st.builds(Field, st.just(name), st.just(path), st.just("integer"), **numeric, **common),
        st.builds(Field, st.just(name), st.just(path), st.just("number"), **numeric, **common),
        st.builds(Field, st.just(name), st.just(path), st.just("boolean"), **common),
        st.builds(Field, st.just(name), st.just(path), st.just("file"), **common),
        st.builds(Field, st.just(name), st.just(path), st.just("json"), **common),
        st.builds(
            Field,
            st.just(name),
            st.just(path),
            st.just("enum"),
            enum=st.lists(
                st.one_of(st.text(max_size=5), st.integers(0, 9)), min_size=1, max_size=4
            ),
            open_enum=st.booleans(),
            **common,
        ),
        st.builds(
            Field,
            st.just(name),
            st.just(path),
            st.just("const"),
            const=st.one_of(st.text(max_size=3), st.integers(0, 3)),
            **common,
        ),
    )


@st.composite
def fields(draw: st.DrawFn, name: str, path: tuple[str, ...], depth: int = 0) -> Field:
    """One field, sometimes an object, list, file list or image size with children."""
    shape = draw(st.sampled_from(["scalar"] * 4 + (["object", "array", "size", "files"])))
    if depth >= 2 or shape == "scalar":
        field = draw(_scalar(name, path))
        if field.kind == "const":
            field.enum = [field.const]
        return field
    if shape == "object":
        children = draw(field_lists(path, depth + 1))
        return Field(name, path, kind="object", children=children, required=draw(st.booleans()))
    if shape == "size":
        width = Field("width", (*path, "width"), kind="integer", exclusive_minimum=0)
        height = Field("height", (*path, "height"), kind="integer", exclusive_minimum=0)
        return Field(
            name,
            path,
            kind="image_size",
            enum=["square", "landscape_4_3"],
            children=[width, height],
        )
    if shape == "files":
        item = Field(name, (*path, "[]"), kind="file")
        return Field(
            name, path, kind="file_list", item=item, max_items=draw(st.sampled_from([None, 2]))
        )
    item = draw(fields(name, (*path, "[]"), depth + 1))
    return Field(name, path, kind="array", item=item, min_items=draw(st.sampled_from([None, 1])))


@st.composite
def field_lists(draw: st.DrawFn, path: tuple[str, ...] = (), depth: int = 0) -> list[Field]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    return [draw(fields(n, (*path, n), depth)) for n in names]


schemas = field_lists().map(lambda fs: EndpointSchema("test/model", fs, [], {}, {}, {}))

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and infinities included: not JSON, must be refused by name
        texts,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from((*NAMES, "width", "height")), inner, max_size=3),
    ),
    max_leaves=8,
)

payloads = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=5)


def walk_values(value: Any) -> list[Any]:
    """Every value inside a JSON-ish value (for assertions)."""
    out = [value]
    if isinstance(value, dict):
        for item in value.values():
            out += walk_values(item)
    elif isinstance(value, list):
        for item in value:
            out += walk_values(item)
    return out
