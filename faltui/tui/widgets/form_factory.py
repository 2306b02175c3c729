"""``make_editor``: the editor widget for a schema field's kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faltui.tui.widgets.form_fields import (
    BoolEditor,
    ConstEditor,
    EnumEditor,
    FieldEditor,
    FileEditor,
    JsonEditor,
    NumberEditor,
    OpenEnumEditor,
    StringEditor,
    TextEditor,
)
from faltui.tui.widgets.form_groups import (
    ImageSizeEditor,
    ObjectEditor,
    array_item,
    object_children,
)
from faltui.tui.widgets.form_lists import ArrayEditor
from faltui.tui.widgets.form_values import UNSET, attr

if TYPE_CHECKING:
    from faltui.core.schema import Field

Path = tuple[str | int, ...]

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
    field: Field, path: Path, value: Any = UNSET, *, show_label: bool = True
) -> FieldEditor:
    """The editor for a field's kind (unknown kinds get the JSON editor)."""
    kind = attr(field, "kind", "json")
    cls = EDITORS.get(kind, JsonEditor)
    if kind == "enum" and attr(field, "open_enum", False):
        cls = OpenEnumEditor
    if kind == "object" and not object_children(field):
        cls = JsonEditor
    if kind == "array" and array_item(field) is None:
        cls = JsonEditor
    return cls(field, path, value, show_label=show_label)


__all__ = ["EDITORS", "make_editor"]
