"""Comparing jobs: what differs in their inputs, how long each took, what each cost, what
each made.

``compare_jobs(jobs, prices)`` takes two or more jobs and gives a ``Comparison``:

* ``inputs`` — the union of the jobs' input fields, in the order they first appear, each
  with every job's value rendered by ``value_text`` (one rendering, so the same value reads
  the same in every column) and whether they differ. A field one job sets and another leaves
  out differs (fal then uses the model's default for the one that left it out: not the same
  request). Numbers compare by value (``3`` and ``3.0`` are equal), ``true`` never equals
  ``1``.
* per job (``JobColumn``): ``timings`` (queue wait, run, total, as measured here), ``cost``
  (``faltui.core.spend.job_cost``: the estimate, and the billed cost = billable units × unit
  price, or why there is no figure) and ``outputs`` (its files and texts).

Nothing here touches the network, the disk or a terminal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from faltui.core.budget import money
from faltui.core.job import Job
from faltui.core.outputs import OutputFile, TextOutput, find_outputs, find_text_outputs
from faltui.core.pricing import PRICE_VARIES, Price
from faltui.core.spend import CostKind, JobCost, SpendTotal, job_cost
from faltui.core.text import safe_json, safe_text

#: Fewest jobs a comparison takes.
MIN_JOBS = 2
#: How a field a job's input leaves out is shown (fal uses the model's default).
NOT_SET = "(not set)"


class NotEnoughJobs(ValueError):
    """Fewer than ``MIN_JOBS`` jobs were given to compare."""


# -- input values ------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """One input value as text, the same way everywhere: a string as it is (made safe:
    controls and bidi characters visible), anything else as compact JSON (``3.5``, ``true``,
    ``{"width": 1024, "height": 768}``)."""
    if isinstance(value, str):
        return safe_text(value)
    try:
        return safe_json(value, indent=None, separators=(", ", ": "), default=str)
    except (TypeError, ValueError):
        return safe_text(repr(value))


def same_value(a: Any, b: Any) -> bool:
    """Whether two input values are the same request: numbers by value (``3 == 3.0``), but a
    boolean only equals a boolean; dicts and lists element by element."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


@dataclass(frozen=True)
class FieldDiff:
    """One input field across the compared jobs."""

    name: str
    #: Each job's value as ``value_text`` renders it (``NOT_SET`` where the job has none).
    values: tuple[str, ...]
    #: Whether each job's input sets the field.
    present: tuple[bool, ...]
    differs: bool

    @property
    def common(self) -> str:
        """The value every job shares (meaningful when the field does not differ)."""
        return self.values[0]


@dataclass(frozen=True)
class InputDiff:
    """Every input field of the compared jobs, differing or equal."""

    fields: tuple[FieldDiff, ...]

    @property
    def differing(self) -> list[FieldDiff]:
        """The fields whose values are not the same in every job, in input order."""
        return [f for f in self.fields if f.differs]

    @property
    def equal(self) -> list[FieldDiff]:
        """The fields every job sets to the same value, in input order."""
        return [f for f in self.fields if not f.differs]


def diff_inputs(inputs: Sequence[Mapping[str, Any]]) -> InputDiff:
    """The union of the inputs' fields (first appearance order), each marked differing or
    equal."""
    names: dict[str, None] = {}
    for payload in inputs:
        names.update(dict.fromkeys(str(key) for key in payload))
    fields: list[FieldDiff] = []
    for name in names:
        present = tuple(name in payload for payload in inputs)
        values = tuple(
            value_text(payload[name]) if name in payload else NOT_SET for payload in inputs
        )
        if all(present):
            first = inputs[0][name]
            differs = not all(same_value(first, payload[name]) for payload in inputs[1:])
        else:
            differs = True  # set in one, left to the model's default in another
        fields.append(FieldDiff(name, values, present, differs))
    return InputDiff(tuple(fields))


# -- timings -----------------------------------------------------------------------------


def _span(end: float | None, start: float | None) -> float | None:
    if end is None or start is None or not end or not start:
        return None
    return max(0.0, end - start)


@dataclass(frozen=True)
class JobTimings:
    """How long a job took, measured here (None: not known, e.g. not finished or imported)."""

    #: From fal accepting the request to it starting to run.
    queue: float | None
    #: From starting to run to finishing.
    run: float | None
    #: From fal accepting the request (else its creation here) to finishing.
    total: float | None
    #: fal's own ``inference_time`` metric, when the queue status gave one.
    inference: float | None = None

    @classmethod
    def of(cls, job: Job) -> JobTimings:
        """The timings of ``job``."""
        accepted = job.submitted_at if job.submitted_at is not None else job.created_at
        metric = job.metrics.get("inference_time") if isinstance(job.metrics, dict) else None
        inference = (
            float(metric)
            if isinstance(metric, int | float) and not isinstance(metric, bool) and metric >= 0
            else None
        )
        return cls(
            queue=_span(job.started_at, job.submitted_at),
            run=_span(job.finished_at, job.started_at),
            total=_span(job.finished_at, accepted),
            inference=inference,
        )


