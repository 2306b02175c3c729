"""The panes' shares of the main screen, changed with keys and remembered in the UI state.

Side by side (wide terminals) the models, parameters and right-hand column share the width,
and jobs and results share the right column's height, each by a weight (``fr``). Growing a
pane adds one to its weight; the others keep theirs, so it takes room from all of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from faltui.core.state import MAX_SHARE, MIN_SHARE

#: The weights of a fresh layout (the proportions ``app.tcss`` gives; jobs and results in
#: quarters so that one step is a small change).
DEFAULT_SHARES: dict[str, int] = {"models": 3, "form": 3, "right": 5, "jobs": 4, "results": 4}
#: Which weight a pane's width / height key changes: jobs and results share a column.
WIDTH_OF = {"models": "models", "form": "form", "jobs": "right", "results": "right"}
HEIGHT_OF = {"jobs": "jobs", "results": "results"}


class PaneSizes:
    """Weights per pane, within ``MIN_SHARE``–``MAX_SHARE``."""

    def __init__(self, saved: Mapping[str, int] | None = None) -> None:
        self.shares = dict(DEFAULT_SHARES)
        for name, value in (saved or {}).items():
            if name in self.shares and MIN_SHARE <= value <= MAX_SHARE:
                self.shares[name] = value

    def grow(self, pane: str, step: int, *, height: bool = False) -> str | None:
        """Change the width (or height) share of ``pane`` by ``step``; the weight changed,
        or ``None`` when the pane has no such share or it is at its limit."""
        name = (HEIGHT_OF if height else WIDTH_OF).get(pane)
        if name is None:
            return None
        value = self.shares[name] + step
        if not MIN_SHARE <= value <= MAX_SHARE:
            return None
        self.shares[name] = value
        return name

    def is_default(self) -> bool:
        """Whether nothing was changed."""
        return self.shares == PaneSizes().shares

    def percent(self, name: str) -> int:
        """The share of ``name`` among its siblings, in percent (for messages)."""
        group = ("jobs", "results") if name in ("jobs", "results") else ("models", "form", "right")
        total = sum(self.shares[n] for n in group)
        return round(100 * self.shares[name] / total)


__all__ = ["DEFAULT_SHARES", "PaneSizes"]
