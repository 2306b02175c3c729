"""Editors for single form fields: one widget per field kind of ``faltui.core.schema``.

Every editor shows the same frame — a label line (name, ``*`` when required, a dim kind/bounds
hint), the control, an error line and a dim help line (the description, literal text, also
the tooltip; two lines cut at a word with "…", in full while the field has the focus).
Editors hold text and display it; every reading and check of that text is done
by ``faltui.core.schema.input.read`` — the function ``faltui run`` uses too — so what a person
types is what is sent, or the error line says why. Nothing is filtered while typing: ``2.5``
in an integer field stays ``2.5`` and says it is not an integer. Composite editors (image
size, lists, objects) live in ``form_groups`` and ``form_lists``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch, TextArea

from faltui.core.errors import FieldError
from faltui.core.schema import EMPTY, Field, kind_hint, read, value_text
from faltui.core.state import ForkNote
from faltui.tui.widgets.form_labels import help_of, label_of, placeholder_for, short_id
from faltui.tui.widgets.help_line import HelpLine

Path = tuple[str | int, ...]
Reading = tuple[Any, list[FieldError]]

#: Placeholder label of the "not set" entry of optional selects.
BLANK_LABEL = "(not set: server default)"

#: Problems shown only after a check (an untouched or half-typed form is not all red).
DEFERRED_KINDS = frozenset({"missing", "short"})


class FieldEditor(Vertical):
    """Base of all editors: label, control, error and help lines for one field."""

    DEFAULT_CSS = """
    FieldEditor { height: auto; margin: 0 0 1 0; padding: 0 1; }
    FieldEditor .field-label { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    FieldEditor .field-help { color: $text-muted; height: auto; }
    FieldEditor .field-error { color: $text-error; display: none; height: auto; }
    FieldEditor.-error > .field-error { display: block; }
    FieldEditor.-error > .field-label { color: $text-error; }
    FieldEditor Input, FieldEditor Select, FieldEditor TextArea { width: 1fr; }
    """

    #: Whether ``mark_errors`` paths below this editor's own path are handled by children.
    has_children: ClassVar[bool] = False

    class Edited(Message):
        """Something in an editor changed (the form keeps its draft up to date)."""

        def __init__(self, editor: FieldEditor | None) -> None:
            super().__init__()
            self.editor = editor

    def __init__(
        self,
        field: Field,
        path: Path,
        value: Any = EMPTY,
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
        return self.field.required

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
            yield HelpLine(help_text, classes="field-help")

    def compose_control(self) -> ComposeResult:
        """The input widget(s); subclasses override."""
        yield from ()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._full_help()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.call_after_refresh(self._full_help)  # the focus may stay inside this editor

    def _full_help(self) -> None:
        """The description in full while this field has the focus, two lines otherwise."""
        for line in self.query_children(HelpLine):
            line.show_full(self.has_focus_within)

    def tooltip_text(self) -> Text | None:
        """The description as a literal tooltip for the control."""
        help_text = help_of(self.field)
        return Text(help_text) if help_text else None

    # -- values ------------------------------------------------------------------------

    def reading(self) -> Reading:
        """The value (EMPTY when there is none or the text does not read as one) and the
        problems of what the editor holds, as the gate would report them."""
        raise NotImplementedError

    def value(self) -> Any:
        """The typed value, or EMPTY. Before the controls exist (just after ``load``) it is
        the value they will show."""
        if not self._ready:
            return self._initial
        return self.reading()[0]

    def problems(self) -> list[FieldError]:
        """Problems of what the editor holds (none before it is shown)."""
        return self.reading()[1] if self._ready else []

    def set_value(self, value: Any) -> None:
        """Show a value (EMPTY/None: empty)."""
        raise NotImplementedError

    def unread_texts(self) -> dict[Path, str]:
        """Text that does not read as a value yet, by path (kept in the model's draft)."""
        return {}

    def set_text(self, text: str, rest: Path = ()) -> None:
        """Put typed text back (from a draft); ``rest`` is the path below this editor's own
        (composites); editors without text ignore it."""

    # -- errors ------------------------------------------------------------------------

    def live_check(self) -> None:
        """Re-check after an edit: problems show at once, except "required" and "too short"
        which wait for a check (so an untouched form is not all red)."""
        shown = [e for e in self.own_problems() if e.kind not in DEFERRED_KINDS or self._checked]
        self.show_error("; ".join(e.message for e in shown) if shown else None)
        self.post_message(self.Edited(self))

    def own_problems(self) -> list[FieldError]:
        """The problems this editor's own error line shows (children show theirs)."""
        return self.problems()

    def show_error(self, message: str | None) -> None:
        """Show (or clear with None) the red line under the control."""
        self._error_message = message
        self.set_class(bool(message), "-error")
        lines = self.query_children(".field-error")
        if lines:
            lines.first(Static).update(Text(f"✗ {message}") if message else "")

    def add_error(self, message: str) -> None:
        """Add a message to the error line (several errors may hit one field)."""
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


class TextFieldEditor(FieldEditor):
    """An editor holding typed text, read by ``faltui.core.schema.input.read``."""

    def text(self) -> str:
        """The text as typed."""
        raise NotImplementedError

    def reading(self) -> Reading:
        return read(self.field, self.text(), self.path)

    def unread_texts(self) -> dict[Path, str]:
        if not self._ready:
            return {}
        if any(e.kind == "parse" for e in self.reading()[1]):
            return {self.path: self.text()}
        return {}


class StringEditor(TextFieldEditor):
    """A one-line text box (strings, numbers, files, open enums). Nothing typed is filtered:
    a character a field cannot take shows as an error instead of silently disappearing."""

    def compose_control(self) -> ComposeResult:
        yield Input(
            value_text(self._initial),
            placeholder=placeholder_for(self.field),
            compact=True,
            tooltip=self.tooltip_text(),
            classes="field-control",
        )

    def _input(self) -> Input:
        return self.query_one(".field-control", Input)

    def text(self) -> str:
        return self._input().value

    def set_value(self, value: Any) -> None:
        self._input().value = value_text(value)

    def set_text(self, text: str, rest: Path = ()) -> None:
        if not rest:
            self._input().value = text

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input is self._input():
            self.live_check()


class NumberEditor(StringEditor):
    """An integer or a number, read by the core's number rules (``1e3``, ``5.0`` …)."""


class FileEditor(StringEditor):
    """A URL, or a local path that is uploaded when the form is submitted."""


class SeedEditor(NumberEditor):
    """A model's seed: empty or ``random`` draws a fresh seed per job (shown in the job);
    a seed that came from a forked job says so, and is used for the next submit only."""

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
        #: The fork the shown seed came from (None once the user types their own).
        self.fork: ForkNote | None = None

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static("", classes="field-help seed-note", markup=False)

    def on_mount(self) -> None:  # Textual runs the base class's on_mount too
        self._show_note()

    def set_fork(self, fork: ForkNote | None) -> None:
        """Mark the shown seed as the one of a forked job (None: the user's own)."""
        self.fork = fork if fork is not None and fork.seed is not None else None
        if self._ready:
            self._show_note()

    def note_text(self) -> str:
        """``seed 1234 from job …; clear for random`` while the seed is a fork's."""
        if self.fork is None or self.fork.seed is None:
            return ""
        return f"seed {self.fork.seed} from job {short_id(self.fork.job_id)}; clear for random"

    def _show_note(self) -> None:
        note = self.query_children(".seed-note").first(Static)
        text = self.note_text()
        note.update(Text(text))
        note.display = bool(text)

    def live_check(self) -> None:
        super().live_check()
        if self.fork is not None and self.value() != self.fork.seed:
            self.set_fork(None)  # the user's own seed now


class TextEditor(TextFieldEditor):
    """A long, prompt-like text: a soft-wrapping text area that grows to a few lines."""

    DEFAULT_CSS = """
    TextEditor TextArea { height: auto; min-height: 2; max-height: 6; }
    """

    def compose_control(self) -> ComposeResult:
        yield TextArea(
            value_text(self._initial),
            soft_wrap=True,
            compact=True,
            tab_behavior="focus",
            placeholder=placeholder_for(self.field),
            tooltip=self.tooltip_text(),
            classes="field-control",
            highlight_cursor_line=False,
        )

    def _area(self) -> TextArea:
        return self.query_one(".field-control", TextArea)

    def text(self) -> str:
        return self._area().text

    def set_value(self, value: Any) -> None:
        self._area().load_text(value_text(value))

    def set_text(self, text: str, rest: Path = ()) -> None:
        if not rest:
            self._area().load_text(text)

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self._area():
            self.live_check()


class JsonEditor(TextEditor):
    """Any JSON value, for constructs the form has no better editor for."""

    DEFAULT_CSS = """
    JsonEditor TextArea { height: auto; min-height: 2; max-height: 8; }
    """

    def compose_control(self) -> ComposeResult:
        initial = self._initial
        text = "" if initial is EMPTY or initial is None else json_text(initial)
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

    def set_value(self, value: Any) -> None:
        self._area().load_text("" if value is EMPTY or value is None else json_text(value))


class EnumEditor(FieldEditor):
    """A choice among the schema's values (a "not set" entry when the field is optional)."""

    def options(self) -> list[Any]:
        """The allowed values, the current one added when it is not among them."""
        values = list(self.field.enum or [])
        initial = self._initial
        if initial is not EMPTY and initial is not None and initial not in values:
            values.append(initial)
        return values

    def compose_control(self) -> ComposeResult:
        options = self.options()
        initial = self._initial if self._initial in options else Select.NULL
        allow_blank = not self.required or initial is Select.NULL
        yield Select(
            [(Text(value_text(v) or '""'), v) for v in options],
            prompt=BLANK_LABEL if not self.required else "(choose one)",
            allow_blank=allow_blank,
            value=initial,
            compact=True,
            tooltip=self.tooltip_text(),
            classes="field-control",
        )

    def _select(self) -> Select[Any]:
        return self.query_one(".field-control", Select)

    def reading(self) -> Reading:
        value = self._select().value
        return (EMPTY, []) if value is Select.NULL else (value, [])

    def set_value(self, value: Any) -> None:
        select = self._select()
        if value is EMPTY or value is None:
            if select._allow_blank:
                select.clear()
            return
        if value not in self.options():
            self._initial = value
            select.set_options([(Text(value_text(v) or '""'), v) for v in self.options()])
        select.value = value

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        if event.select is self._select():
            self.live_check()


class BoolEditor(FieldEditor):
    """A switch with the field name beside it.

    A switch cannot look empty: when the field has no value (not in the draft, left out of
    the raw JSON), it shows the schema default and is only sent once switched away from it.
    """

    DEFAULT_CSS = """
    BoolEditor > Horizontal { height: 1; }
    BoolEditor Switch { border: none; padding: 0; height: 1; width: auto; margin: 0 1 0 0; }
    BoolEditor .bool-label { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def shown_default(self) -> bool:
        """What the switch shows when the field has no value."""
        return bool(self.field.default) if self.field.has_default else False

    def compose(self) -> ComposeResult:
        initial = self._initial
        with Horizontal():
            yield Switch(
                bool(initial) if initial is not EMPTY else self.shown_default(),
                animate=False,
                tooltip=self.tooltip_text(),
                classes="field-control",
            )
            if self.show_label:
                yield Static(self.label_text(), classes="bool-label", markup=False)
        yield Static("", classes="field-error", markup=False)
        help_text = self.help_text()
        if help_text:
            yield HelpLine(help_text, classes="field-help")

    def _switch(self) -> Switch:
        return self.query_one(".field-control", Switch)

    def reading(self) -> Reading:
        value = self._switch().value
        if self._initial is EMPTY and value == self.shown_default():
            return EMPTY, []
        return value, []

    def set_value(self, value: Any) -> None:
        self._initial = value
        self._switch().value = bool(value) if value is not EMPTY else self.shown_default()

    @on(Switch.Changed)
    def _changed(self, event: Switch.Changed) -> None:
        if event.switch is self._switch():
            self.post_message(self.Edited(self))


class ConstEditor(FieldEditor):
    """A value fixed by the schema: shown, not editable, always sent."""

    def compose_control(self) -> ComposeResult:
        yield Static(
            Text(value_text(self._initial) or '""', style="italic"),
            classes="field-control const-value",
            markup=False,
        )

    def reading(self) -> Reading:
        return self._initial, []

    def set_value(self, value: Any) -> None:
        """Constants keep the schema's value."""


class OpenEnumEditor(StringEditor):
    """An enum that also accepts any string: the choices are suggestions."""

    def help_text(self) -> str:
        choices = ", ".join(value_text(v) for v in self.field.enum or [])
        base = super().help_text()
        hint = f"suggested: {choices}" if choices else ""
        return " — ".join(p for p in (base, hint) if p)

    def compose_control(self) -> ComposeResult:
        yield from super().compose_control()
        self._suggestions = [value_text(v) for v in self.field.enum or []]
        self._suggester = SuggestFromList(self._suggestions, case_sensitive=False)

    def on_mount(self) -> None:  # Textual runs the base class's on_mount too
        self._input().suggester = self._suggester


def json_text(value: Any) -> str:
    """A JSON value as one line of text."""
    return json.dumps(value, ensure_ascii=False)


def editor_widgets(widget: Widget) -> list[FieldEditor]:
    """The outermost editors below a container (not nested ones)."""
    found: list[FieldEditor] = []
    for child in widget.children:
        if isinstance(child, FieldEditor):
            found.append(child)
        else:
            found.extend(editor_widgets(child))
    return found
