"""List editors: rows of scalars or of objects, added and removed with buttons or keys.

Each row is an ordinary editor whose path ends in the row index, so an error at
``("loras", 0, "path")`` lands on the first row's ``path`` field.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from faltui.core.errors import FieldError
from faltui.core.schema import EMPTY, Field, default_value, is_empty
from faltui.core.schema.model import array_item, object_children
from faltui.tui.widgets.form_fields import FieldEditor, JsonEditor, Path, Reading
from faltui.tui.widgets.form_groups import ObjectEditor


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
        value: Any = EMPTY,
        *,
        show_label: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(field, path, value, show_label=show_label, classes=classes)
        self._rows: list[ArrayRow] = []

    def item_field(self) -> Field | None:
        """The field of one item (files for file lists)."""
        item = array_item(self.field)
        if self.field.kind == "file_list":
            base = item if item is not None else self.field
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

    def compose_control(self) -> ComposeResult:
        value = self._initial
        if isinstance(value, list):
            items = value
        else:
            items = [] if value is EMPTY or value is None else [value]
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
            untyped = Field(self.field.name, (*self.field.path, "[]"), kind="json")
            editor: FieldEditor = JsonEditor(untyped, path, value, show_label=False)
        elif item.kind == "object" and object_children(item):
            editor = ObjectEditor(item, path, value, flat=True, fill_defaults=fill)
        else:
            if fill and value is EMPTY:
                value = default_value(item)
            from faltui.tui.widgets.form_factory import make_editor  # late: it imports us

            editor = make_editor(item, path, value, show_label=False)
        return ArrayRow(editor, index, is_object=isinstance(editor, ObjectEditor))

    def rows(self) -> list[ArrayRow]:
        """The current rows, in order."""
        return list(self._rows)

    def child_editors(self) -> list[FieldEditor]:
        return [row.editor for row in self._rows]

    def reading(self) -> Reading:
        items: list[Any] = []
        problems: list[FieldError] = []
        for row in self._rows:
            value = row.editor.value()
            problems += row.editor.problems()
            if value is not EMPTY:
                items.append(value)
        return (items if items else EMPTY), problems

    def own_problems(self) -> list[FieldError]:
        return []  # each row shows its own; list-size problems come from the gate

    def unread_texts(self) -> dict[Path, str]:
        found: dict[Path, str] = {}
        for row in self._rows:
            found.update(row.editor.unread_texts())
        return found

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

    def add_item(self, value: Any = EMPTY) -> None:
        """Append a row (pre-filled with the item's defaults) and focus it."""
        row = self._make_row(len(self._rows), value, fill=value is EMPTY)
        row.focus_on_mount = True
        self._rows.append(row)
        self._box.mount(row)
        self._update_empty()
        self.post_message(self.Edited(self))

    def remove_item(self, index: int) -> None:
        """Remove one row; the others keep their values (and are renumbered)."""
        if not 0 <= index < len(self._rows):
            return
        values = [row.editor.value() for row in self._rows]
        del values[index]
        self._rebuild(values, focus_index=index)
        self.post_message(self.Edited(self))

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


__all__ = ["ArrayEditor", "ArrayRow"]
