"""Editors for single form fields: one widget per field kind of ``faltui.core.schema``.

Every editor shows the same frame — a label line (name, ``*`` when required, a dim kind/bounds
hint), the control, a dim help line (the description, literal text, also the tooltip) and an
error line that appears after ``check()`` or ``mark_errors()``. Editors hold their current
value; ``value()`` returns it typed, or ``UNSET`` when the field is empty and must be left out
of the payload. Composite editors (image size, lists, objects) live in ``form_groups``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch, TextArea

from faltui.core.errors import FieldError
from faltui.core.outputs import url_file_name
from faltui.tui.widgets.form_values import (
    UNSET,
    attr,
    file_error,
    file_value,
    help_of,
    is_empty,
    kind_hint,
    label_of,
    parse_json,
    parse_number,
    parse_text,
    range_error,
    to_text,
)

if TYPE_CHECKING:
    from faltui.core.schema import Field

Path = tuple[str | int, ...]

#: Characters an integer / number input accepts while typing (partial forms included).
INTEGER_RESTRICT = r"[+-]?\d*"
NUMBER_RESTRICT = r"[+-]?(\d*\.?\d*([eE][+-]?\d*)?)?"

#: Placeholder label of the "not set" entry of optional selects.
BLANK_LABEL = "(not set: server default)"


class FieldEditor(Vertical):
    """Base of all editors: label, control, help and error lines for one field."""

    DEFAULT_CSS = """
    FieldEditor { height: auto; margin: 0 0 1 0; padding: 0 1; }
    FieldEditor .field-label { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    FieldEditor .field-help { color: $text-muted; height: auto; max-height: 2;
        text-overflow: ellipsis; }
    FieldEditor .field-error { color: $text-error; display: none; height: auto; }
    FieldEditor.-error > .field-error { display: block; }
    FieldEditor.-error > .field-label { color: $text-error; }
    FieldEditor Input, FieldEditor Select, FieldEditor TextArea { width: 1fr; }
    """

    #: Whether ``mark_errors`` paths below this editor's own path are handled by children.
    has_children: ClassVar[bool] = False

    def __init__(
        self,
        field: Field,
        path: Path,
        value: Any = UNSET,
        *,
        show_label: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(classes=classes)
        self.field = field
        self.path: Path = path
        self._initial = value
        self.show_label = show_label
        self._error_message: str | None = None
        self._checked = False
        self._ready = False

    def on_mount(self) -> None:
        self._ready = True
        if self._error_message:
            self.show_error(self._error_message)

    # -- frame -------------------------------------------------------------------------

    @property
    def required(self) -> bool:
        """Whether the schema requires this field."""
        return bool(attr(self.field, "required", False))

    def label_text(self) -> Text:
        """``name *  hint`` as literal rich text."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(label_of(self.field), style="bold")
        if self.required:
            text.append(" *", style="bold red")
        hint = kind_hint(self.field)
        if hint:
            text.append(f"  {hint}", style="dim")
        return text

    def help_text(self) -> str:
        """The description shown under the control (literal)."""
        return help_of(self.field)

    def compose(self) -> ComposeResult:
        if self.show_label:
            yield Static(self.label_text(), classes="field-label", markup=False)
        yield from self.compose_control()
        yield Static("", classes="field-error", markup=False)
        help_text = self.help_text()
        if help_text:
            yield Static(Text(help_text), classes="field-help", markup=False)

    def compose_control(self) -> ComposeResult:
        """The input widget(s); subclasses override."""
        yield from ()

    def tooltip_text(self) -> Text | None:
        """The description as a literal tooltip for the control."""
        help_text = help_of(self.field)
        return Text(help_text) if help_text else None

    # -- values ------------------------------------------------------------------------

    def value(self) -> Any:
        """The typed value, or UNSET when empty (or when the text cannot be parsed).

        Before the controls exist (just after ``load``) it is the value they will show.
        """
        if not self._ready:
            return self._initial
        try:
            return self.parsed()
        except ValueError:
            return UNSET

    def parsed(self) -> Any:
        """The typed value; raises ValueError with a message when the text is not valid."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show a value (UNSET/None: empty)."""
        raise NotImplementedError

    # -- errors ------------------------------------------------------------------------

    def local_errors(self) -> list[FieldError]:
        """Problems visible without the server: unparsable text, bounds, required and empty."""
        if not self._ready:
            return []  # not shown yet; the schema's validate still sees the payload
        try:
            value = self.parsed()
        except ValueError as exc:
            return [FieldError(self.path, str(exc), "parse")]
        if value is UNSET or is_empty(value):
            if self.required:
                return [FieldError(self.path, "required", "missing")]
            return []
        problem = range_error(self.field, value)
        if problem:
            # Too short is normal while typing: like "required", shown after a check only.
            min_len = attr(self.field, "min_length")
            short = isinstance(value, str) and min_len is not None and len(value) < min_len
            return [FieldError(self.path, problem, "short" if short else "range")]
        return []

    def live_check(self) -> None:
        """Re-check after an edit: parse and range problems show at once, "required" only
        after a check (so an untouched form is not all red)."""
        deferred = ("missing", "short")
        errors = [e for e in self.local_errors() if e.kind not in deferred or self._checked]
        self.show_error("; ".join(e.message for e in errors) if errors else None)

    def show_error(self, message: str | None) -> None:
        """Show (or clear with None) the red line under the control."""
        self._error_message = message
        self.set_class(bool(message), "-error")
        try:
            line = self.query_children(".field-error").first(Static)
        except Exception:  # not composed yet
            return
        line.update(Text(f"✗ {message}") if message else "")

    def add_error(self, message: str) -> None:
        """Add a message to the error line (several server errors may hit one field)."""
        self._checked = True
        if self._error_message and message not in self._error_message.split("; "):
            message = f"{self._error_message}; {message}"
        self.show_error(message)

    @property
    def error_message(self) -> str | None:
        """The message on the error line, if any."""
        return self._error_message

    def clear_errors(self) -> None:
        """Clear this editor's error line (and those of nested editors)."""
        self.show_error(None)
        for child in self.child_editors():
            child.clear_errors()

    def child_editors(self) -> list[FieldEditor]:
        """Directly nested editors (composites override)."""
        return []

    def locate(self, path: Path) -> tuple[FieldEditor, Path]:
        """The deepest editor for an error path below this one, and the unmatched rest."""
        rest = path[len(self.path) :]
        if rest:
            for child in self.child_editors():
                if child.path == path[: len(child.path)]:
                    return child.locate(path)
        return self, rest

    def focus_control(self) -> None:
        """Focus the first focusable control inside the editor."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return


class StringEditor(FieldEditor):
    """A one-line string."""

    def compose_control(self) -> ComposeResult:
        yield Input(
            to_text(self._initial),
            placeholder=placeholder_for(self.field),
            compact=True,
            tooltip=self.tooltip_text(),
            classes="field-control",
        )

    def _input(self) -> Input:
        return self.query_one(".field-control", Input)

    def parsed(self) -> Any:
        return parse_text(self.field, self._input().value)

    def set_value(self, value: Any) -> None:
        self._input().value = to_text(value)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input is self._input():
            self.live_check()


class TextEditor(FieldEditor):
    """A long, prompt-like text: a soft-wrapping text area that grows to a few lines."""

    DEFAULT_CSS = """
    TextEditor TextArea { height: auto; min-height: 2; max-height: 6; }
    """

    def compose_control(self) -> ComposeResult:
        area = TextArea(
            to_text(self._initial),
            soft_wrap=True,
            compact=True,
            tab_behavior="focus",
            placeholder=placeholder_for(self.field),
            tooltip=self.tooltip_text(),
            classes="field-control",
            highlight_cursor_line=False,
        )
        yield area

    def _area(self) -> TextArea:
        return self.query_one(".field-control", TextArea)

    def parsed(self) -> Any:
        return parse_text(self.field, self._area().text)

    def set_value(self, value: Any) -> None:
        self._area().load_text(to_text(value))

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self._area():
            self.live_check()


class NumberEditor(FieldEditor):
    """An integer or number: typing is restricted, bounds are checked as you type."""

    def compose_control(self) -> ComposeResult:
        integer = attr(self.field, "kind") == "integer"
        yield Input(
            to_text(self._initial),
            placeholder=placeholder_for(self.field),
            restrict=INTEGER_RESTRICT if integer else NUMBER_RESTRICT,
            compact=True,
            tooltip=self.tooltip_text(),
            classes="field-control",
        )

    def _input(self) -> Input:
        return self.query_one(".field-control", Input)

    def parsed(self) -> Any:
        return parse_number(self.field, self._input().value)

    def set_value(self, value: Any) -> None:
        self._input().value = to_text(value)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input is self._input():
            self.live_check()


class EnumEditor(FieldEditor):
    """A choice among the schema's values (a "not set" entry when the field is optional)."""

    def options(self) -> list[Any]:
        """The allowed values, the current one added when it is not among them."""
        values = list(attr(self.field, "enum") or [])
        initial = self._initial
        if initial is not UNSET and initial is not None and initial not in values:
            values.append(initial)
        return values

    def compose_control(self) -> ComposeResult:
        options = self.options()
        initial = self._initial if self._initial in options else Select.NULL
        allow_blank = not self.required or initial is Select.NULL
        yield Select(
            [(Text(to_text(v) or '""'), v) for v in options],
            prompt=BLANK_LABEL if not self.required else "(choose one)",
            allow_blank=allow_blank,
            value=initial,
            compact=True,
            tooltip=self.tooltip_text(),
            classes="field-control",
        )

    def _select(self) -> Select[Any]:
        return self.query_one(".field-control", Select)

    def parsed(self) -> Any:
        value = self._select().value
        return UNSET if value is Select.NULL else value

    def local_errors(self) -> list[FieldError]:
        errors = super().local_errors()
        value = self.value()
        allowed = list(attr(self.field, "enum") or [])
        if value is not UNSET and allowed and value not in allowed:
            errors.append(FieldError(self.path, f"{value!r} is not one of the choices", "enum"))
        return errors

    def set_value(self, value: Any) -> None:
        select = self._select()
        if value is UNSET or value is None:
            if select._allow_blank:
                select.clear()
            return
        if value not in self.options():
            self._initial = value
            select.set_options([(Text(to_text(v) or '""'), v) for v in self.options()])
        select.value = value

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        if event.select is self._select():
            self.live_check()


class BoolEditor(FieldEditor):
    """A switch with the field name beside it.

    A switch cannot look empty: when the field has no value (not remembered, left out of the
    raw JSON), it shows the schema default and is only sent once switched away from it.
    """

    DEFAULT_CSS = """
    BoolEditor > Horizontal { height: 1; }
    BoolEditor Switch { border: none; padding: 0; height: 1; width: auto; margin: 0 1 0 0; }
    BoolEditor .bool-label { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def shown_default(self) -> bool:
        """What the switch shows when the field has no value."""
        default = attr(self.field, "default")
        return bool(default) if attr(self.field, "has_default", False) else False

    def compose(self) -> ComposeResult:
        initial = self._initial
        with Horizontal():
            yield Switch(
                bool(initial) if initial is not UNSET else self.shown_default(),
                animate=False,
                tooltip=self.tooltip_text(),
                classes="field-control",
            )
            if self.show_label:
                yield Static(self.label_text(), classes="bool-label", markup=False)
        yield Static("", classes="field-error", markup=False)
        help_text = self.help_text()
        if help_text:
            yield Static(Text(help_text), classes="field-help", markup=False)

    def _switch(self) -> Switch:
        return self.query_one(".field-control", Switch)

    def parsed(self) -> Any:
        value = self._switch().value
        if self._initial is UNSET and value == self.shown_default():
            return UNSET
        return value

    def set_value(self, value: Any) -> None:
        self._initial = value
        self._switch().value = bool(value) if value is not UNSET else self.shown_default()

    def local_errors(self) -> list[FieldError]:
        return []


class FileEditor(StringEditor):
    """A URL, or a local path that is uploaded when the form is submitted."""

    def parsed(self) -> Any:
        text = self._input().value
        problem = file_error(text)
        if problem:
            raise ValueError(problem)
        return file_value(text)


class ConstEditor(FieldEditor):
    """A value fixed by the schema: shown, not editable, always sent."""

    def compose_control(self) -> ComposeResult:
        yield Static(
            Text(to_text(self._initial) or '""', style="italic"),
            classes="field-control const-value",
            markup=False,
        )

    def parsed(self) -> Any:
        return self._initial

    def set_value(self, value: Any) -> None:
        """Constants keep the schema's value."""

    def local_errors(self) -> list[FieldError]:
        return []


class JsonEditor(FieldEditor):
    """Any JSON value, for constructs the form has no better editor for."""

    DEFAULT_CSS = """
    JsonEditor TextArea { height: auto; min-height: 2; max-height: 8; }
    """

    def compose_control(self) -> ComposeResult:
        initial = self._initial
        text = "" if initial is UNSET or initial is None else _json_text(initial)
        yield TextArea(
            text,
            soft_wrap=True,
            compact=True,
            tab_behavior="focus",
            placeholder="JSON value",
            tooltip=self.tooltip_text(),
            classes="field-control",
            highlight_cursor_line=False,
        )

    def _area(self) -> TextArea:
        return self.query_one(".field-control", TextArea)

    def parsed(self) -> Any:
        return parse_json(self._area().text)

    def set_value(self, value: Any) -> None:
        text = "" if value is UNSET or value is None else _json_text(value)
        self._area().load_text(text)

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self._area():
            self.live_check()


class OpenEnumEditor(StringEditor):
    """An enum that also accepts any string: the choices are suggestions."""

    def help_text(self) -> str:
        choices = ", ".join(to_text(v) for v in attr(self.field, "enum") or [])
        base = super().help_text()
        hint = f"suggested: {choices}" if choices else ""
        return " — ".join(p for p in (base, hint) if p)

    def compose_control(self) -> ComposeResult:
        yield from super().compose_control()
        self._suggestions = [to_text(v) for v in attr(self.field, "enum") or []]
        self._suggester = SuggestFromList(self._suggestions, case_sensitive=False)

    def on_mount(self) -> None:
        self._input().suggester = self._suggester


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def placeholder_for(field: Field) -> str:
    """``e.g. <first example>`` when the schema has one, else whether it is required."""
    examples = [e for e in (attr(field, "examples") or []) if e is not None and e != ""]
    if examples:
        example = to_text(examples[0]).replace("\n", " ")
        if example.startswith(("http://", "https://")) and len(example) > 40:
            example = short_url(example)
        if len(example) > 60:
            example = example[:59] + "…"
        return f"e.g. {example}"
    if attr(field, "required", False):
        return "required"
    return "optional"


def short_url(url: str) -> str:
    """A long URL cut to its host and file name (``https://host/…/file.mp3``), for hints.

    An input's placeholder does not wrap inside a long word, so a full example URL would
    show as a bare ``e.g.`` in a narrow pane.
    """
    name = url_file_name(url)
    if not name:
        return url
    scheme, _, rest = url.partition("://")
    short = f"{scheme}://{rest.split('/', 1)[0]}/…/{name}"
    return short if len(short) <= 40 else f"…/{name}"


def editor_widgets(widget: Widget) -> list[FieldEditor]:
    """The outermost editors below a container (not nested ones)."""
    found: list[FieldEditor] = []
    for child in widget.children:
        if isinstance(child, FieldEditor):
            found.append(child)
        else:
            found.extend(editor_widgets(child))
    return found
