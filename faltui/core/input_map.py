"""One model's input mapped onto another model's schema, by field name and type.

A sweep across models starts from one canonical input (the form of the first model, or the
flags of ``faltui run``). For each other model every field is carried over when that model has
a field of the same name that takes the value as it is — the value's text read by the target
field's own rules (:func:`faltui.core.schema.input.coerce`) gives the same value back. The rest
is reported, never silently dropped:

- **unmapped**: the target has no such field, or its field does not take the value (another
  type, a value outside its enum) — the field is left out of that model's input;
- **defaulted**: the value is just the source model's default (the form pre-fills defaults)
  and the target has a default of its own — the target's default applies (flux/dev's 28 steps
  would be out of range on flux/schnell, whose default is 4).

Values of the right type but out of the target's bounds are not mapped away: the gate refuses
them, naming the field and the model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from faltui.core.schema.input import EMPTY, coerce, value_text
from faltui.core.schema.model import EndpointSchema


@dataclass(frozen=True)
class Unmapped:
    """A field of the canonical input one model cannot take (left out of its input)."""

    field: str
    reason: str

    def text(self) -> str:
        """``guidance_scale: no such field``."""
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True)
class Defaulted:
    """A field left at the target model's default instead of the source model's."""

    field: str
    value: Any
    default: Any

    def text(self) -> str:
        """``num_inference_steps: its default 4 (not 28)``."""
        return (
            f"{self.field}: its default {value_text(self.default)} "
            f"(not {value_text(self.value)}, the other model's default)"
        )


@dataclass(frozen=True)
class MappedInput:
    """The canonical input as one model takes it, and what did not carry over."""

    endpoint_id: str
    payload: dict[str, Any]
    unmapped: tuple[Unmapped, ...] = ()
    defaulted: tuple[Defaulted, ...] = ()


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (``2 == 2.0``; ``True`` is not ``1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _is_default(schema: EndpointSchema | None, name: str, value: Any) -> bool:
    field = schema.input_field(name) if schema is not None else None
    return field is not None and field.has_default and _same(field.default, value)


def take_value(schema: EndpointSchema, name: str, value: Any) -> tuple[Any, str | None]:
    """``(value as the field takes it, None)``, or ``(None, why not)``."""
    field = schema.input_field(name)
    if field is None:
        return None, "no such field"
    if value is None:
        return (None, None) if field.nullable else (None, "does not take null")
    try:
        taken = coerce(field, value_text(value))
    except ValueError as exc:
        return None, f"does not take {value_text(value)!r} ({exc})"
    if taken is EMPTY or not _same(taken, value):
        return None, f"does not take {value_text(value)!r} as it is ({field.kind})"
    return taken, None


def map_input(
    payload: dict[str, Any],
    source: EndpointSchema | None,
    target: EndpointSchema | None,
    endpoint_id: str,
) -> MappedInput:
    """``payload`` (an input of the ``source`` model) as the ``target`` model takes it.

    The same model, or a target without a schema (or one that declares no fields), takes the
    input unchanged.
    """
    if target is None or target.open_input or source is target:  # nothing to map
        return MappedInput(endpoint_id, copy.deepcopy(payload))
    out: dict[str, Any] = {}
    unmapped: list[Unmapped] = []
    defaulted: list[Defaulted] = []
    for name, value in payload.items():
        field = target.input_field(name)
        if (
            field is not None
            and field.has_default
            and field.default is not None
            and _is_default(source, name, value)
            and not _same(field.default, value)
        ):
            defaulted.append(Defaulted(name, value, field.default))
            continue
        taken, problem = take_value(target, name, value)
        if problem is not None:
            unmapped.append(Unmapped(name, problem))
            continue
        out[name] = copy.deepcopy(taken)
    return MappedInput(endpoint_id, out, tuple(unmapped), tuple(defaulted))
