"""The sweep dialog: which fields to sweep and over which values, on which models.

One swept field per line, written like ``faltui run --sweep`` (``seed=1..8``,
``guidance_scale=2,4,6``, ``output_format=*``, a ``prompt=…`` line per prompt). The form's
input is the base; other models (comma-separated) get it mapped onto their schemas. While
typing, the dialog plans the sweep through the core (every value through each model's gate)
and shows the count, the estimate and what part of the budget it takes, or each problem naming
its field and model. ctrl+s sends; a sweep passing the budget asks for ctrl+s once more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from faltui.core.budget import BudgetCheck
from faltui.core.endpoints import EndpointId
from faltui.core.errors import EndpointIdError, FaltuiError, NotFoundError
from faltui.core.schema import EndpointSchema
from faltui.core.schema.model import Field
from faltui.core.sweep import (
    SweepEstimate,
    SweepInvalid,
    SweepPlan,
    axes_from_items,
    estimate_sweep,
    plan_sweep,
)
from faltui.core.sweep_values import is_text_field
from faltui.core.text import one_line
from faltui.services import Services

#: Field kinds worth offering in the hint line (what a sweep usually varies).
_OFFERED = ("integer", "number", "enum", "boolean", "text", "string", "image_size")


@dataclass(frozen=True)
class SweepRequest:
    """What the dialog hands back: the planned sweep and the cap on jobs in flight."""

    plan: SweepPlan
    max_in_flight: int | None
    spec: str


@dataclass(frozen=True)
class _Outcome:
    plan: SweepPlan | None = None
    estimate: SweepEstimate | None = None
    check: BudgetCheck | None = None
    cap: int | None = None
    problems: tuple[str, ...] = ()


def field_hint(schema: EndpointSchema | None) -> str:
    """``seed (integer), guidance_scale (number 1–20), output_format (jpeg|png) …``."""
    if schema is None or schema.open_input:
        return "This model publishes no fields: values are read as JSON or text."
    parts: list[str] = []
    for field in schema.input:
        if field.kind not in _OFFERED:
            continue
        parts.append(f"{field.name} ({_kind_text(field)})")
    return one_line("Fields: " + ", ".join(parts))


def _kind_text(field: Field) -> str:
    if field.enum:
        values = "|".join(str(v) for v in field.enum[:4])
        return values + ("|…" if len(field.enum) > 4 else "")
    if field.minimum is not None and field.maximum is not None:
        return f"{field.kind} {field.minimum:g}–{field.maximum:g}"
    return "a line per value" if is_text_field(field) else field.kind


def default_spec(schema: EndpointSchema | None) -> str:
    """A first sweep to edit: four seeds when the model has a seed."""
    if schema is not None and schema.input_field("seed") is not None:
        return "seed=1..4"
    return ""


class SweepScreen(ModalScreen[SweepRequest | None]):
    """Plan a sweep of the form's input; dismisses with a ``SweepRequest`` or ``None``."""

    DEFAULT_CSS = """
    SweepScreen { align: center middle; }
    SweepScreen > Vertical { width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; }
    SweepScreen .sweep-label { color: $text-muted; height: auto; margin-top: 1; }
    SweepScreen #sweep-spec { height: 6; }
    SweepScreen #sweep-fields { color: $text-muted; height: auto; max-height: 3; }
    SweepScreen #sweep-summary-box { height: auto; max-height: 12; }
    SweepScreen #sweep-summary { height: auto; }
    SweepScreen #sweep-problems { color: $error; height: auto; }
    SweepScreen #sweep-keys { color: $text-muted; height: 1; margin-top: 1; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="sweep.cancel"),
        Binding("ctrl+s", "send", "Send the sweep", id="sweep.send", priority=True),
    ]

    def __init__(
        self,
        services: Services,
        endpoint_id: str,
        schema: EndpointSchema | None,
        base: Mapping[str, Any],
        *,
        spec: str | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.endpoint_id = endpoint_id
        self.schema = schema
        self.base = dict(base)
        self.spec = default_spec(schema) if spec is None else spec
        self._schemas: dict[str, EndpointSchema | None] = {endpoint_id: schema}
        self.outcome = _Outcome()
        self._outcome_for: tuple[str, str, str] | None = None
        self._confirming = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Sweep {one_line(self.endpoint_id)}", style="bold"))
            yield Static(
                "One field per line: seed=1..8 · guidance_scale=2,4,6 · "
                "num_inference_steps=10..50 step 10 · output_format=* (every value) · "
                "prompt=… (a line per prompt)",
                classes="sweep-label",
                markup=False,
            )
            yield TextArea(self.spec, id="sweep-spec", soft_wrap=False)
            yield Static(Text(field_hint(self.schema)), id="sweep-fields", markup=False)
            yield Static(
                "Models — the form's first; add others, comma-separated:",
                classes="sweep-label",
                markup=False,
            )
            yield Input(self.endpoint_id, id="sweep-models")
            yield Static(
                "At most this many jobs in flight (empty: no cap):",
                classes="sweep-label",
                markup=False,
            )
            yield Input("", id="sweep-cap", placeholder="no cap")
            with VerticalScroll(id="sweep-summary-box"):
                yield Static("", id="sweep-summary", markup=False)
                yield Static("", id="sweep-problems", markup=False)
            yield Static(
                "ctrl+s send (priority low) · tab next field · escape cancel",
                id="sweep-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        spec = self.query_one("#sweep-spec", TextArea)
        spec.focus()
        spec.move_cursor(spec.document.end)
        self.replan()

    # -- planning --------------------------------------------------------------------

    def _inputs(self) -> tuple[str, str, str]:
        return (
            self.query_one("#sweep-spec", TextArea).text,
            self.query_one("#sweep-models", Input).value,
            self.query_one("#sweep-cap", Input).value,
        )

    @on(TextArea.Changed, "#sweep-spec")
    @on(Input.Changed)
    def _changed(self, event: TextArea.Changed | Input.Changed) -> None:
        event.stop()
        self._confirming = False
        self.replan()

    @work(group="sweep-plan", exclusive=True, exit_on_error=False)
    async def replan(self) -> None:
        """Plan the sweep as typed and show the outcome."""
        inputs = self._inputs()
        outcome = await self.plan(*inputs)
        if inputs != self._inputs():
            return  # typed on meanwhile: the next plan shows
        self.outcome, self._outcome_for = outcome, inputs
        self._show(outcome)

    async def plan(self, spec: str, models_text: str, cap_text: str) -> _Outcome:
        """The sweep these texts describe, its estimate and budget check, or its problems."""
        problems: list[str] = []
        models: list[str] = []
        for part in models_text.split(","):
            if not part.strip():
                continue
            try:
                models.append(EndpointId.parse(part).full)
            except EndpointIdError as exc:
                problems.append(f"model {part.strip()!r}: {exc}")
        if not models:
            problems.append("model: give at least one model")
        cap: int | None = None
        if cap_text.strip():
            try:
                cap = int(cap_text.strip())
                if cap < 1:
                    raise ValueError
            except ValueError:
                problems.append(f"jobs in flight: a whole number of 1 or more, got {cap_text!r}")
        if problems:
            return _Outcome(problems=tuple(problems))
        models = list(dict.fromkeys(models))
        for model in models:
            if model not in self._schemas:
                self._schemas[model] = await self._load_schema(model, problems)
        if problems:
            return _Outcome(problems=tuple(problems))
        lines = [line for line in spec.splitlines() if line.strip()]
        try:
            axes = axes_from_items(lines, self._field_of(models))
            plan = plan_sweep(self.base, axes, models, self._schemas, source=self.endpoint_id)
        except SweepInvalid as exc:
            return _Outcome(problems=tuple(p.text() for p in exc.problems))
        prices = self.services.prices
        await prices.fetch(set(models) | self.services.spend.endpoint_ids)
        estimate = estimate_sweep(plan, self.services.spend, self._schemas)
        check = self.services.spend.budget_check(estimate.total)
        return _Outcome(plan, estimate, check, cap)

    def _field_of(self, models: list[str]) -> Callable[[str], Field | None]:
        def field_of(name: str) -> Field | None:
            for model in models:
                schema = self._schemas.get(model)
                found = schema.input_field(name) if schema is not None else None
                if found is not None:
                    return found
            return None

        return field_of

    async def _load_schema(self, model: str, problems: list[str]) -> EndpointSchema | None:
        try:
            return await self.services.catalog.get_schema(model)
        except NotFoundError:
            return None  # no published schema: its input goes unchecked, like faltui run
        except FaltuiError as exc:
            problems.append(f"model {model}: its parameters could not be loaded ({exc})")
            return None

    def _show(self, outcome: _Outcome) -> None:
        summary = self.query_one("#sweep-summary", Static)
        problems = self.query_one("#sweep-problems", Static)
        problems.update(Text("\n".join(f"✗ {one_line(p, 300)}" for p in outcome.problems)))
        if outcome.plan is None:
            summary.update(Text(""))
            return
        text = Text()
        text.append(outcome.plan.describe(), style="bold")
        if outcome.estimate is not None:
            text.append(f"\nestimate: {one_line(outcome.estimate.text())}")
        if outcome.check is not None:
            for share in outcome.check.shares:
                text.append(f"\nbudget {share.text()}")
            if not outcome.check.ok:
                text.append(f"\n⚠ {outcome.check.reason}", style="bold")
                if self._confirming:
                    text.append(" — ctrl+s again sends it anyway", style="bold")
        if outcome.plan.shared_seed is not None:
            text.append(f"\nseed: {outcome.plan.shared_seed} for every job (not swept)")
        for report in outcome.plan.reports:
            for line in report.lines():
                text.append(f"\n{one_line(report.endpoint_id)}: {one_line(line, 200)}")
        summary.update(text)

    # -- sending ---------------------------------------------------------------------

    async def action_send(self) -> None:
        """Send the sweep as planned (planned again first if the texts changed)."""
        inputs = self._inputs()
        if self._outcome_for != inputs:
            self.outcome, self._outcome_for = await self.plan(*inputs), inputs
            self._show(self.outcome)
        outcome = self.outcome
        if outcome.plan is None:
            self.notify(
                "The sweep cannot be sent: see the problems in the dialog.",
                severity="error",
                markup=False,
            )
            return
        if outcome.check is not None and not outcome.check.ok and not self._confirming:
            self._confirming = True
            self._show(outcome)
            return
        self.dismiss(SweepRequest(outcome.plan, outcome.cap, inputs[0]))

    def action_cancel(self) -> None:
        self.dismiss(None)
