"""Composite editors — image size, lists, nested objects — and ``make_editor``.

``make_editor(field, path, value)`` picks the editor for a field kind; composites build their
children with it, so arbitrarily nested schemas (lists of objects with lists…) get a form
without any per-model code. Error paths such as ``("image_size", "width")`` or
``("loras", 0, "path")`` resolve through ``FieldEditor.locate``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Collapsible, Input, Select, Static

from faltui.core.errors import FieldError
from faltui.tui.widgets.form_fields import (
    BLANK_LABEL,
    INTEGER_RESTRICT,
    BoolEditor,
    ConstEditor,
    EnumEditor,
    FieldEditor,
    FileEditor,
    JsonEditor,
    NumberEditor,
    StringEditor,
    TextEditor,
    editor_widgets,
)
from faltui.tui.widgets.form_values import (
    UNSET,
    attr,
    default_of,
    help_of,
    is_empty,
    label_of,
    range_error,
    to_text,
)

if TYPE_CHECKING:
    from faltui.core.schema import Field

Path = tuple[str | int, ...]

#: Select value of the "custom width × height" entry of image size presets.
CUSTOM = "__custom__"


def object_children(field: Field) -> list[Field]:
    """Children of an object field (or of its first object variant)."""
    if attr(field, "kind") == "object" and attr(field, "children"):
        return list(field.children)
    for variant in attr(field, "variants") or []:
        if attr(variant, "kind") == "object":
            return list(attr(variant, "children") or [])
    return list(attr(field, "children") or [])


def array_item(field: Field) -> Field | None:
    """The item field of a list field (or of its list variant)."""
    if attr(field, "item") is not None:
        return field.item
    for variant in attr(field, "variants") or []:
        if attr(variant, "item") is not None:
            return variant.item
    return None


class ImageSizeEditor(FieldEditor):
    """A preset (``landscape_4_3`` …) or a custom width × height."""

    has_children = True

    DEFAULT_CSS = """
    ImageSizeEditor .size-row { height: auto; }
    ImageSizeEditor .size-row Select { width: 1fr; }
    ImageSizeEditor .size-custom { height: 1; width: auto; display: none; margin: 0 0 0 1; }
    ImageSizeEditor.-custom .size-custom { display: block; }
    ImageSizeEditor .size-custom Input { width: 8; }
    ImageSizeEditor .size-custom Static { width: auto; padding: 0 1; }
    """

    def presets(self) -> list[Any]:
        """The preset names from the schema (enum, or the enum variant)."""
        values = list(attr(self.field, "enum") or [])
        if not values:
            for variant in attr(self.field, "variants") or []:
                values.extend(attr(variant, "enum") or [])
        return values

    def _dimension_field(self, name: str) -> Field | None:
        for child in object_children(self.field):
            if child.name == name:
                return child
        return None

    def _default_dimension(self, name: str) -> str:
        dimension = self._dimension_field(name)
        default = default_of(dimension) if dimension is not None else UNSET
        return to_text(default if default is not UNSET else 1024)

    def compose_control(self) -> ComposeResult:
        initial = self._initial
        presets = self.presets()
        width = height = ""
        if isinstance(initial, dict):
            choice: Any = CUSTOM
            width, height = to_text(initial.get("width")), to_text(initial.get("height"))
        elif initial is UNSET or initial is None:
            choice = Select.NULL
        elif initial in presets:
            choice = initial
        else:
            choice = CUSTOM
        if choice == CUSTOM and not width:
            width = (
                to_text(default_of(self._dimension_field("width")) or "")
                if self._dimension_field("width")
                else ""
            )
            height = (
                to_text(default_of(self._dimension_field("height")) or "")
                if self._dimension_field("height")
                else ""
            )
        self.set_class(choice == CUSTOM, "-custom")
        options = [(Text(str(p)), p) for p in presets] + [(Text("custom…"), CUSTOM)]
        with Horizontal(classes="size-row"):
            yield Select(
                options,
                prompt=BLANK_LABEL if not self.required else "(choose one)",
                allow_blank=not self.required or choice is Select.NULL,
                value=choice,
                compact=True,
                tooltip=self.tooltip_text(),
                classes="size-preset",
            )
            with Horizontal(classes="size-custom"):
                yield Input(
                    width,
                    placeholder="width",
                    restrict=INTEGER_RESTRICT,
                    compact=True,
                    classes="size-width",
                    tooltip="width in pixels",
                )
                yield Static("×")
                yield Input(
                    height,
                    placeholder="height",
                    restrict=INTEGER_RESTRICT,
                    compact=True,
                    classes="size-height",
                    tooltip="height in pixels",
                )

    def _select(self) -> Select[Any]:
        return self.query_one(".size-preset", Select)

    def _dimension(self, name: str) -> Input:
        return self.query_one(f".size-{name}", Input)

    def parsed(self) -> Any:
        choice = self._select().value
        if choice is Select.NULL:
            return UNSET
        if choice != CUSTOM:
            return choice
        size: dict[str, int] = {}
        for name in ("width", "height"):
            text = self._dimension(name).value.strip()
            if not text:
                raise ValueError(f"{name}: enter a number of pixels")
            try:
                size[name] = int(text)
            except ValueError:
                raise ValueError(f"{name}: {text!r} is not a whole number") from None
        return size

    def local_errors(self) -> list[FieldError]:
        errors = super().local_errors()
        if errors:
            return errors
        value = self.value()
        if isinstance(value, dict):
            for name, number in value.items():
                dimension = self._dimension_field(name)
                problem = range_error(dimension, number) if dimension is not None else None
                if problem is None and number <= 0:
                    problem = "must be > 0"
                if problem:
                    errors.append(FieldError((*self.path, name), f"{name} {problem}", "range"))
        return errors

    def set_value(self, value: Any) -> None:
        select = self._select()
        if isinstance(value, dict):
            select.value = CUSTOM
            self._dimension("width").value = to_text(value.get("width"))
            self._dimension("height").value = to_text(value.get("height"))
        elif value is UNSET or value is None:
            select.clear()
        elif value in self.presets():
            select.value = value

    @on(Select.Changed, ".size-preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        custom = event.value == CUSTOM
        self.set_class(custom, "-custom")
        if custom and not self._dimension("width").value:
            for name in ("width", "height"):
                self._dimension(name).value = self._default_dimension(name)
        self.live_check()

    @on(Input.Changed, ".size-width, .size-height")
    def _size_changed(self) -> None:
        self.live_check()

    def locate(self, path: Path) -> tuple[FieldEditor, Path]:
        return self, path[len(self.path) :]


class ObjectEditor(FieldEditor):
    """A nested object: its fields inside a collapsible section (or flat, in list rows)."""

    has_children = True

    DEFAULT_CSS = """
    ObjectEditor { padding: 0; }
    ObjectEditor > Collapsible { padding: 0 0 0 1; margin: 0; border: none;
        background: transparent; }
    ObjectEditor > Collapsible > Contents { padding: 0 0 0 1; }
    ObjectEditor .object-body { height: auto; }
    """

    def __init__(
        self,
        field: Field,
        path: Path,
        value: Any = UNSET,
        *,
        flat: bool = False,
        fill_defaults: bool = False,
        show_label: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(field, path, value, show_label=show_label, classes=classes)
        self.flat = flat
        self.fill_defaults = fill_defaults or (value is UNSET and self.required)

    def children_fields(self) -> list[Field]:
        """The object's fields, in schema order."""
        return object_children(self.field)

    def _child_editors(self) -> list[FieldEditor]:
        initial = self._initial if isinstance(self._initial, dict) else {}
        editors: list[FieldEditor] = []
        for child in self.children_fields():
            if child.name in initial:
                value = initial[child.name]
            else:
                value = default_of(child) if self.fill_defaults else UNSET
            editors.append(make_editor(child, (*self.path, child.name), value))
        return editors

    def compose(self) -> ComposeResult:
        editors = self._child_editors()
        if self.flat:
            index = self.path[-1] if self.path else 0
            number = index + 1 if isinstance(index, int) else index
            yield Static(Text(f"#{number}", style="dim"), classes="field-label", markup=False)
            with Vertical(classes="object-body"):
                yield from editors
        else:
            title = label_of(self.field) + (" *" if self.required else "")
            collapsible = Collapsible(
                *editors,
                title=Content(title),  # type: ignore[arg-type]  # literal, never markup
                collapsed=not self.required,
            )
            hint = help_of(self.field)
            if hint:
                collapsible.tooltip = Text(hint)
            yield collapsible
        yield Static("", classes="field-error", markup=False)

    def child_editors(self) -> list[FieldEditor]:
        return editor_widgets(self)

    def parsed(self) -> Any:
        out: dict[str, Any] = {}
        for editor in self.child_editors():
            value = editor.value()
            if value is not UNSET:
                out[editor.field.name] = value
        return out if out else UNSET

    def local_errors(self) -> list[FieldError]:
        errors = [e for editor in self.child_editors() for e in editor.local_errors()]
        if self.value() is UNSET:
            if self.required and not errors:
                return [FieldError(self.path, "required", "missing")]
            # An empty optional object is simply left out; nested "required" do not apply.
            return [e for e in errors if e.kind != "missing"]
        return errors

    def set_value(self, value: Any) -> None:
        values = value if isinstance(value, dict) else {}
        for editor in self.child_editors():
            editor.set_value(values.get(editor.field.name, UNSET))


