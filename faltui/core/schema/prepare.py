"""The one input pipeline, part 2: the gate every submit passes — :func:`prepare`.

The TUI form, ``faltui run`` and ``JobManager.submit`` all call ``prepare(schema, payload)``
before anything is uploaded, journaled, sent or paid for. It either returns a
:class:`PreparedInput` or raises ``ValidationFailed`` listing every problem, each located by
a field path (``()``, shown as ``(input)``, only when the input is not a JSON object at all).

What it checks and does, in order:

1. The input is a JSON object of JSON values (no NaN, no infinity, string keys).
2. ``seed``: the word ``random`` (or, for a model with a seed field, no seed at all) means a
   fresh seed per job (:mod:`faltui.core.seeds`); the word is taken out of the input.
3. Every field against the schema (``validate.check_value``): required fields, types,
   enums, const, bounds, lengths, list sizes — at any depth. If the checker itself fails,
   the input is refused with a message at that field: an input that could not be checked is
   never sent.
4. Every file reference (fields of kind file/file_list, and ``*_url``/``*_urls`` keys the
   schema does not describe): unsupported URL schemes and missing local files are refused;
   local files (paths and ``file://`` URLs) become absolute paths, listed in
   ``PreparedInput.local_files`` for the upload.

Without a schema (a model that publishes none, ``--no-validate``) steps 1, 2 and 4 still run.
``prepare`` is idempotent: preparing a prepared payload gives the same payload.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema.files import (
    PathKey,
    file_problem,
    file_values_by_key,
    is_file_key,
    read_file_ref,
    sendable,
)
from faltui.core.schema.input import unchecked_message
from faltui.core.schema.model import EndpointSchema, Field, array_item, object_children
from faltui.core.schema.validate import check_value
from faltui.core.seeds import RANDOM, SeedRule, seed_rule, seeds_for

#: Deepest nesting of lists and objects an input may have (fal's inputs need a handful).
MAX_DEPTH = 100


@dataclass(frozen=True)
class PreparedInput:
    """An input that passed the gate: the payload to send and how to seed each job.

    ``payload`` is a private deep copy (treat it as read-only). ``seed`` is None for a model
    without a seed. ``local_files`` lists where the payload names local files (uploaded
    before the submit).
    """

    payload: dict[str, Any]
    seed: SeedRule | None = None
    local_files: tuple[tuple[PathKey, Path], ...] = ()

    def copies(self, count: int, rng: random.Random | None = None) -> list[PreparedInput]:
        """``count`` inputs for submit ×N, seeds chosen by :func:`faltui.core.seeds.seeds_for`.

        A model without a seed gets identical copies.
        """
        if self.seed is None:
            if count < 1:
                raise ValueError("the number of jobs must be at least 1")
            return [replace(self, payload=copy.deepcopy(self.payload)) for _ in range(count)]
        out: list[PreparedInput] = []
        for seed in seeds_for(self.seed, count, rng):
            payload = copy.deepcopy(self.payload)
            payload["seed"] = seed
            out.append(replace(self, payload=payload, seed=replace(self.seed, fixed=seed)))
        return out


def prepare(schema: EndpointSchema | None, payload: Any) -> PreparedInput:
    """Check and normalise an input (see the module docstring); raises ``ValidationFailed``."""
    if not isinstance(payload, dict):
        raise ValidationFailed([FieldError((), _not_an_object(payload), "type")])
    deep = [
        FieldError((str(key),), f"nested too deeply (more than {MAX_DEPTH} levels)", "type")
        for key, value in payload.items()
        if _depth(value) > MAX_DEPTH
    ]
    if deep:  # checked without recursion, so that every check below may recurse
        raise ValidationFailed(deep)
    errors = list(_json_problems(payload, ()))
    if errors:
        raise ValidationFailed(errors)
    out = copy.deepcopy(payload)
    rule = seed_rule(schema, out)
    if out.get("seed") == RANDOM:
        del out["seed"]
    if schema is not None:
        errors += _schema_problems(schema, out)
    local: list[tuple[PathKey, Path]] = []
    fields = schema.input if schema is not None else []
    for where, value in _file_slots(fields, out, ()):
        problem = file_problem(value)
        if problem:
            errors.append(FieldError(where, problem, "file"))
            continue
        ref = read_file_ref(value)
        _put(out, where, sendable(value))
        if ref.kind == "local" and ref.path is not None:
            local.append((where, ref.path.absolute()))
    if errors:
        raise ValidationFailed(_dedupe(errors))
    return PreparedInput(out, rule, tuple(local))


def problems(schema: EndpointSchema | None, payload: Any) -> list[FieldError]:
    """Every problem :func:`prepare` would refuse ``payload`` for (empty when it passes)."""
    try:
        prepare(schema, payload)
    except ValidationFailed as exc:
        return list(exc.errors)
    return []


# -- checks ------------------------------------------------------------------------------


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level) for child in children)
    return deepest


def _not_an_object(value: Any) -> str:
    kind = type(value).__name__ if value is not None else "null"
    return f"the input must be a JSON object {{…}}, not {kind}"


def _json_problems(value: Any, path: PathKey) -> Iterator[FieldError]:
    """Values that cannot travel as JSON (fal would never see what was meant)."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            yield FieldError(path, f"not a finite number ({value})", "type")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                yield FieldError((*path, str(key)), f"a key must be text, not {key!r}", "type")
                continue
            yield from _json_problems(item, (*path, key))
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_problems(item, (*path, i))
        return
    yield FieldError(path, f"not a JSON value ({type(value).__name__})", "type")


