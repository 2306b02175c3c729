"""Small persistent UI state: favourite models, recently used models, theme, last form values.

Stored as one JSON document at ``settings.paths.state_file``. A missing or broken file is not
an error: the state starts empty and ``problems`` says what was wrong, so the app can tell
the user without refusing to start. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

MAX_RECENTS = 20
#: Form values are kept per model; a handful of big prompts is fine, megabytes are not.
MAX_VALUES_BYTES = 64 * 1024


class AppState:
    """Favourites, recents, theme and last-used form values, persisted as JSON."""

    def __init__(self, path: Path | None, *, max_recents: int = MAX_RECENTS) -> None:
        self.path = path
        self.max_recents = max_recents
        self.favourites: list[str] = []
        self.recents: list[str] = []
        self.theme: str | None = None
        self.last_values: dict[str, dict[str, Any]] = {}
        self.problems: list[str] = []

    # -- persistence ---------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None, *, max_recents: int = MAX_RECENTS) -> AppState:
        """Read the state file; anything unreadable is reported in ``problems``, never raised."""
        state = cls(path, max_recents=max_recents)
        if path is None:
            return state
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return state
        except OSError as exc:
            state.problems.append(f"cannot read state file {path}: {exc}")
            return state
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            state.problems.append(f"state file {path} is not valid JSON ({exc}); starting afresh")
            return state
        if not isinstance(data, dict):
            state.problems.append(f"state file {path} does not hold an object; starting afresh")
            return state
        state.favourites = _str_list(data.get("favourites"))
        state.recents = _str_list(data.get("recents"))[:max_recents]
        theme = data.get("theme")
        state.theme = theme if isinstance(theme, str) and theme else None
        values = data.get("last_values")
        if isinstance(values, dict):
            state.last_values = {
                str(k): v for k, v in values.items() if isinstance(k, str) and isinstance(v, dict)
            }
        return state

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk."""
        return {
            "version": 1,
            "favourites": list(self.favourites),
            "recents": list(self.recents),
            "theme": self.theme,
            "last_values": self.last_values,
        }

    def save(self) -> str | None:
        """Write the state atomically; returns an error message instead of raising."""
        if self.path is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(self.to_dict(), fh, indent=2, ensure_ascii=False)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, TypeError, ValueError) as exc:
            return f"cannot save state file {self.path}: {exc}"
        return None

    # -- favourites and recents ----------------------------------------------------------

    def is_favourite(self, endpoint_id: str) -> bool:
        """Whether the model is a favourite."""
        return endpoint_id in self.favourites

    def toggle_favourite(self, endpoint_id: str) -> bool:
        """Flip the favourite mark; returns the new value."""
        if endpoint_id in self.favourites:
            self.favourites.remove(endpoint_id)
            return False
        self.favourites.append(endpoint_id)
        return True

    def touch_recent(self, endpoint_id: str) -> None:
        """Move the model to the front of the recently-used list."""
        if endpoint_id in self.recents:
            self.recents.remove(endpoint_id)
        self.recents.insert(0, endpoint_id)
        del self.recents[self.max_recents :]

    # -- theme and form values -----------------------------------------------------------

    def set_theme(self, name: str | None) -> None:
        """Remember the chosen theme."""
        self.theme = name or None

    def remember_values(self, endpoint_id: str, values: dict[str, Any]) -> None:
        """Keep the last submitted form values of a model (skipped when too large or not JSON)."""
        try:
            size = len(json.dumps(values, ensure_ascii=False))
        except (TypeError, ValueError):
            return
        if size <= MAX_VALUES_BYTES:
            self.last_values[endpoint_id] = values

    def values_for(self, endpoint_id: str) -> dict[str, Any] | None:
        """The last submitted values of a model, if any."""
        values = self.last_values.get(endpoint_id)
        return dict(values) if values is not None else None


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    seen: list[str] = []
    for item in value:
        if isinstance(item, str) and item and item not in seen:
            seen.append(item)
    return seen