# -- cost --------------------------------------------------------------------------------


def estimate_text(cost: JobCost) -> str:
    """The estimate of a job's cost in words: ``≈0.025 USD``, ``price varies``, or why none."""
    if cost.kind is CostKind.price_varies:
        return PRICE_VARIES
    if cost.estimate is not None:
        return f"≈{money(cost.estimate, cost.currency)}"
    if cost.price is None:
        return "no price known"
    return "cannot be estimated"


def billed_text(cost: JobCost) -> str:
    """What fal billed for a job: ``0.025 USD``, or ``price varies``, ``not billed yet``…"""
    units = "" if cost.units is None else f" ({cost.units:g} units)"
    if cost.kind is CostKind.billed and cost.billed is not None:
        return money(cost.billed, cost.currency)
    return {
        CostKind.price_varies: f"{PRICE_VARIES}{units}",
        CostKind.pending: "not billed yet",
        CostKind.unknown: "unknown (fal sent no units)",
        CostKind.no_price: f"{cost.units:g} units (no price)" if cost.units is not None else "",
        CostKind.not_sent: "not sent (nothing spent)",
        CostKind.not_billed: "not billed",
    }.get(cost.kind, "unknown")


# -- outputs -----------------------------------------------------------------------------

_PLURALS = {"mesh": "meshes", "audio": "audio files"}


@dataclass(frozen=True)
class OutputsSummary:
    """The files and texts a job's result holds."""

    files: tuple[OutputFile, ...]
    texts: tuple[TextOutput, ...]

    @classmethod
    def of(cls, job: Job) -> OutputsSummary:
        """What ``job``'s result holds (nothing while it has no result)."""
        result = job.result
        if not isinstance(result, dict):
            return cls((), ())
        prefix = job.request_id or job.id
        return cls(tuple(find_outputs(result)), tuple(find_text_outputs(result, prefix)))

    @property
    def images(self) -> list[OutputFile]:
        """The image files."""
        return [f for f in self.files if f.kind == "image"]

    def text(self) -> str:
        """``2 images (1024×768) · 1 text``, or ``no outputs``."""
        counts: dict[str, int] = {}
        for output in self.files:
            counts[output.kind] = counts.get(output.kind, 0) + 1
        if self.texts:
            counts["text"] = counts.get("text", 0) + len(self.texts)
        if not counts:
            return "no outputs"
        parts = []
        for kind, count in counts.items():
            part = f"{count} {kind if count == 1 else _PLURALS.get(kind, kind + 's')}"
            sizes = {
                f"{f.width}×{f.height}"
                for f in self.files
                if f.kind == kind and f.width and f.height
            }
            if len(sizes) == 1:
                part += f" ({sizes.pop()})"
            parts.append(part)
        return " · ".join(parts)


# -- the comparison ----------------------------------------------------------------------


@dataclass(frozen=True)
class JobColumn:
    """One compared job and what is known about it."""

    job: Job
    timings: JobTimings
    cost: JobCost
    outputs: OutputsSummary

    @property
    def estimate(self) -> str:
        """The estimated cost in words (``estimate_text``)."""
        return estimate_text(self.cost)

    @property
    def billed(self) -> str:
        """The billed cost in words (``billed_text``)."""
        return billed_text(self.cost)


@dataclass(frozen=True)
class Comparison:
    """Two or more jobs side by side."""

    columns: tuple[JobColumn, ...]
    inputs: InputDiff

    @property
    def jobs(self) -> list[Job]:
        """The compared jobs, in column order."""
        return [column.job for column in self.columns]

    @property
    def models_differ(self) -> bool:
        """Whether the jobs ran on more than one endpoint."""
        return len({column.job.endpoint_id for column in self.columns}) > 1

    def spend(self) -> SpendTotal:
        """The compared jobs' costs added up."""
        out = SpendTotal()
        for column in self.columns:
            out = out.plus(column.cost)
        return out


def compare_jobs(jobs: Sequence[Job], prices: Mapping[str, Price]) -> Comparison:
    """Compare ``jobs`` (at least ``MIN_JOBS``; ``prices`` by endpoint id, may be partial).

    Raises ``NotEnoughJobs`` for fewer than two jobs.
    """
    if len(jobs) < MIN_JOBS:
        raise NotEnoughJobs(
            f"comparing needs at least {MIN_JOBS} jobs; {len(jobs)} given "
            "(mark jobs with space in the jobs list)"
        )
    columns = tuple(
        JobColumn(
            job,
            JobTimings.of(job),
            job_cost(job, prices.get(job.endpoint_id)),
            OutputsSummary.of(job),
        )
        for job in jobs
    )
    return Comparison(columns, diff_inputs([job.input for job in jobs]))


__all__ = [
    "MIN_JOBS",
    "NOT_SET",
    "Comparison",
    "FieldDiff",
    "InputDiff",
    "JobColumn",
    "JobTimings",
    "NotEnoughJobs",
    "OutputsSummary",
    "billed_text",
    "compare_jobs",
    "diff_inputs",
    "estimate_text",
    "same_value",
    "value_text",
]
