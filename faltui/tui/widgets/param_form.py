"""The parameter form: a model's input schema as editable fields, or as raw JSON.

Built from ``faltui.core.schema`` fields only (no per-model code): main fields first, optional
extras under a collapsed "Advanced" section, defaults (or the model's draft) pre-filled.
``request_submit(count)`` passes the input through the core's gate
(``faltui.core.schema.prepare`` — the same one ``faltui run`` and the job manager use), marks
problems inline and either notifies or posts ``ParamForm.Submit`` with the prepared input.
fal's 422 errors come back through ``mark_errors`` and land on the editor their path names.

What is typed is kept: each model's unsent draft goes to a ``DraftStore`` (the app state) when
another model is chosen, as you type (saved a moment later) and when the app closes; a job
forked into the form brings its input and says where its seed came from; returning to the
form puts the cursor back in the field last used.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Static, TextArea

from faltui.core import text as core_text
from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema import EMPTY, EndpointSchema, Field, PreparedInput, default_value, prepare
from faltui.core.schema.input import parse_json
from faltui.core.state import Draft, ForkNote
from faltui.tui.format import one_line
from faltui.tui.widgets.form_factory import make_editor
from faltui.tui.widgets.form_fields import FieldEditor, Path, SeedEditor
from faltui.tui.widgets.form_labels import describe_errors, error_summary, short_id
from faltui.tui.widgets.safe_editors import SafeTextArea

if TYPE_CHECKING:
    from faltui.core.job import Job

EMPTY_HINT = "Choose a model to fill in its parameters."
#: Seconds after the last edit before the drafts are written to disk.
DRAFT_SAVE_DELAY = 1.0


class DraftStore(Protocol):
    """Where the form keeps each model's draft (``faltui.core.state.AppState``)."""

    def keep_draft(self, endpoint_id: str, draft: Draft) -> bool: ...

    def draft_for(self, endpoint_id: str) -> Draft | None: ...

    def save(self) -> str | None: ...