def _schema_problems(schema: EndpointSchema, payload: dict[str, Any]) -> list[FieldError]:
    """Required fields and every value against its field; a checker failure refuses."""
    errors: list[FieldError] = []
    for field in schema.input:
        where: PathKey = (field.name,)
        if field.name not in payload:
            if field.required:
                errors.append(FieldError(where, "required", "missing"))
            continue
        try:
            errors += check_value(field, payload[field.name], where)
        except Exception as exc:  # a checker bug must refuse the submit, never let it through
            errors.append(FieldError(where, unchecked_message(exc), "internal"))
    return errors


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[PathKey, str]] = set()
    out: list[FieldError] = []
    for error in errors:
        key = (tuple(error.path), error.message)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


# -- file references ---------------------------------------------------------------------------


def _file_slots(
    fields: list[Field], obj: dict[str, Any], path: PathKey
) -> Iterator[tuple[PathKey, str]]:
    """Every string in ``obj`` that names a file: by the schema, else by fal's key names."""
    for key, value in obj.items():
        here = (*path, key)
        field = next((f for f in fields if f.name == key), None)
        if field is not None:
            yield from _slot(field, value, here)
        else:  # not in the schema: by fal's key names
            yield from file_values_by_key({key: value}, path)


def _is_file(field: Field) -> bool:
    return field.kind == "file" or any(v.kind == "file" for v in field.variants)


def _slot(field: Field, value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if isinstance(value, str):
        if _is_file(field) or (field.kind == "json" and is_file_key(path[-1])):
            yield path, value
        return
    if isinstance(value, list):
        item = array_item(field)
        if field.kind == "file_list":
            for i, entry in enumerate(value):
                if isinstance(entry, str):
                    yield (*path, i), entry
        elif item is not None:
            for i, entry in enumerate(value):
                yield from _slot(item, entry, (*path, i))
        else:
            yield from file_values_by_key(value, path)
        return
    if isinstance(value, dict):
        children = object_children(field)
        if children:
            yield from _file_slots(children, value, path)
        elif field.kind != "image_size":
            yield from file_values_by_key(value, path)


def _put(payload: Any, where: PathKey, value: Any) -> None:
    target = payload
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
