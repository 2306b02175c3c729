"""``$ref`` resolution and ``allOf`` merging inside one OpenAPI document.

A ``$ref`` with sibling keys (``description``, ``default``, ``examples``) is the target with
the siblings on top. Cycles and missing targets are reported in the result
(``x-faltui-unresolved``), never raised.
"""

from __future__ import annotations

import textwrap
from typing import Any

#: Deepest nesting followed before giving up on a branch (kind "json").
MAX_DEPTH = 24


def clean_text(value: Any) -> str:
    """A description/title as clean text: dedented, stripped; non-strings give ``""``."""
    if not isinstance(value, str):
        return ""
    return textwrap.dedent(value.strip("\n")).strip()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``; properties/required/order lists are combined."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if key == "properties" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = {**old, **value}
        elif key in ("required", "x-fal-order-properties") and isinstance(old, list):
            if isinstance(value, list):
                out[key] = old + [v for v in value if v not in old]
        else:
            out[key] = value
    return out


class Resolver:
    """Follows ``$ref`` pointers inside one document and merges ``allOf`` wrappers."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc if isinstance(doc, dict) else {}

    def lookup(self, ref: Any) -> dict[str, Any] | None:
        """The schema a local ``#/...`` pointer names, or None when it is missing."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        node: Any = self.doc
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node if isinstance(node, dict) else None

    def resolve(
        self, schema: Any, seen: frozenset[str] = frozenset(), depth: int = 0
    ) -> tuple[dict[str, Any], frozenset[str], str]:
        """Resolve the top of ``schema``: ``$ref`` (siblings win) and ``allOf`` merged.

        Returns the merged dict, the refs followed so far (cycle guard for children) and the
        name of the first component followed ("" if none). A cycle or missing target leaves
        a dict with ``x-faltui-unresolved`` set.
        """
        if not isinstance(schema, dict):
            return {}, seen, ""
        if depth > MAX_DEPTH:
            return {"x-faltui-unresolved": "too deep"}, seen, ""
        ref_name = ""
        out = schema
        if "$ref" in schema:
            ref = schema["$ref"]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            ref_name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else ""
            if not isinstance(ref, str) or ref in seen:
                return {**siblings, "x-faltui-unresolved": f"cycle at {ref}"}, seen, ref_name
            target = self.lookup(ref)
            if target is None:
                return {**siblings, "x-faltui-unresolved": f"missing {ref}"}, seen, ref_name
            seen = seen | {ref}
            resolved, seen, inner = self.resolve(target, seen, depth + 1)
            out = _merge(resolved, siblings)
            ref_name = ref_name or inner
        parts = out.get("allOf")
        if isinstance(parts, list) and parts:
            merged: dict[str, Any] = {}
            for part in parts:
                resolved, seen2, inner = self.resolve(part, seen, depth + 1)
                merged = _merge(merged, resolved)
                seen = seen | seen2
                ref_name = ref_name or inner
            rest = {k: v for k, v in out.items() if k != "allOf"}
            out = _merge(merged, rest)
        return out, seen, ref_name
