"""Binding ids and the user's ``[keymap]`` table.

Every faltui binding carries an id; the config's ``[keymap]`` maps ids to keys
(``help = "f2"``, ``submit = "ctrl+enter,ctrl+s"``) and is applied with ``App.set_keymap``.
Ids nobody defines are reported instead of silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from textual.binding import Binding
from textual.dom import DOMNode


@dataclass
class KeymapCheck:
    """A keymap split into what can be applied and what is wrong with the rest."""

    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def class_bindings(cls: type) -> Iterator[Binding]:
    """The ``Binding`` objects a class (and its bases) declare in ``BINDINGS``."""
    for klass in cls.__mro__:
        for item in klass.__dict__.get("BINDINGS", ()):
            if isinstance(item, Binding):
                yield item


def binding_ids(classes: Iterable[type]) -> dict[str, Binding]:
    """Binding id → binding over the given classes (first declaration wins)."""
    found: dict[str, Binding] = {}
    for cls in classes:
        for binding in class_bindings(cls):
            if binding.id and binding.id not in found:
                found[binding.id] = binding
    return found


def node_classes(nodes: Iterable[DOMNode]) -> list[type]:
    """The distinct classes of some DOM nodes (for ``binding_ids``)."""
    seen: list[type] = []
    for node in nodes:
        if type(node) not in seen:
            seen.append(type(node))
    return seen


def faltui_classes(prefix: str = "faltui.") -> list[type[DOMNode]]:
    """Every imported widget/screen/app class defined in faltui's own modules.

    Widgets created later (form fields built from a schema) declare bindings too; looking at
    the classes rather than the live DOM keeps their ids from being reported as unknown.
    """
    found: list[type[DOMNode]] = []
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                pending.append(sub)
                if sub.__module__.startswith(prefix):
                    found.append(sub)
    return found


def check_keymap(keymap: Mapping[str, object], known: Iterable[str]) -> KeymapCheck:
    """Keep entries naming a known binding id with a non-empty key list; report the others."""
    known_ids = set(known)
    result = KeymapCheck()
    for binding_id, keys in keymap.items():
        if binding_id not in known_ids:
            hint = ", ".join(sorted(known_ids))
            result.problems.append(f"keymap: unknown binding id {binding_id!r} (known: {hint})")
            continue
        if not isinstance(keys, str) or not [k for k in keys.split(",") if k.strip()]:
            result.problems.append(f'keymap: {binding_id!r} needs keys such as "f2" or "ctrl+x"')
            continue
        result.keymap[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return result
