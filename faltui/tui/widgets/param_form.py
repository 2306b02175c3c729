"""The parameter form: a model's input schema as editable fields, or as raw JSON.

Built from ``faltui.core.schema`` fields only (no per-model code): main fields first, optional
extras under a collapsed "Advanced" section, defaults (or the values remembered for the model)
pre-filled. ``request_submit(count)`` checks everything locally (parse errors, bounds,
required fields and the schema's own ``validate``), marks problems inline and either
notifies or posts ``ParamForm.Submit`` with the typed payload. fal's 422 errors come back
through ``mark_errors`` and land on the nested editor their path names.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Static, TextArea

from faltui.core.errors import FieldError
from faltui.tui.widgets.form_factory import make_editor
from faltui.tui.widgets.form_fields import FieldEditor
from faltui.tui.widgets.form_values import (
    UNSET,
    attr,
    describe_errors,
    error_summary,
    initial_value,
)

if TYPE_CHECKING:
    from faltui.core.schema import EndpointSchema, Field

EMPTY_HINT = "Choose a model to fill in its parameters."


class ParamForm(Widget):
    """The form for one endpoint's input; ``load`` it with a parsed schema."""

    DEFAULT_CSS = """
    ParamForm { layout: vertical; height: 1fr; }
    ParamForm #form-header { height: 1; padding: 0 1; background: $boost;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ParamForm #form-general { height: auto; color: $text-error; padding: 0 1; display: none; }
    ParamForm #form-general.-shown { display: block; }
    ParamForm #form-empty { color: $text-muted; padding: 1 2; height: auto; }
    ParamForm #form-fields { height: 1fr; padding: 0; scrollbar-size-vertical: 1; }
    ParamForm #form-fields > .form-advanced { margin: 0; padding: 0; border: none;
        background: transparent; }
    ParamForm #form-fields > .form-advanced > Contents { padding: 0; }
    ParamForm .form-note { color: $text-muted; padding: 0 1; height: auto; }
    ParamForm #form-raw { height: 1fr; display: none; }
    ParamForm #form-raw-error { height: auto; color: $text-error; padding: 0 1; display: none; }
    ParamForm.-raw #form-raw { display: block; }
    ParamForm.-raw #form-raw-error.-shown { display: block; }
    ParamForm.-raw #form-fields { display: none; }
    """

    BINDINGS: ClassVar = [
        Binding("ctrl+s", "submit", "Submit", id="form.submit"),
        Binding("ctrl+j", "submit", "Submit", show=False, id="form.submit_alt"),
        Binding("ctrl+b", "submit_many", "Submit ×N", id="form.submit_many"),
        Binding("ctrl+r", "toggle_raw", "Raw JSON", id="form.raw"),
    ]

    class Submit(Message):
        """The user asked to submit a valid payload ``count`` times."""

        def __init__(self, endpoint_id: str, payload: dict[str, Any], count: int = 1) -> None:
            super().__init__()
            self.endpoint_id = endpoint_id
            self.payload = payload
            self.count = count

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.schema: EndpointSchema | None = None
        self.endpoint_id: str = ""
        self.display_name: str = ""
        self._editors: dict[str, FieldEditor] = {}
        self._extra: dict[str, Any] = {}
        self._raw = False
        self._general: list[str] = []
        self._pending: tuple[Any, dict[str, Any] | None, str | None] | None = None
        self._ready = False
        self._generation = 0
        self._swap_done: asyncio.Future[None] | None = None

    # -- composition -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="form-header", markup=False)
        yield Static("", id="form-general", markup=False)
        scroll = VerticalScroll(id="form-fields", can_focus=False)
        with scroll:
            yield Static(Text(EMPTY_HINT), id="form-empty", markup=False)
        yield TextArea(
            "",
            id="form-raw",
            soft_wrap=True,
            tab_behavior="indent",
            show_line_numbers=True,
            tooltip="The exact JSON payload; ctrl+r applies it to the fields",
            disabled=True,  # enabled in the raw view only, so hidden widgets never get focus
        )
        yield Static("", id="form-raw-error", markup=False)

    def on_mount(self) -> None:
        self._ready = True
        self.query_one("#form-header").display = False
        if self._pending is not None:
            schema, values, title = self._pending
            self._pending = None
            self.load(schema, values, title=title)

    # -- loading -----------------------------------------------------------------------

    def load(
        self,
        schema: EndpointSchema,
        values: dict[str, Any] | None = None,
        *,
        title: str | None = None,
    ) -> None:
        """Show ``schema``'s input fields, filled with ``values`` (else the defaults).

        With ``values`` (the model's remembered payload), a field missing from it starts
        empty: the user had cleared it. ``title`` overrides the catalog's display name.
        """
        if not self._ready:
            self._pending = (schema, values, title)
            return
        self.schema = schema
        self.endpoint_id = str(attr(schema, "endpoint_id", "") or "")
        self.display_name = title or display_name_for(self.endpoint_id)
        values = dict(values) if values is not None else None
        fields: list[Field] = list(attr(schema, "input", []) or [])
        known = {f.name for f in fields}
        self._extra = {k: v for k, v in (values or {}).items() if k not in known}
        self._general = []
        self._set_raw(False)
        self._update_header()
        self._update_general()

        main: list[FieldEditor] = []
        advanced: list[FieldEditor] = []
        self._editors = {}
        for f in fields:
            editor = make_editor(f, (f.name,), initial_value(f, values))
            self._editors[f.name] = editor
            (advanced if attr(f, "advanced", False) and not attr(f, "required") else main).append(
                editor
            )
        widgets: list[Widget] = list(main)
        if advanced:
            widgets.append(
                Collapsible(
                    *advanced,
                    title=Content(f"Advanced ({len(advanced)})"),  # type: ignore[arg-type]
                    collapsed=True,
                    classes="form-advanced",
                )
            )
        if not fields:
            widgets.append(
                Static(
                    Text(
                        "This endpoint's schema lists no input fields. "
                        "Write the payload as JSON: ctrl+r."
                    ),
                    classes="form-note",
                )
            )
        if self._extra:
            names = ", ".join(sorted(self._extra))
            widgets.append(
                Static(Text(f"Also sent (not in the schema): {names}"), classes="form-note")
            )
        self._replace_fields(widgets)
        if not fields:
            self.toggle_raw()  # nothing to fill in: the JSON is the form

    async def settled(self) -> None:
        """Wait until the fields of the latest ``load`` are mounted (and can take focus)."""
        while self._swap_done is not None and not self._swap_done.done():
            with contextlib.suppress(Exception):  # a failed swap is reported where it fails
                await asyncio.shield(self._swap_done)

    def _replace_fields(self, widgets: list[Widget]) -> None:
        """Swap in new fields: at once when the previous swap is complete (so the app can
        focus them right away), else after it — removing widgets that are still being
        mounted breaks them (a Select loses its overlay)."""
        self._generation += 1
        previous = self._swap_done
        if previous is None or previous.done():
            self._swap_done = self._start_swap(widgets)
        else:
            self._swap_done = asyncio.ensure_future(
                self._swap_after(previous, widgets, self._generation)
            )

    def _start_swap(self, widgets: list[Widget]) -> asyncio.Future[None]:
        scroll = self.query_one("#form-fields", VerticalScroll)
        removal = scroll.remove_children()
        mounting = scroll.mount_all(widgets)
        scroll.scroll_home(animate=False)

        async def finished() -> None:
            await removal
            await mounting

        return asyncio.ensure_future(finished())

    async def _swap_after(
        self, previous: asyncio.Future[None], widgets: list[Widget], generation: int
    ) -> None:
        with contextlib.suppress(Exception):  # the earlier swap's failure is not ours
            await previous
        if generation != self._generation or not self.is_attached:
            return  # superseded by a newer load
        await self._start_swap(widgets)
        if self.app.focused is None:
            self.focus_first()

    def _update_header(self) -> None:
        header = self.query_one("#form-header", Static)
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.display_name:
            text.append(self.display_name, style="bold")
            text.append("  ")
        text.append(self.endpoint_id, style="dim")
        header.update(text)
        header.display = True

    # -- values ------------------------------------------------------------------------

    def editors(self) -> list[FieldEditor]:
        """The top-level editors, in schema order."""
        return list(self._editors.values())

    def editor(self, name: str) -> FieldEditor | None:
        """The top-level editor of field ``name``."""
        return self._editors.get(name)

    def values(self) -> dict[str, Any]:
        """The payload: every field that is filled in, typed; empty optional fields omitted.

        In the raw JSON view this is the JSON being edited (when it parses to an object).
        """
        if self._raw:
            parsed = self._parse_raw()
            if isinstance(parsed, dict):
                return parsed
        return self._field_values()

    def _field_values(self) -> dict[str, Any]:
        payload: dict[str, Any] = dict(self._extra)
        for name, editor in self._editors.items():
            value = editor.value()
            if value is not UNSET:
                payload[name] = value
            else:
                payload.pop(name, None)
        return payload

    # -- checking and errors ------------------------------------------------------------

    def check(self) -> list[FieldError]:
        """Every problem of the current input (local and by the schema), marked inline."""
        if self.schema is None:
            return [FieldError((), "no model chosen", "missing")]
        errors: list[FieldError] = []
        if self._raw:
            parsed = self._parse_raw()
            if isinstance(parsed, str):
                errors.append(FieldError((), parsed, "parse"))
                self.mark_errors(errors)
                return errors
            payload = parsed
        else:
            for editor in self._editors.values():
                errors.extend(editor.local_errors())
            payload = self._field_values()
        errors.extend(self._schema_errors(payload, errors))
        self.mark_errors(errors)
        return errors

    def _schema_errors(self, payload: dict[str, Any], known: list[FieldError]) -> list[FieldError]:
        try:
            from faltui.core.schema import validate
        except ImportError:  # pragma: no cover - schema module not there yet
            return []
        try:
            found = list(validate(self.schema, payload))
        except Exception as exc:  # a validator bug must not block the user
            self.log.warning(f"schema validation failed: {exc!r}")
            return []
        covered = [tuple(e.path) for e in known]
        out: list[FieldError] = []
        for error in found:
            path = tuple(error.path)
            if any(path[: len(c)] == c or c[: len(path)] == path for c in covered if c):
                continue
            out.append(error)
        return out

    def mark_errors(self, errors: Iterable[FieldError | dict[str, Any]]) -> None:
        """Show errors under the fields their paths name; unknown paths go to the top line."""
        self.clear_errors()
        first: FieldEditor | None = None
        for item in errors:
            error = as_field_error(item)
            path = tuple(error.path)
            if path and path[0] == "body" and "body" not in self._editors:
                path = path[1:]  # a raw FastAPI location
                error = FieldError(path, error.message, error.kind)
            top = self._editors.get(path[0]) if path and isinstance(path[0], str) else None
            if top is None:
                where = error.dotted if path else ""
                self._general.append(f"{where}: {error.message}" if where else error.message)
                continue
            editor, rest = top.locate(path)
            message = error.message
            if rest and not message.startswith(str(rest[0])):
                suffix = FieldError(rest, "").dotted
                message = f"{suffix}: {message}"
            editor.add_error(message)
            self._reveal(editor)
            first = first or editor
        self._update_general()
        if self._raw:
            messages = [*self._general]
            for editor in self._walk_editors():
                if editor.error_message:
                    messages.append(f"{FieldError(editor.path, '').dotted}: {editor.error_message}")
            self._show_raw_error("\n".join(messages) if messages else None)
        elif first is not None:
            self.call_after_refresh(self._scroll_to, first)

    def clear_errors(self) -> None:
        """Remove every error mark."""
        self._general = []
        for editor in self._editors.values():
            editor.clear_errors()
        self._update_general()
        self._show_raw_error(None)

    def _walk_editors(self) -> list[FieldEditor]:
        out: list[FieldEditor] = []
        pending = list(self._editors.values())
        while pending:
            editor = pending.pop(0)
            out.append(editor)
            pending.extend(editor.child_editors())
        return out

    def _reveal(self, editor: FieldEditor) -> None:
        """Open the collapsed sections around an editor (without their own scrolling: the
        form scrolls to the first error itself)."""
        for ancestor in editor.ancestors:
            if ancestor is self:
                break
            if isinstance(ancestor, Collapsible) and ancestor.collapsed:
                expand_quietly(ancestor)

    def _scroll_to(self, editor: FieldEditor) -> None:
        if editor.is_attached:
            self.query_one("#form-fields", VerticalScroll).scroll_to_widget(
                editor, animate=False, top=True
            )

    def _update_general(self) -> None:
        line = self.query_one("#form-general", Static)
        line.update(Text("\n".join(f"✗ {m}" for m in self._general)))
        line.set_class(bool(self._general), "-shown")

    # -- submitting --------------------------------------------------------------------

    def request_submit(self, count: int = 1) -> bool:
        """Check the input; post ``Submit`` when it is valid, else mark and notify.

        Returns whether the message was posted.
        """
        errors = self.check()
        if errors:
            names = list(dict.fromkeys(e.dotted for e in errors if e.path))
            whole = list(dict.fromkeys(e.message for e in errors if not e.path))
            parts = [f"{describe_errors(len(names))} attention: {error_summary(names)}"]
            self.app.notify(
                "; ".join(whole + (parts if names else [])),
                title="Not submitted",
                severity="error",
                markup=False,
            )
            return False
        payload = copy.deepcopy(self.values())
        self.post_message(self.Submit(self.endpoint_id, payload, max(1, int(count))))
        return True

    def action_submit(self) -> None:
        """Submit once."""
        self.request_submit(1)

    def action_submit_many(self) -> None:
        """Ask how many, then submit that many times."""
        from faltui.tui.screens.count import CountScreen

        def chosen(count: int | None) -> None:
            if count:
                self.request_submit(count)

        self.app.push_screen(CountScreen(), chosen)

    # -- raw JSON ----------------------------------------------------------------------

    @property
    def raw_mode(self) -> bool:
        """Whether the raw JSON view is showing."""
        return self._raw

    def toggle_raw(self) -> bool:
        """Switch between the fields and the raw JSON; returns whether the switch happened.

        Leaving the raw view parses the JSON and loads it into the fields; JSON that does not
        parse (or is not an object) keeps the raw view open with the error shown.
        """
        if self.schema is None:
            self.app.notify("Choose a model first.", markup=False)
            return False
        area = self.query_one("#form-raw", TextArea)
        if not self._raw:
            area.load_text(json.dumps(self._field_values(), indent=2, ensure_ascii=False))
            self._show_raw_error(None)
            self._set_raw(True)
            area.focus()
            return True
        parsed = self._parse_raw()
        if isinstance(parsed, str):
            self._show_raw_error(parsed)
            return False
        self.load(self.schema, parsed, title=self.display_name or None)
        self.call_after_refresh(self.focus_first)
        return True

    def action_toggle_raw(self) -> None:
        """Key binding of ``toggle_raw``."""
        self.toggle_raw()

    def _parse_raw(self) -> dict[str, Any] | str:
        """The raw JSON as an object, or an error message."""
        text = self.query_one("#form-raw", TextArea).text
        try:
            parsed = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            return f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        if not isinstance(parsed, dict):
            return "The payload must be a JSON object ({…})."
        return parsed

    def _set_raw(self, raw: bool) -> None:
        self._raw = raw
        self.set_class(raw, "-raw")
        self.query_one("#form-raw", TextArea).disabled = not raw
        self.query_one("#form-fields", VerticalScroll).disabled = raw

    def _show_raw_error(self, message: str | None) -> None:
        line = self.query_one("#form-raw-error", Static)
        line.update(Text(f"✗ {message}") if message else "")
        line.set_class(bool(message), "-shown")

    # -- focus -------------------------------------------------------------------------

    def focus_first(self) -> None:
        """Focus the first field."""
        for editor in self._editors.values():
            if editor.display and not attr(editor.field, "advanced", False):
                editor.focus_control()
                return

    @on(Input.Submitted)
    def _next_on_enter(self, event: Input.Submitted) -> None:
        # Enter in a one-line field moves on, like tab.
        event.stop()
        self.screen.focus_next()


