"""A sweep's jobs laid out as a grid keyed by the swept values, from the jobs alone.

Built only from what each job journals (``Job.sweep``: the sweep id, the job's index and its
values' texts) and its model, so the grid is the same live and after a restart. The
dimensions are the swept fields, plus the model when the sweep ran on several:

- one dimension: a list (one row per value);
- more: rows are the first swept field's values, columns every combination of the others
  (the model first), e.g. rows ``seed`` × columns ``flux/dev · 2``, ``flux/dev · 4``, ….

Values keep the order the sweep sent them in. A job whose model has no such field sits under
``—`` on that field.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from faltui.core.job import Job
from faltui.core.sweep_tag import SweepTag

#: The name of the model dimension, and the text of "this model has no such field".
MODEL_AXIS = "model"
NO_VALUE = "—"


@dataclass(frozen=True)
class GridDimension:
    """One dimension of the grid: a swept field (or the model) and its values in order."""

    name: str
    values: tuple[str, ...]


@dataclass
class SweepGrid:
    """The jobs of one sweep by row and column (see the module docstring)."""

    sweep_id: str
    rows: GridDimension
    #: The column dimensions (none for a list), combined in order.
    column_dims: tuple[GridDimension, ...]
    #: ``cells[(row value, column values)]`` — the job there, if one was sent.
    cells: dict[tuple[str, tuple[str, ...]], Job] = field(default_factory=dict)
    #: How many jobs the sweep has (some may not have been sent: stopped, or a cap).
    count: int = 0
    #: Every cell a job of the sweep belongs in (sent or not).
    slots: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)

    @property
    def columns(self) -> list[tuple[str, ...]]:
        """Every column, as the values of the column dimensions."""
        return list(itertools.product(*(d.values for d in self.column_dims)))

    def column_label(self, column: tuple[str, ...]) -> str:
        """``flux/dev · 4`` (``job`` for a list's one column)."""
        return " · ".join(column) if column else "job"

    def column_title(self) -> str:
        """``model · guidance_scale`` — what the columns are keyed by."""
        return " · ".join(d.name for d in self.column_dims)

    def job_at(self, row: str, column: tuple[str, ...]) -> Job | None:
        """The job of one cell, or None (not sent, or no such combination)."""
        return self.cells.get((row, column))

    def jobs(self) -> list[Job]:
        """Every job of the grid, in the sweep's order."""
        return sorted(self.cells.values(), key=lambda j: j.sweep.index if j.sweep else 0)

    @property
    def finished(self) -> int:
        """How many of its jobs are final."""
        return sum(1 for job in self.cells.values() if job.final)


def short_model(endpoint_id: str) -> str:
    """``flux/dev`` for ``fal-ai/flux/dev`` (the owner says little in a column title)."""
    owner, _, rest = endpoint_id.partition("/")
    return rest if owner == "fal-ai" and rest else endpoint_id


def sweep_jobs(jobs: Iterable[Job]) -> dict[str, list[Job]]:
    """The jobs of every sweep among ``jobs``, by sweep id, each list in the sweep's order."""
    found: dict[str, list[Job]] = {}
    for job in jobs:
        if job.sweep is not None:
            found.setdefault(job.sweep.id, []).append(job)
    for members in found.values():
        members.sort(key=lambda j: j.sweep.index if j.sweep else 0)
    return found


def build_grid(
    jobs: Iterable[Job], expected: Iterable[tuple[str, SweepTag]] = ()
) -> SweepGrid | None:
    """The grid of one sweep's jobs (the first sweep id found); None without a sweep job.

    ``expected`` — ``(model, tag)`` of every job the sweep will send — lays out cells not sent
    yet (held back by a cap) too, so a live grid keeps its shape while it fills.
    """
    members = [job for job in jobs if job.sweep is not None]
    slots = list(expected)
    first = members[0].sweep if members else (slots[0][1] if slots else None)
    if first is None:
        return None
    members = sorted(
        (j for j in members if j.sweep is not None and j.sweep.id == first.id),
        key=lambda j: j.sweep.index if j.sweep else 0,
    )
    entries: list[tuple[str, SweepTag]] = [(m, t) for m, t in slots if t.id == first.id]
    entries += [(j.endpoint_id, j.sweep) for j in members if j.sweep is not None]
    entries.sort(key=lambda entry: entry[1].index)
    models = list(dict.fromkeys(short_model(model) for model, _ in entries))
    names = list(first.axes)

    def key_of(endpoint_id: str, tag: SweepTag) -> dict[str, str]:
        values = {
            name: (text if text is not None else NO_VALUE)
            for name, text in zip(tag.axes, tag.key, strict=False)
        }
        values[MODEL_AXIS] = short_model(endpoint_id)
        return values

    order: list[str] = ([MODEL_AXIS] if len(models) > 1 else []) + names
    if not order:
        order = [MODEL_AXIS]
    values: dict[str, list[str]] = {name: [] for name in order}
    for model, tag in entries:
        key = key_of(model, tag)
        for name in order:
            if key.get(name, NO_VALUE) not in values[name]:
                values[name].append(key.get(name, NO_VALUE))
    dims = {name: GridDimension(name, tuple(values[name])) for name in order}
    row_name = names[0] if names else order[0]
    column_names = [name for name in order if name != row_name]
    grid = SweepGrid(
        first.id,
        dims[row_name],
        tuple(dims[name] for name in column_names),
        count=max([first.count, len(members), *(t.count for _, t in entries)]),
    )
    for model, tag in entries:
        key = key_of(model, tag)
        grid.slots.add(
            (key.get(row_name, NO_VALUE), tuple(key.get(n, NO_VALUE) for n in column_names))
        )
    for job in members:
        assert job.sweep is not None
        key = key_of(job.endpoint_id, job.sweep)
        row = key.get(row_name, NO_VALUE)
        column = tuple(key.get(name, NO_VALUE) for name in column_names)
        grid.cells[(row, column)] = job
    return grid