class ArrayRow(Horizontal):
    """One list item: its editor and a remove button."""

    DEFAULT_CSS = """
    ArrayRow { height: auto; }
    ArrayRow > FieldEditor { width: 1fr; margin: 0; padding: 0 0 0 1; }
    ArrayRow > .row-remove { width: auto; min-width: 3; }
    ArrayRow.-object { border-left: solid $panel-lighten-2; margin: 0 0 1 0; }
    """

    def __init__(self, editor: FieldEditor, index: int, *, is_object: bool) -> None:
        super().__init__(classes="-object" if is_object else None)
        self.editor = editor
        self.index = index
        #: Focus the item once it is mounted (rows added by the user).
        self.focus_on_mount = False

    def on_mount(self) -> None:
        if self.focus_on_mount:
            self.focus_on_mount = False
            self.call_after_refresh(self.editor.focus_control)

    def compose(self) -> ComposeResult:
        yield self.editor
        yield Button("✕", compact=True, classes="row-remove", tooltip="Remove this item")


class ArrayEditor(FieldEditor):
    """A list of scalars or of objects: add and remove rows with the buttons or keys."""

    has_children = True

    BINDINGS: ClassVar = [
        Binding("ctrl+n", "add_item", "Add item", id="form.array.add"),
        Binding("ctrl+t", "remove_item", "Remove item", id="form.array.remove"),
    ]

    DEFAULT_CSS = """
    ArrayEditor .array-rows { height: auto; }
    ArrayEditor .array-actions { height: 1; }
    ArrayEditor .array-empty { color: $text-muted; height: 1; width: 1fr; padding: 0 1; }
    ArrayEditor .array-add { width: auto; }
    """

    def __init__(
        self,
        field: Field,
        path: Path,
        value: Any = UNSET,
        *,
        show_label: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(field, path, value, show_label=show_label, classes=classes)
        self._rows: list[ArrayRow] = []

    def item_field(self) -> Field | None:
        """The field of one item (files for file lists)."""
        item = array_item(self.field)
        if attr(self.field, "kind") == "file_list":
            base = item if item is not None else self.field
            if dataclasses.is_dataclass(base) and not isinstance(base, type):
                return dataclasses.replace(
                    base,
                    kind="file",
                    required=False,
                    has_default=False,
                    default=None,
                    advanced=False,
                    description="",
                )
        return item

    def _item_kind(self) -> str:
        item = self.item_field()
        return attr(item, "kind", "json") if item is not None else "json"

    def compose_control(self) -> ComposeResult:
        value = self._initial
        if isinstance(value, list):
            items = value
        else:
            items = [] if value is UNSET or value is None else [value]
        self._rows = [self._make_row(i, item, fill=False) for i, item in enumerate(items)]
        self._box = Vertical(*self._rows, classes="array-rows")
        self._add = Button("+ add", compact=True, classes="array-add", tooltip="Add (ctrl+n)")
        self._empty = Static(Text("empty · ctrl+n adds"), classes="array-empty")
        self._empty.display = not self._rows
        yield self._box
        yield Horizontal(self._add, self._empty, classes="array-actions")

    def _make_row(self, index: int, value: Any, *, fill: bool) -> ArrayRow:
        item = self.item_field()
        path = (*self.path, index)
        if item is None:
            editor: FieldEditor = JsonEditor(self.field, path, value, show_label=False)
        elif attr(item, "kind") == "object" and object_children(item):
            editor = ObjectEditor(item, path, value, flat=True, fill_defaults=fill)
        else:
            if fill and value is UNSET:
                value = default_of(item)
            editor = make_editor(item, path, value, show_label=False)
        return ArrayRow(editor, index, is_object=isinstance(editor, ObjectEditor))

    def rows(self) -> list[ArrayRow]:
        """The current rows, in order."""
        return list(self._rows)

    def child_editors(self) -> list[FieldEditor]:
        return [row.editor for row in self._rows]

    def parsed(self) -> Any:
        items = [row.editor.value() for row in self._rows]
        items = [item for item in items if item is not UNSET]
        return items if items else UNSET

    def local_errors(self) -> list[FieldError]:
        errors: list[FieldError] = []
        for row in self._rows:
            errors.extend(row.editor.local_errors())
        if errors:
            return errors
        value = self.value()
        count = 0 if value is UNSET else len(value)
        if count == 0 and self.required:
            return [FieldError(self.path, "required: add at least one item", "missing")]
        min_items, max_items = attr(self.field, "min_items"), attr(self.field, "max_items")
        if count and min_items is not None and count < min_items:
            errors.append(FieldError(self.path, f"needs at least {min_items} items", "range"))
        if max_items is not None and count > max_items:
            errors.append(FieldError(self.path, f"at most {max_items} items", "range"))
        return errors

    def set_value(self, value: Any) -> None:
        items = value if isinstance(value, list) else ([] if is_empty(value) else [value])
        self._rebuild(items)

    def _rebuild(self, items: list[Any], focus_index: int | None = None) -> None:
        for row in self._rows:
            row.remove()
        self._rows = [self._make_row(i, item, fill=False) for i, item in enumerate(items)]
        if self._rows:
            self._box.mount_all(self._rows)
        self._update_empty()
        if focus_index is None:
            return
        if self._rows:
            self._rows[max(0, min(focus_index, len(self._rows) - 1))].focus_on_mount = True
        else:
            self.call_after_refresh(self._add.focus)

    def _update_empty(self) -> None:
        self._empty.display = not self._rows

    def add_item(self, value: Any = UNSET) -> None:
        """Append a row (pre-filled with the item's defaults) and focus it."""
        row = self._make_row(len(self._rows), value, fill=value is UNSET)
        row.focus_on_mount = True
        self._rows.append(row)
        self._box.mount(row)
        self._update_empty()

    def remove_item(self, index: int) -> None:
        """Remove one row; the others keep their values (and are renumbered)."""
        if not 0 <= index < len(self._rows):
            return
        values = [row.editor.value() for row in self._rows]
        del values[index]
        self._rebuild(values, focus_index=index)

    def action_add_item(self) -> None:
        """Add an item (key binding)."""
        self.add_item()

    def action_remove_item(self) -> None:
        """Remove the item holding the focus (or the last one)."""
        if not self._rows:
            return
        focused = self.app.focused
        for index, row in enumerate(self._rows):
            if focused is not None and row in focused.ancestors_with_self:
                self.remove_item(index)
                return
        self.remove_item(len(self._rows) - 1)

    @on(Button.Pressed, ".array-add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        if event.button is self._add:
            event.stop()
            self.add_item()

    @on(Button.Pressed, ".row-remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        row = event.button.parent
        if isinstance(row, ArrayRow) and row in self._rows:
            event.stop()
            self.remove_item(self._rows.index(row))

    def locate(self, path: Path) -> tuple[FieldEditor, Path]:
        rest = path[len(self.path) :]
        if rest and isinstance(rest[0], int) and 0 <= rest[0] < len(self._rows):
            return self._rows[rest[0]].editor.locate(path)
        return self, rest


class OpenEnumEditor(StringEditor):
    """An enum that also accepts any string: the choices are suggestions."""

    def help_text(self) -> str:
        choices = ", ".join(to_text(v) for v in attr(self.field, "enum") or [])
        base = super().help_text()
        hint = f"suggested: {choices}" if choices else ""
        return " — ".join(p for p in (base, hint) if p)

    def compose_control(self) -> ComposeResult:
        from textual.suggester import SuggestFromList

        yield from super().compose_control()
        self._suggestions = [to_text(v) for v in attr(self.field, "enum") or []]
        self._suggester = SuggestFromList(self._suggestions, case_sensitive=False)

    def on_mount(self) -> None:
        self._input().suggester = self._suggester


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


__all__ = [
    "CUSTOM",
    "ArrayEditor",
    "ArrayRow",
    "BoolEditor",
    "ConstEditor",
    "EnumEditor",
    "FileEditor",
    "ImageSizeEditor",
    "JsonEditor",
    "NumberEditor",
    "ObjectEditor",
    "OpenEnumEditor",
    "StringEditor",
    "TextEditor",
    "make_editor",
]
