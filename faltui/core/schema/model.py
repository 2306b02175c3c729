"""Data types of the schema layer: :class:`Field`, :class:`EndpointSchema`, :class:`FieldRow`.

Kept free of parsing logic so every other ``schema_*`` module can import them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

#: Every value :attr:`Field.kind` can take.
KINDS = frozenset(
    {
        "string",
        "text",
        "integer",
        "number",
        "boolean",
        "enum",
        "file",
        "file_list",
        "image_size",
        "array",
        "object",
        "json",
        "const",
    }
)


@dataclass
class Field:
    """One property of an input or output object, with everything a form or a CLI needs.

    ``path`` locates the field from the top of the input (array items use the segment
    ``"[]"``). ``kind`` is one of :data:`KINDS`. ``enum`` holds the allowed values of enum,
    const and image_size (presets) fields, typed as the schema declares them (a string
    ``"5"`` stays a string). ``variants`` lists the non-null branches of a union
    (e.g. image_size: the preset enum and the ``{width, height}`` object). ``schema`` is the
    resolved raw schema of the field (``$ref``/``allOf`` merged at its top level).
    """

    name: str
    path: tuple[str, ...]
    kind: str = "json"
    title: str = ""
    description: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    enum: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    examples: list[Any] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    item: Field | None = None
    variants: list[Field] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)
    advanced: bool = False
    # Extras beyond the shared contract (all optional).
    #: Enum whose union also admits any string (flux-pro ``aspect_ratio``): values are hints.
    open_enum: bool = False
    #: Fixed value of a ``const`` field (also ``enum == [const]``).
    const: Any = None
    min_items: int | None = None
    max_items: int | None = None
    deprecated: bool = False
    #: Name of the component the field's schema came from (``"File"``, ``"ImageSize"``…).
    ref: str = ""
    #: JSON type of a scalar/enum field's values: string|integer|number|boolean ("" if mixed).
    value_type: str = ""

    @property
    def dotted(self) -> str:
        """The path as ``a.b[].c``."""
        out = ""
        for part in self.path:
            if part == "[]":
                out += "[]"
            else:
                out += ("." if out else "") + part
        return out

    @property
    def label(self) -> str:
        """A human label: the title, else the name."""
        return self.title or self.name

    @property
    def placeholder(self) -> str:
        """Text for an empty input box: the first non-null example, as text."""
        for ex in self.examples:
            if ex is None:
                continue
            if isinstance(ex, str):
                return ex
            return json.dumps(ex, ensure_ascii=False)
        return ""

    def child(self, name: str) -> Field | None:
        """The child field called ``name`` (looking inside object variants too)."""
        for f in object_children(self):
            if f.name == name:
                return f
        return None


def object_children(f: Field) -> list[Field]:
    """Children of ``f`` if it is an object, else of its first object variant."""
    if f.kind == "object":
        return f.children
    for v in f.variants:
        if v.kind == "object":
            return v.children
    return []


def array_item(f: Field) -> Field | None:
    """The item field of ``f`` if it is a list (or has a list variant)."""
    if f.item is not None:
        return f.item
    for v in f.variants:
        if v.item is not None:
            return v.item
    return None


def walk_fields(fields: list[Field]) -> Iterator[Field]:
    """Every field of a tree, depth first: children, list items, then union variants."""
    for f in fields:
        yield f
        yield from walk_fields(f.children)
        if f.item is not None:
            yield from walk_fields([f.item])
        yield from walk_fields(f.variants)


@dataclass
class EndpointSchema:
    """A model's input and output fields, parsed from its OpenAPI document."""

    endpoint_id: str | None
    input: list[Field]
    output: list[Field]
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    raw: dict[str, Any]

    @classmethod
    def free_form(cls, endpoint_id: str | None) -> EndpointSchema:
        """A schema that declares no fields: any input is accepted as written."""
        return cls(endpoint_id, [], [], {}, {}, {})

    def input_field(self, name: str) -> Field | None:
        """The top-level input field called ``name``."""
        return next((f for f in self.input if f.name == name), None)

    @property
    def open_input(self) -> bool:
        """True when the input schema declares no properties (any key is accepted)."""
        return not self.input


@dataclass(frozen=True)
class FieldRow:
    """One printable line of a schema listing (see :func:`field_rows`)."""

    path_dotted: str
    type_label: str
    required: bool
    default_text: str
    description: str
    depth: int = 0
    advanced: bool = False
