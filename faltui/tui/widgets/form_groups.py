"""Composite editors: image size (preset or width × height) and nested objects.

Objects build their children with ``form_factory.make_editor``, so arbitrarily nested schemas
get a form without any per-model code. Error paths such as ``("image_size", "width")``
resolve through ``FieldEditor.locate``. Lists live in ``form_lists``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Collapsible, Input, Select, Static

from faltui.core.errors import FieldError
from faltui.core.schema import EMPTY, Field, default_value, read, value_text
from faltui.core.schema.model import object_children
from faltui.tui.format import one_line
from faltui.tui.widgets.form_fields import (
    BLANK_LABEL,
    FieldEditor,
    Path,
    Reading,
    editor_widgets,
)
from faltui.tui.widgets.form_labels import help_of, label_of
from faltui.tui.widgets.safe_editors import SafeInput

#: Select value of the "custom width × height" entry of image size presets.
CUSTOM = "__custom__"
#: A custom size starts at this many pixels when the schema gives no default.
DEFAULT_PIXELS = 1024


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
        values = list(self.field.enum or [])
        if not values:
            for variant in self.field.variants:
                values.extend(variant.enum or [])
        return values

    def dimension_field(self, name: str) -> Field:
        """The schema's ``width``/``height`` field (a positive integer when it has none)."""
        for child in object_children(self.field):
            if child.name == name:
                return child
        return Field(name, (*self.field.path, name), kind="integer", exclusive_minimum=0)

    def _default_dimension(self, name: str) -> str:
        default = default_value(self.dimension_field(name))
        return value_text(default if default is not EMPTY else DEFAULT_PIXELS)

    def compose_control(self) -> ComposeResult:
        initial = self._initial
        presets = self.presets()
        width = height = ""
        if isinstance(initial, dict):
            choice: Any = CUSTOM
            width, height = value_text(initial.get("width")), value_text(initial.get("height"))
        elif initial is EMPTY or initial is None:
            choice = Select.NULL
        elif initial in presets:
            choice = initial
        else:
            choice = CUSTOM
        if choice == CUSTOM and not width:
            width, height = self._default_dimension("width"), self._default_dimension("height")
        self.set_class(choice == CUSTOM, "-custom")
        options = [(Text(one_line(p, 80)), p) for p in presets] + [(Text("custom…"), CUSTOM)]
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
                yield SafeInput(
                    width,
                    placeholder="width",
                    compact=True,
                    classes="size-width",
                    tooltip="width in pixels",
                )
                yield Static("×")
                yield SafeInput(
                    height,
                    placeholder="height",
                    compact=True,
                    classes="size-height",
                    tooltip="height in pixels",
                )

    def _select(self) -> Select[Any]:
        return self.query_one(".size-preset", Select)

    def _dimension(self, name: str) -> Input:
        return self.query_one(f".size-{name}", Input)

    def reading(self) -> Reading:
        choice = self._select().value
        if choice is Select.NULL:
            return EMPTY, []
        if choice != CUSTOM:
            return choice, []
        size: dict[str, Any] = {}
        problems: list[FieldError] = []
        for name in ("width", "height"):
            where = (*self.path, name)
            text = self._dimension(name).value
            value, found = read(self.dimension_field(name), text, where)
            if value is EMPTY and not found:
                found = [FieldError(where, "enter a number of pixels", "parse")]
            problems += found
            if value is not EMPTY:
                size[name] = value
        if any(e.kind == "parse" for e in problems):
            return EMPTY, problems
        return size, problems

    def own_problems(self) -> list[FieldError]:
        # The error line is shared by both dimensions: say which one.
        out = []
        for e in self.problems():
            rest = e.path[len(self.path) :]
            prefix = f"{rest[0]}: " if rest else ""
            out.append(FieldError(e.path, prefix + e.message, e.kind))
        return out

    def unread_texts(self) -> dict[Path, str]:
        if not self._ready or self._select().value != CUSTOM:
            return {}
        unread = {tuple(e.path) for e in self.reading()[1] if e.kind == "parse"}
        return {
            (*self.path, name): self._dimension(name).value
            for name in ("width", "height")
            if (*self.path, name) in unread
        }

    def set_text(self, text: str, rest: Path = ()) -> None:
        """Put a typed width or height back (``rest`` names it)."""
        if rest and rest[0] in ("width", "height"):
            self._select().value = CUSTOM
            self.set_class(True, "-custom")
            self._dimension(str(rest[0])).value = text

    def set_value(self, value: Any) -> None:
        select = self._select()
        if isinstance(value, dict):
            select.value = CUSTOM
            self._dimension("width").value = value_text(value.get("width"))
            self._dimension("height").value = value_text(value.get("height"))
        elif value is EMPTY or value is None:
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
        value: Any = EMPTY,
        *,
        flat: bool = False,
        fill_defaults: bool = False,
        show_label: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(field, path, value, show_label=show_label, classes=classes)
        self.flat = flat
        self.fill_defaults = fill_defaults or (value is EMPTY and self.required)

    def children_fields(self) -> list[Field]:
        """The object's fields, in schema order."""
        return object_children(self.field)

    def _child_editors(self) -> list[FieldEditor]:
        from faltui.tui.widgets.form_factory import make_editor  # late: it imports us

        initial = self._initial if isinstance(self._initial, dict) else {}
        editors: list[FieldEditor] = []
        for child in self.children_fields():
            if child.name in initial:
                value = initial[child.name]
            else:
                value = default_value(child) if self.fill_defaults else EMPTY
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

    def reading(self) -> Reading:
        out: dict[str, Any] = {}
        problems: list[FieldError] = []
        for editor in self.child_editors():
            value = editor.value()
            problems += editor.problems()
            if value is not EMPTY:
                out[editor.field.name] = value
        return (out if out else EMPTY), problems

    def own_problems(self) -> list[FieldError]:
        return []  # each child shows its own

    def unread_texts(self) -> dict[Path, str]:
        found: dict[Path, str] = {}
        for editor in self.child_editors():
            found.update(editor.unread_texts())
        return found

    def set_value(self, value: Any) -> None:
        values = value if isinstance(value, dict) else {}
        for editor in self.child_editors():
            editor.set_value(values.get(editor.field.name, EMPTY))


__all__ = ["CUSTOM", "ImageSizeEditor", "ObjectEditor"]
