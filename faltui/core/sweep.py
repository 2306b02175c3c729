"""Sweeps: one input run over every combination of some fields' values, on one or more models.

A sweep is a canonical input (the form, or ``faltui run``'s flags, for the first model), the
swept fields with their value texts (``seed=1..8``, ``guidance_scale=2,4,6`` — see
:mod:`faltui.core.sweep_values`) and the models. :func:`plan_sweep` expands it into one
prepared input per job, every one through the one gate:

1. the canonical input is mapped onto each model's schema by field name and type
   (:mod:`faltui.core.input_map`); what does not carry over is reported per model;
2. each swept value's text is read by that model's field (``coerce``, the form's rules), then
   the whole input passes ``prepare`` — an invalid value is an error naming its field and its
   model, and nothing is sent;
3. a field a model does not have is not swept on that model (reported: its jobs do not vary
   it); a field no model has is an error.

When the seed is neither given nor swept, one random seed is chosen for the whole sweep, so
that the jobs differ only in what was swept. Jobs are ordered model by model, the first field
outermost; the grid (``SweepPlan.key``) keys each job by its values' texts.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, Any

from faltui.core.budget import money
from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.input_map import Defaulted, MappedInput, Unmapped, map_input
from faltui.core.schema.input import EMPTY, coerce, value_text
from faltui.core.schema.model import EndpointSchema, Field
from faltui.core.schema.prepare import PreparedInput, prepare
from faltui.core.schema.wording import close_matches
from faltui.core.seeds import RANDOM, SeedRule, seed_field, seed_rule, seeds_for
from faltui.core.spend import CostEstimate
from faltui.core.sweep_values import MAX_SWEEP_JOBS, SweepValueError, value_texts

if TYPE_CHECKING:
    from faltui.core.spend import SpendTracker

#: How a value text is read when the model publishes no schema: JSON when it parses, else text.
_FREE_FORM = Field("value", ("value",), kind="json")


@dataclass(frozen=True)
class SweepAxis:
    """One swept field and the texts of its values (read per model by the field's rules)."""

    name: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class SweepProblem:
    """Why a sweep cannot be sent: a field (and the model it is about, if one)."""

    field: str
    message: str
    endpoint_id: str | None = None

    def text(self) -> str:
        """``guidance_scale (fal-ai/flux/schnell): must be ≤ 20, got 25``."""
        where = f"{self.field} ({self.endpoint_id})" if self.endpoint_id else self.field
        return f"{where}: {self.message}"


class SweepInvalid(ValidationFailed):
    """A sweep that cannot be sent; ``problems`` names each field and model (nothing was sent)."""

    def __init__(self, problems: Sequence[SweepProblem]) -> None:
        self.problems = list(problems)
        errors = [
            FieldError(
                (p.field,) if p.field else (),
                f"{p.message} ({p.endpoint_id})" if p.endpoint_id else p.message,
                "sweep",
            )
            for p in self.problems
        ]
        super().__init__(errors)


@dataclass(frozen=True)
class SweepCell:
    """One job of a sweep: its model, its place in the grid and its prepared input."""

    endpoint_id: str
    #: The text of each axis's value (None: the model has no such field, the axis skips it).
    key: tuple[str | None, ...]
    #: Each swept field's value as sent (the chosen seed for ``seed=random``).
    values: dict[str, Any]
    prepared: PreparedInput

    def label(self, axes: Sequence[SweepAxis]) -> str:
        """``sweep · seed 1 · guidance_scale 2`` (the job's label)."""
        parts = [
            f"{axis.name} {value_text(self.values[axis.name])}"
            for axis in axes
            if axis.name in self.values
        ]
        return " · ".join(["sweep", *parts])


@dataclass(frozen=True)
class ModelReport:
    """What one model of a sweep runs, and what of the canonical input it does not take."""

    endpoint_id: str
    jobs: int
    unmapped: tuple[Unmapped, ...] = ()
    defaulted: tuple[Defaulted, ...] = ()
    #: Swept fields this model does not have: its jobs do not vary them.
    skipped_axes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """One line per thing worth telling the user before sending."""
        out = [f"not sent: {item.text()}" for item in self.unmapped]
        out += [
            f"not swept: {name} (no such field; its jobs do not vary it)"
            for name in self.skipped_axes
        ]
        out += [f"default: {item.text()}" for item in self.defaulted]
        return out


@dataclass(frozen=True)
class SweepPlan:
    """Every job of a sweep, ready to submit (see :func:`plan_sweep`)."""

    axes: tuple[SweepAxis, ...]
    models: tuple[str, ...]
    cells: tuple[SweepCell, ...]
    reports: tuple[ModelReport, ...]
    #: The one random seed every job got (None: the seed was given or swept).
    shared_seed: int | None = None

    @property
    def count(self) -> int:
        """How many jobs the sweep submits."""
        return len(self.cells)

    def cells_of(self, endpoint_id: str) -> list[SweepCell]:
        """The jobs of one model, in order."""
        return [cell for cell in self.cells if cell.endpoint_id == endpoint_id]

    def report_of(self, endpoint_id: str) -> ModelReport | None:
        """What one model does not take."""
        return next((r for r in self.reports if r.endpoint_id == endpoint_id), None)

    def describe(self) -> str:
        """``seed 3 values × guidance_scale 2 values × 2 models = 12 jobs``."""
        parts = [f"{axis.name} {_count(len(axis.texts), 'value')}" for axis in self.axes]
        if len(self.models) > 1:
            parts.append(_count(len(self.models), "model"))
        return f"{' × '.join(parts)} = {_count(self.count, 'job')}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- building the axes ---------------------------------------------------------------------


def parse_sweep_item(item: str) -> tuple[str, str, bool]:
    """``seed=1..8`` → ``("seed", "1..8", False)``; ``prompt:=["a","b"]`` → JSON (True)."""
    eq = item.find("=")
    if eq <= 0:
        raise SweepInvalid([SweepProblem(item, "expected FIELD=VALUES, e.g. seed=1..8")])
    raw_json = item[eq - 1] == ":"
    name = (item[: eq - 1] if raw_json else item[:eq]).strip()
    if not name:
        raise SweepInvalid([SweepProblem(item, "expected FIELD=VALUES, e.g. seed=1..8")])
    return name, item[eq + 1 :], raw_json


def axes_from_items(
    items: Iterable[str], field_of: Callable[[str], Field | None]
) -> list[SweepAxis]:
    """The axes of ``--sweep`` items, in the order first named; a field named again adds
    values (``--sweep prompt=a --sweep prompt=b``). ``field_of`` gives the field a name stands
    for (it decides how the text splits: a prompt is never split at commas)."""
    texts: dict[str, list[str]] = {}
    problems: list[SweepProblem] = []
    for item in items:
        try:
            name, spec, raw_json = parse_sweep_item(item)
        except SweepInvalid as exc:
            problems += exc.problems
            continue
        try:
            found = value_texts(spec, field_of(name), as_json=raw_json)
        except SweepValueError as exc:
            problems.append(SweepProblem(name, str(exc)))
            continue
        texts.setdefault(name, []).extend(found)
    for name, values in texts.items():
        seen: set[str] = set()
        for text in values:
            if text.strip() in seen:
                problems.append(
                    SweepProblem(name, f"{text.strip()!r} is listed twice (it would run twice)")
                )
            seen.add(text.strip())
    if problems:
        raise SweepInvalid(problems)
    return [SweepAxis(name, tuple(values)) for name, values in texts.items()]


# -- planning ------------------------------------------------------------------------------


@dataclass
class _Planner:
    base: dict[str, Any]
    axes: tuple[SweepAxis, ...]
    models: tuple[str, ...]
    schemas: Mapping[str, EndpointSchema | None]
    rng: random.Random | None
    #: The model ``base`` is an input of (the form's model; default: the first model).
    source: str | None = None
    problems: list[SweepProblem] = field(default_factory=list)

    def schema(self, endpoint_id: str) -> EndpointSchema | None:
        schema = self.schemas.get(endpoint_id)
        return None if schema is None or schema.open_input else schema

    def applies(self, axis: SweepAxis, endpoint_id: str) -> bool:
        schema = self.schema(endpoint_id)
        return schema is None or schema.input_field(axis.name) is not None

    def check_axes(self) -> None:
        names = sorted(
            {f.name for m in self.models if (s := self.schema(m)) is not None for f in s.input}
        )
        for axis in self.axes:
            if not any(self.applies(axis, m) for m in self.models):
                near = close_matches(axis.name, names)
                hint = f" (did you mean {' or '.join(near)}?)" if near else ""
                models = " or ".join(self.models)
                self.problems.append(SweepProblem(axis.name, f"{models} has no such field{hint}"))

    def job_count(self) -> int:
        return sum(prod(len(a.texts) for a in self.axes if self.applies(a, m)) for m in self.models)

    def shared_seed(self) -> int | None:
        """One random seed for every job when the seed is neither given nor swept."""
        if any(axis.name == "seed" for axis in self.axes):
            return None
        given = self.base.get("seed")
        if isinstance(given, int) and not isinstance(given, bool):
            return None
        seeded = [s for m in self.models if (s := self.schema(m)) and seed_field(s)]
        if not seeded:
            return None
        rule = seed_rule(seeded[0], {}) or SeedRule()
        for schema in seeded[1:]:  # a seed every model takes
            other = seed_rule(schema, {}) or SeedRule()
            rule = SeedRule(
                None, max(rule.low, other.low), max(rule.low, min(rule.high, other.high))
            )
        return seeds_for(rule, 1, self.rng)[0]

    def mapped(self, endpoint_id: str) -> MappedInput:
        base = {k: v for k, v in self.base.items() if not (k == "seed" and v == RANDOM)}
        source_id = self.source or self.models[0]
        source = self.schema(source_id)
        if endpoint_id == source_id:
            return MappedInput(endpoint_id, copy.deepcopy(base))
        return map_input(base, source, self.schema(endpoint_id), endpoint_id)

    def read(self, endpoint_id: str, axis: SweepAxis, text: str) -> Any:
        schema = self.schema(endpoint_id)
        target = schema.input_field(axis.name) if schema is not None else None
        try:
            return coerce(target or _FREE_FORM, text)
        except ValueError as exc:
            self.problems.append(SweepProblem(axis.name, f"{text.strip()!r}: {exc}", endpoint_id))
            return None

    def cells(self, endpoint_id: str, payload: dict[str, Any]) -> list[SweepCell]:
        swept = [(i, a) for i, a in enumerate(self.axes) if self.applies(a, endpoint_id)]
        values: dict[tuple[int, str], Any] = {}
        before = len(self.problems)
        for i, axis in swept:
            for text in axis.texts:
                values[(i, text)] = self.read(endpoint_id, axis, text)
        if len(self.problems) > before:
            return []
        out: list[SweepCell] = []
        seen: set[str] = set()
        for combo in itertools.product(*(axis.texts for _, axis in swept)):
            job = copy.deepcopy(payload)
            key: list[str | None] = [None] * len(self.axes)
            for (i, axis), text in zip(swept, combo, strict=True):
                key[i] = text.strip()
                value = values[(i, text)]
                if value is EMPTY:
                    job.pop(axis.name, None)
                else:
                    job[axis.name] = copy.deepcopy(value)
            try:
                prepared = prepare(self.schemas.get(endpoint_id), job)
            except ValidationFailed as exc:
                for error in exc.errors:
                    problem = SweepProblem(error.dotted, error.message, endpoint_id)
                    if problem.text() not in seen:
                        seen.add(problem.text())
                        self.problems.append(problem)
                continue
            (one,) = prepared.copies(1, self.rng)  # a "random" seed gets its own seed here
            sent = {axis.name: one.payload.get(axis.name) for _, axis in swept}
            out.append(SweepCell(endpoint_id, tuple(key), sent, one))
        return out


def plan_sweep(
    base: Mapping[str, Any],
    axes: Sequence[SweepAxis],
    models: Sequence[str],
    schemas: Mapping[str, EndpointSchema | None],
    *,
    rng: random.Random | None = None,
    source: str | None = None,
) -> SweepPlan:
    """Every job of a sweep, each input through the gate (see the module docstring).

    ``base`` is the canonical input of ``source`` (default ``models[0]``; it need not be
    swept itself); ``schemas`` holds each model's schema
    (None: the model publishes none — its input goes unchecked, as ``faltui run`` does).
    Raises ``SweepInvalid`` naming every problem (field and model); nothing is sent then.
    """
    models = tuple(dict.fromkeys(models))
    planner = _Planner(dict(base), tuple(axes), models, schemas, rng, source)
    if not models:
        raise SweepInvalid([SweepProblem("model", "no model to run")])
    if not axes and len(models) < 2:
        raise SweepInvalid(
            [SweepProblem("sweep", "nothing to sweep: give a field's values or several models")]
        )
    for axis in axes:
        if not axis.texts:
            planner.problems.append(SweepProblem(axis.name, "no values given"))
    planner.check_axes()
    if planner.problems:
        raise SweepInvalid(planner.problems)
    count = planner.job_count()
    if count > MAX_SWEEP_JOBS:
        raise SweepInvalid(
            [SweepProblem("sweep", f"{count} jobs; a sweep runs at most {MAX_SWEEP_JOBS}")]
        )
    seed = planner.shared_seed()
    cells: list[SweepCell] = []
    reports: list[ModelReport] = []
    for endpoint_id in models:
        mapped = planner.mapped(endpoint_id)
        payload = mapped.payload
        schema = planner.schema(endpoint_id)
        if seed is not None and schema is not None and seed_field(schema) is not None:
            payload["seed"] = seed
        found = planner.cells(endpoint_id, payload)
        cells += found
        skipped = tuple(a.name for a in planner.axes if not planner.applies(a, endpoint_id))
        reports.append(
            ModelReport(endpoint_id, len(found), mapped.unmapped, mapped.defaulted, skipped)
        )
    if planner.problems:
        raise SweepInvalid(planner.problems)
    return SweepPlan(tuple(axes), models, tuple(cells), tuple(reports), seed)


# -- cost ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepEstimate:
    """A sweep's estimate per model, and for the whole sweep (what the budget checks)."""

    per_model: tuple[CostEstimate, ...]
    total: CostEstimate

    def text(self) -> str:
        """``≈0.15 USD for 6 jobs`` (with each model's part when there are several)."""
        if len(self.per_model) < 2:
            return self.per_model[0].text() if self.per_model else self.total.text()
        parts = "; ".join(f"{e.endpoint_id}: {e.text()}" for e in self.per_model)
        return f"{_total_text(self.total)} — {parts}"


def _total_text(estimate: CostEstimate) -> str:
    jobs = _count(estimate.count, "job")
    if estimate.total is None:
        return f"{estimate.reason} ({jobs})"
    return f"≈{money(estimate.total, estimate.currency)} for {jobs}"


def estimate_sweep(
    plan: SweepPlan,
    spend: SpendTracker,
    schemas: Mapping[str, EndpointSchema | None],
) -> SweepEstimate:
    """What the sweep would cost at the prices known now (``prices.fetch`` them first): each
    job's own input estimated (a swept ``num_images`` counts)."""
    per_model: list[CostEstimate] = []
    for endpoint_id in plan.models:
        cells = plan.cells_of(endpoint_id)
        if not cells:
            continue
        schema = schemas.get(endpoint_id)
        one = [spend.estimate(endpoint_id, c.prepared.payload, 1, schema) for c in cells]
        unknown = next((e for e in one if e.per_job is None), None)
        price = one[0].price
        if unknown is not None:
            per_model.append(CostEstimate(endpoint_id, len(cells), None, price, unknown.reason))
        else:
            mean = sum(e.per_job or 0.0 for e in one) / len(cells)
            per_model.append(CostEstimate(endpoint_id, len(cells), mean, price))
    return SweepEstimate(tuple(per_model), _combined(per_model, plan.count))


def _combined(per_model: list[CostEstimate], count: int) -> CostEstimate:
    label = per_model[0].endpoint_id if len(per_model) == 1 else _count(len(per_model), "model")
    unknown = next((e for e in per_model if e.total is None), None)
    if unknown is not None:
        reason = (
            unknown.reason if len(per_model) == 1 else f"{unknown.endpoint_id}: {unknown.reason}"
        )
        return CostEstimate(label, count, None, unknown.price, reason)
    currencies = {e.currency for e in per_model}
    if len(currencies) > 1:
        return CostEstimate(label, count, None, None, "the models are priced in several currencies")
    total = sum(e.total or 0.0 for e in per_model)
    price = per_model[0].price if per_model else None
    return CostEstimate(label, count, total / count if count else 0.0, price)
