"""What a job remembers of the sweep it belongs to, so the grid can be rebuilt from the journal.

Every job of a sweep carries the sweep's id, its place in it, the swept fields' names and the
texts of its own values (``None`` where its model has no such field). Nothing else is needed to
lay the grid out again after a restart: the order of the values is the order of the jobs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


def new_sweep_id() -> str:
    """A fresh sweep id (12 hex digits: short enough to show, unique enough for a journal)."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class SweepTag:
    """One job's place in a sweep."""

    id: str
    #: The job's index in the sweep (its plan's order) and how many jobs the sweep has.
    index: int
    count: int
    #: The swept fields' names, in the sweep's order.
    axes: tuple[str, ...]
    #: The text of the job's value on each axis (None: its model has no such field).
    key: tuple[str | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """The journal's form."""
        return {
            "id": self.id,
            "index": self.index,
            "count": self.count,
            "axes": list(self.axes),
            "key": list(self.key),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SweepTag | None:
        """A stored tag, or None when it is missing or not one (a damaged journal line)."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        axes = data.get("axes")
        key = data.get("key")
        index, count = data.get("index"), data.get("count")
        if not isinstance(axes, list) or not isinstance(key, list) or len(axes) != len(key):
            return None
        if not isinstance(index, int) or not isinstance(count, int):
            return None
        return cls(
            data["id"],
            index,
            count,
            tuple(str(a) for a in axes),
            tuple(None if k is None else str(k) for k in key),
        )