def as_field_error(item: Any) -> FieldError:
    """A FieldError from a FieldError, a ``{path|loc, message|msg}`` dict or anything else."""
    if isinstance(item, FieldError):
        return item
    if isinstance(item, dict):
        path = item.get("path", item.get("loc", ()))
        message = item.get("message", item.get("msg", ""))
        kind = item.get("kind", item.get("type", ""))
    else:
        path = getattr(item, "path", ())
        message = getattr(item, "message", str(item))
        kind = getattr(item, "kind", "")
    if isinstance(path, (str, int)):
        path = (path,)
    return FieldError(tuple(path or ()), str(message), str(kind or ""))


def expand_quietly(collapsible: Collapsible) -> None:
    """Open a collapsible without its animated ``scroll_visible``."""
    try:
        collapsible.set_reactive(Collapsible.collapsed, False)
        collapsible._update_collapsed(False)
    except Exception:  # private API changed: the plain way still works
        collapsible.collapsed = False
    collapsible.post_message(Collapsible.Expanded(collapsible))


def display_name_for(endpoint_id: str) -> str:
    """The catalog's display name of an endpoint ('' when unknown)."""
    if not endpoint_id:
        return ""
    try:
        from faltui.core.bundled import bundled_models
    except ImportError:  # pragma: no cover
        return ""
    try:
        for model in bundled_models():
            if model.get("endpoint_id") == endpoint_id:
                return str((model.get("metadata") or {}).get("display_name") or "")
    except Exception:
        return ""
    return ""


__all__ = ["ParamForm", "display_name_for"]
