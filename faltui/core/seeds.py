"""Seeds: "random" means a fresh seed per job, chosen here so every job shows the seed it used.

A model takes a seed when its input schema has a top-level integer ``seed`` field (or, without
a schema, when the input already holds an integer ``seed``). The rule for one submit of N jobs,
shared by the form (submit ×N) and ``faltui run --count N``:

- a seed the user gave (S): the jobs get S, S+1, … S+N-1 (wrapping inside the field's bounds),
  so the first job is exactly what was typed;
- no seed, an empty field or the word ``random``: each job gets its own fresh random seed,
  all distinct;
- a model without a seed: N identical copies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from faltui.core.schema.model import EndpointSchema, Field

#: The word that asks for a fresh seed (in the form's seed field and on the command line).
RANDOM = "random"
#: The largest seed drawn when the schema sets no maximum (fits every backend's int32).
SEED_CEILING = 2**31 - 1


@dataclass(frozen=True)
class SeedRule:
    """How the seed of each job is chosen: ``fixed`` (the user's seed) or fresh when None."""

    fixed: int | None = None
    low: int = 0
    high: int = SEED_CEILING

    @property
    def random(self) -> bool:
        """Whether each job gets a fresh seed."""
        return self.fixed is None


def is_seed_field(field: Field) -> bool:
    """A model's top-level integer ``seed`` input."""
    return field.path == ("seed",) and field.kind == "integer"


def seed_field(schema: EndpointSchema | None) -> Field | None:
    """The schema's seed field, if the model takes one."""
    if schema is None:
        return None
    return next((f for f in schema.input if is_seed_field(f)), None)


def _bounds(field: Field | None) -> tuple[int, int]:
    low, high = 0, SEED_CEILING
    if field is not None:
        if field.minimum is not None:
            low = int(field.minimum)
        if field.exclusive_minimum is not None:
            low = int(field.exclusive_minimum) + 1
        if field.maximum is not None:
            high = int(field.maximum)
        if field.exclusive_maximum is not None:
            high = int(field.exclusive_maximum) - 1
    return low, max(low, high)


def seed_rule(schema: EndpointSchema | None, payload: dict[str, Any]) -> SeedRule | None:
    """The seed rule of an input (its ``seed`` already typed), or None for a seedless model."""
    field = seed_field(schema)
    value = payload.get("seed")
    given = isinstance(value, int) and not isinstance(value, bool)
    if field is None and not given and value != RANDOM:
        return None
    low, high = _bounds(field)
    return SeedRule(fixed=value if given else None, low=low, high=high)


def seeds_for(rule: SeedRule, count: int, rng: random.Random | None = None) -> list[int]:
    """The seeds of ``count`` jobs under ``rule`` (see the module docstring)."""
    if count < 1:
        raise ValueError("the number of jobs must be at least 1")
    span = rule.high - rule.low + 1
    if rule.fixed is not None:
        start = rule.fixed - rule.low
        return [rule.low + (start + i) % span for i in range(count)]
    draw = rng or random.SystemRandom()
    if count <= span:
        return [rule.low + offset for offset in draw.sample(range(span), count)]
    return [draw.randint(rule.low, rule.high) for _ in range(count)]
