"""``make_editor``: the editor widget for a schema field's kind."""

from __future__ import annotations

from typing import Any

from faltui.core.schema import EMPTY, Field
from faltui.core.schema.model import array_item, object_children
from faltui.core.seeds import is_seed_field
from faltui.tui.widgets.form_fields import (
    BoolEditor,
    ConstEditor,
    EnumEditor,
    FieldEditor,
    FileEditor,
    JsonEditor,
    NumberEditor,
    OpenEnumEditor,
    Path,
    SeedEditor,
    StringEditor,
    TextEditor,
)
from faltui.tui.widgets.form_groups import ImageSizeEditor, ObjectEditor
from faltui.tui.widgets.form_lists import ArrayEditor

EDITORS: dict[str, type[FieldEditor]] = {
    "string": StringEditor,
    "text": TextEditor,
    "integer": NumberEditor,
    "number": NumberEditor,
    "boolean": BoolEditor,
    "enum": EnumEditor,
    "file": FileEditor,
    "file_list": ArrayEditor,
    "image_size": ImageSizeEditor,
    "array": ArrayEditor,
    "object": ObjectEditor,
    "json": JsonEditor,
    "const": ConstEditor,
}


def make_editor(
    field: Field, path: Path, value: Any = EMPTY, *, show_label: bool = True
) -> FieldEditor:
    """The editor for a field's kind (unknown kinds get the JSON editor)."""
    cls = EDITORS.get(field.kind, JsonEditor)
    if is_seed_field(field):
        cls = SeedEditor
    elif field.kind == "enum" and field.open_enum:
        cls = OpenEnumEditor
    elif (field.kind == "object" and not object_children(field)) or (
        field.kind == "array" and array_item(field) is None
    ):
        cls = JsonEditor
    return cls(field, path, value, show_label=show_label)


__all__ = ["EDITORS", "make_editor"]
