"""Shared wording of input messages: allowed values, and names that look like a typo."""

from __future__ import annotations

import difflib
import json
from typing import Any

#: How many allowed values a message lists before eliding the rest.
MAX_LISTED = 12


def show_values(values: list[Any] | None, limit: int = MAX_LISTED) -> str:
    """Allowed values for a message: ``"5", "10"`` for strings, bare numbers otherwise."""
    values = values or []
    shown = [json.dumps(v, ensure_ascii=False) for v in values[:limit]]
    more = len(values) - limit
    return ", ".join(shown) + (f" … ({more} more)" if more > 0 else "")


def close_matches(name: str, options: list[str]) -> list[str]:
    """Names in ``options`` that look like a typo of ``name`` (best first)."""
    found = difflib.get_close_matches(name, options, n=3, cutoff=0.6)
    lower = name.lower()
    found += [o for o in options if lower and lower in o.lower() and o not in found]
    return found[:3]
