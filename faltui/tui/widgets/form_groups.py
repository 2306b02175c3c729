"""Composite editors: image size (preset or width × height) and nested objects.

Objects build their children with ``form_factory.make_editor``, so arbitrarily nested schemas
get a form without any per-model code. Error paths such as ``("image_size", "width")``
resolve through ``FieldEditor.locate``. Lists live in ``form_lists``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Collapsible, Input, Select, Static

from faltui.core.errors import FieldError
from faltui.tui.widgets.form_fields import (
    BLANK_LABEL,
    INTEGER_RESTRICT,
    FieldEditor,
    editor_widgets,
)
from faltui.tui.widgets.form_values import (
    UNSET,
    attr,
    default_of,
    help_of,
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
        from faltui.tui.widgets.form_factory import make_editor  # late: it imports us

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


__all__ = ["CUSTOM", "ImageSizeEditor", "ObjectEditor", "array_item", "object_children"]