class ParamForm(Widget):
    """The form for one endpoint's input; ``load`` it with a parsed schema."""

    DEFAULT_CSS = """
    ParamForm { layout: vertical; height: 1fr; }
    ParamForm #form-header { height: 1; padding: 0 1; background: $boost;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ParamForm #form-general { height: auto; color: $text-error; padding: 0 1; display: none; }
    ParamForm #form-general.-shown { display: block; }
    ParamForm #form-origin { height: auto; color: $text-accent; padding: 0 1; display: none; }
    ParamForm #form-origin.-shown { display: block; }
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
        """The user asked to submit an input that passed the gate, ``count`` times."""

        def __init__(self, endpoint_id: str, prepared: PreparedInput, count: int = 1) -> None:
            super().__init__()
            self.endpoint_id = endpoint_id
            self.prepared = prepared
            self.count = count

        @property
        def payload(self) -> dict[str, Any]:
            """The input to send (seeds are chosen per job when submitting)."""
            return self.prepared.payload

    def __init__(
        self,
        *,
        drafts: DraftStore | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.drafts = drafts
        self.schema: EndpointSchema | None = None
        self.endpoint_id: str = ""
        self.display_name: str = ""
        self._editors: dict[str, FieldEditor] = {}
        self._extra: dict[str, Any] = {}
        self._raw = False
        self._general: list[str] = []
        self._pending: tuple[EndpointSchema, Draft | None, str | None] | None = None
        self._ready = False
        self._generation = 0
        self._swap_done: asyncio.Future[None] | None = None
        #: Typed texts of the loaded draft, put back once their editors are mounted.
        self._unapplied_texts: dict[Path, str] = {}
        #: Where the form's content came from (a forked job), if anywhere.
        self._fork: ForkNote | None = None
        self._queued: tuple[str, Draft] | None = None
        #: What the next queued load says about where its values came from (a send-to).
        self._queued_note: str | None = None
        #: The note shown in the origin line while no fork is (``queue_values``).
        self.origin_note: str | None = None
        self._last_focused: Widget | None = None
        self._save_timer: Timer | None = None
        self._unsaved = False

    # -- composition -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="form-header", markup=False)
        yield Static("", id="form-origin", markup=False)
        yield Static("", id="form-general", markup=False)
        scroll = VerticalScroll(id="form-fields", can_focus=False)
        with scroll:
            yield Static(Text(EMPTY_HINT), id="form-empty", markup=False)
        # The raw JSON editor is mounted here (before the error line) when first opened.
        yield Static("", id="form-raw-error", markup=False)

    def on_mount(self) -> None:
        self._ready = True
        self.query_one("#form-header").display = False
        if self._pending is not None:
            schema, draft, title = self._pending
            self._pending = None
            self.load(schema, draft=draft, title=title)

    def on_unmount(self) -> None:
        self.save_drafts()

    # -- loading -----------------------------------------------------------------------

    def load(
        self,
        schema: EndpointSchema,
        values: dict[str, Any] | None = None,
        *,
        title: str | None = None,
        draft: Draft | None = None,
    ) -> None:
        """Show ``schema``'s input fields, filled from (first that applies) ``draft``,
        ``values``, a job queued with :meth:`queue_fork`, the model's kept draft, or the
        schema's defaults.

        With values (or a draft), a field missing from them starts empty: the user had cleared
        it. The draft of the model shown so far is kept first. ``title`` overrides the
        catalog's display name.
        """
        if not self._ready:
            chosen = draft if draft is not None else (Draft(dict(values)) if values else None)
            self._pending = (schema, chosen, title)
            return
        self.keep_draft()
        self.save_drafts()  # switching models: the draft left behind is on disk at once
        endpoint_id = str(schema.endpoint_id or "")
        if draft is None and values is not None:
            draft = Draft(dict(values))
        note = None
        if draft is None and self._queued is not None and self._queued[0] == endpoint_id:
            draft = self._queued[1]
            note = self._queued_note
        self.origin_note = note
        self._queued_note = None
        if draft is None and self.drafts is not None and endpoint_id:
            draft = self.drafts.draft_for(endpoint_id)
        self._queued = None
        self.schema = schema
        self.endpoint_id = endpoint_id
        self.display_name = title or display_name_for(self.endpoint_id)
        self._fork = draft.fork if draft is not None else None
        self._unapplied_texts = dict(draft.texts) if draft is not None else {}
        self._last_focused = None
        fields: list[Field] = list(schema.input)
        known = {f.name for f in fields}
        values = draft.values if draft is not None else None
        self._extra = {k: v for k, v in (values or {}).items() if k not in known}
        self._general = []
        self._set_raw(False)
        self._update_header()
        self._update_general()

        main: list[FieldEditor] = []
        advanced: list[FieldEditor] = []
        self._editors = {}
        for f in fields:
            start = values.get(f.name, EMPTY) if values is not None else default_value(f)
            if f.kind == "const":
                start = default_value(f)
            editor = make_editor(f, (f.name,), start)
            fork = self._fork
            if isinstance(editor, SeedEditor) and fork is not None and start == fork.seed:
                editor.set_fork(fork)
            self._editors[f.name] = editor
            (advanced if f.advanced and not f.required else main).append(editor)
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
            names = one_line(", ".join(sorted(self._extra)))
            widgets.append(
                Static(Text(f"Also sent (not in the schema): {names}"), classes="form-note")
            )
        self._update_origin()
        self._replace_fields(widgets)
        if not fields:
            self.toggle_raw()  # nothing to fill in: the JSON is the form

    def queue_fork(self, job: Job) -> None:
        """Start the next ``load`` of the job's model from the job's input (a fork).

        Its seed, if any, is used for the next submit only and says where it came from.
        """
        seed = job.input.get("seed") if isinstance(job.input, dict) else None
        seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
        values = copy.deepcopy(job.input) if isinstance(job.input, dict) else {}
        self._queued = (job.endpoint_id, Draft(values, fork=ForkNote(job.id, seed)))

    def queue_values(self, endpoint_id: str, values: dict[str, Any], note: str) -> None:
        """Start the next ``load`` of ``endpoint_id`` from ``values`` (e.g. a send to another
        model); ``note`` says where they came from, above the fields."""
        self._queued = (endpoint_id, Draft(copy.deepcopy(values)))
        self._queued_note = note

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
            self._swap_done = self._start_swap(widgets, self._generation)
        else:
            self._swap_done = asyncio.ensure_future(
                self._swap_after(previous, widgets, self._generation)
            )

    def _start_swap(self, widgets: list[Widget], generation: int) -> asyncio.Future[None]:
        scroll = self.query_one("#form-fields", VerticalScroll)
        removal = scroll.remove_children()
        mounting = scroll.mount_all(widgets)
        scroll.scroll_home(animate=False)

        async def finished() -> None:
            await removal
            await mounting
            if generation == self._generation:
                self._apply_texts()

        return asyncio.ensure_future(finished())

    async def _swap_after(
        self, previous: asyncio.Future[None], widgets: list[Widget], generation: int
    ) -> None:
        with contextlib.suppress(Exception):  # the earlier swap's failure is not ours
            await previous
        if generation != self._generation or not self.is_attached:
            return  # superseded by a newer load
        await self._start_swap(widgets, generation)
        if self.app.focused is None:
            self.focus_first()

    def _apply_texts(self) -> None:
        """Put the draft's typed-but-unread texts back into their (now mounted) editors."""
        texts, self._unapplied_texts = self._unapplied_texts, {}
        for path, text in texts.items():
            top = self._editors.get(path[0]) if isinstance(path[0], str) else None
            if top is None:
                continue
            editor, rest = top.locate(path)
            editor.set_text(text, rest)

    def _update_header(self) -> None:
        header = self.query_one("#form-header", Static)
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.display_name:
            text.append(one_line(self.display_name, 200), style="bold")
            text.append("  ")
        text.append(one_line(self.endpoint_id, 200), style="dim")
        header.update(text)
        header.display = True

    def _update_origin(self, used_seed: int | None = None) -> None:
        """The line saying which job the form's content was forked from."""
        line = self.query_one("#form-origin", Static)
        fork = self._fork
        if fork is None:
            line.update(Text(self.origin_note or ""))
            line.set_class(bool(self.origin_note), "-shown")
            return
        text = f"Forked from job {short_id(fork.job_id)}"
        if fork.seed is not None:
            text += f" · its seed {fork.seed} is used for the next submit only (clear for random)"
        elif used_seed is not None:
            text += f" · its seed {used_seed} was used; the seed is random again"
        line.update(Text(text))
        line.set_class(True, "-shown")

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
            if value is not EMPTY:
                payload[name] = value
            else:
                payload.pop(name, None)
        return payload

    # -- drafts --------------------------------------------------------------------------

    def draft(self) -> Draft | None:
        """What the form holds now, as the model's draft (None before a model is loaded)."""
        if self.schema is None or not self.endpoint_id:
            return None
        texts = dict(self._unapplied_texts)
        if self._raw:
            parsed = self._parse_raw()
            if isinstance(parsed, str):
                return None  # unfinished JSON: the last kept draft stays
            values = parsed
        else:
            values = self._field_values()
            for editor in self._editors.values():
                texts.update(editor.unread_texts())
        # List rows are renumbered when empty ones drop out: only fixed paths are kept.
        texts = {p: t for p, t in texts.items() if not any(isinstance(x, int) for x in p)}
        return Draft(copy.deepcopy(values), texts, self._fork)

    def keep_draft(self) -> None:
        """Hand the current content to the draft store (in memory; see ``save_drafts``)."""
        draft = self.draft()
        if draft is None or self.drafts is None:
            return
        if self.drafts.keep_draft(self.endpoint_id, draft):
            self._unsaved = True

    def save_drafts(self) -> None:
        """Write the kept drafts to disk now (a failure is a warning, never an exception)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self.drafts is None or not self._unsaved:
            return
        self._unsaved = False
        error = self.drafts.save()
        if error:
            self.app.notify(error, title="Draft not saved", severity="warning", markup=False)

    @on(FieldEditor.Edited)
    def _edited(self, event: FieldEditor.Edited) -> None:
        event.stop()
        seed, fork = event.editor, self._fork
        if isinstance(seed, SeedEditor) and fork and fork.seed is not None and seed.fork is None:
            self._fork = ForkNote(fork.job_id, None)  # the user typed their own seed
            self._update_origin()
        if self.schema is None or self.drafts is None:
            return
        self.keep_draft()
        if self._save_timer is not None:
            self._save_timer.reset()
        else:
            self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_drafts)

    # -- checking and errors ------------------------------------------------------------

    def check(self) -> list[FieldError]:
        """Every problem of the current input, marked inline (empty when it can be sent)."""
        errors, _ = self._check()
        return errors

    def _check(self) -> tuple[list[FieldError], PreparedInput | None]:
        if self.schema is None:
            errors = [FieldError((), "no model chosen", "missing")]
            return errors, None
        unread: list[FieldError] = []
        if self._raw:
            parsed = self._parse_raw()
            if isinstance(parsed, str):
                errors = [FieldError((), parsed, "parse")]
                self.mark_errors(errors)
                return errors, None
            payload = parsed
        else:
            for editor in self._editors.values():
                unread += [e for e in editor.problems() if e.kind == "parse"]
            payload = self._field_values()
        prepared: PreparedInput | None = None
        try:
            prepared = prepare(self.schema, payload)
            gate: list[FieldError] = []
        except ValidationFailed as exc:
            gate = list(exc.errors)
        # Text that does not read as a value is not in the payload: its own message says
        # more than the gate's "required" at the same place.
        covered = [tuple(e.path) for e in unread]
        errors = unread + [
            e
            for e in gate
            if not any(
                tuple(e.path)[: len(c)] == c or c[: len(e.path)] == tuple(e.path)
                for c in covered
                if c
            )
        ]
        self.mark_errors(errors)
        return errors, (prepared if not errors else None)

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
            self.call_after_refresh(self._scroll_to_editor, first)

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

    def _scroll_to_editor(self, editor: FieldEditor) -> None:
        if editor.is_attached:
            self.query_one("#form-fields", VerticalScroll).scroll_to_widget(
                editor, animate=False, top=True
            )

    def _update_general(self) -> None:
        line = self.query_one("#form-general", Static)
        line.update(Text("\n".join(f"✗ {one_line(m)}" for m in self._general)))
        line.set_class(bool(self._general), "-shown")

    # -- submitting --------------------------------------------------------------------

    def request_submit(self, count: int = 1) -> bool:
        """Pass the input through the gate; post ``Submit`` when it may be sent, else mark
        the problems and notify. Returns whether the message was posted."""
        errors, prepared = self._check()
        if errors or prepared is None:
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
        self.post_message(self.Submit(self.endpoint_id, prepared, max(1, int(count))))
        self._fork_seed_used(prepared)
        return True

    def _fork_seed_used(self, prepared: PreparedInput) -> None:
        """A forked job's seed serves one submit: then the seed field is random again."""
        fork = self._fork
        if fork is None or fork.seed is None or prepared.payload.get("seed") != fork.seed:
            return
        self._fork = ForkNote(fork.job_id, None)
        seed = self._editors.get("seed")
        if isinstance(seed, SeedEditor) and not self._raw:
            seed.set_fork(None)
            seed.set_value(EMPTY)
        self._update_origin(used_seed=fork.seed)
        self.keep_draft()

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
        schema = self.schema
        if schema is None:
            self.app.notify("Choose a model first.", markup=False)
            return False
        area = self._raw_area()
        if not self._raw:
            area.load_text(core_text.safe_json(self._field_values(), indent=2))
            self._show_raw_error(None)
            self._set_raw(True)
            area.focus()
            return True
        parsed = self._parse_raw()
        if isinstance(parsed, str):
            self._show_raw_error(parsed)
            return False
        fork = self._fork
        self._set_raw(False)
        # The JSON becomes the fields (and the draft): the fields' old content is not kept.
        self.schema = None
        self.load(schema, draft=Draft(parsed, fork=fork), title=self.display_name or None)
        self.call_after_refresh(self.focus_first)
        return True

    def action_toggle_raw(self) -> None:
        """Key binding of ``toggle_raw``."""
        self.toggle_raw()

    def _raw_area(self) -> TextArea:
        """The raw JSON editor, mounted on first use (composed up front it cost start-up
        time for a widget hidden until a model is chosen and ctrl+r pressed)."""
        try:
            return self.query_one("#form-raw", TextArea)
        except NoMatches:
            area = SafeTextArea(
                "",
                id="form-raw",
                soft_wrap=True,
                tab_behavior="indent",
                show_line_numbers=True,
                tooltip="The exact JSON payload; ctrl+r applies it to the fields",
                disabled=True,  # enabled in the raw view only, so hidden widgets never get focus
            )
            self.mount(area, before="#form-raw-error")
            return area

    def _parse_raw(self) -> dict[str, Any] | str:
        """The raw JSON as an object, or an error message."""
        text = self.query_one("#form-raw", TextArea).text
        try:
            parsed = parse_json(text) if text.strip() else {}
        except ValueError as exc:
            message = str(exc)
            return message[:1].upper() + message[1:]
        if not isinstance(parsed, dict):
            return "The payload must be a JSON object ({…})."
        return parsed

    def _set_raw(self, raw: bool) -> None:
        self._raw = raw
        self.set_class(raw, "-raw")
        if raw or self.query("#form-raw"):
            self._raw_area().disabled = not raw
        self.query_one("#form-fields", VerticalScroll).disabled = raw

    def _show_raw_error(self, message: str | None) -> None:
        line = self.query_one("#form-raw-error", Static)
        line.update(Text(f"✗ {one_line(message)}") if message else "")
        line.set_class(bool(message), "-shown")

    @on(TextArea.Changed, "#form-raw")
    def _raw_edited(self, event: TextArea.Changed) -> None:
        self.post_message(FieldEditor.Edited(None))

    # -- focus -------------------------------------------------------------------------

    def focus_first(self) -> bool:
        """Focus the first field; False when there is none."""
        for editor in self._editors.values():
            if editor.display and not editor.field.advanced:
                editor.focus_control()
                return True
        return False

    def focus_resume(self) -> bool:
        """Put the cursor back where it was last in this form (else in the first field);
        False when there is nothing to focus (no model yet)."""
        widget = self._last_focused
        if (
            widget is not None
            and widget.is_attached
            and widget.focusable
            and all(node.display for node in widget.ancestors_with_self if node is not self.app)
        ):
            widget.focus()
            return True
        if self._raw:
            self.query_one("#form-raw", TextArea).focus()
            return True
        return self.focus_first()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._last_focused = event.widget

    def on_click(self, event: events.Click) -> None:
        # A click on a label, help line or the background (nothing that takes focus) brings
        # the cursor back to the field last used, as the pane keys do.
        focused = self.screen.focused
        if focused is None or self not in focused.ancestors_with_self:
            self.focus_resume()

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
