"""Small persistent UI state: favourite models, recently used models, theme, form drafts,
the panes' sizes.

A :class:`Draft` is the unsent content of one model's form (typed values, text that does not
read as a value yet, and where a forked seed came from): it survives switching models and a
restart. Stored as one JSON document at ``settings.paths.state_file``. A missing or broken
file is not an error: the state starts empty and ``problems`` says what was wrong, so the app
can tell the user without refusing to start. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_RECENTS = 20
#: Drafts are kept per model; a handful of big prompts is fine, megabytes are not.
MAX_VALUES_BYTES = 64 * 1024
#: Drafts of this many models are kept (the least recently edited are dropped).
MAX_DRAFTS = 50
#: Bounds of a pane's share in ``layout``.
MIN_SHARE, MAX_SHARE = 1, 12

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ForkNote:
    """Where a form's content came from when a job was forked into it."""

    job_id: str
    #: The job's seed, kept for the next submit only (then the seed is random again).
    seed: int | None = None


@dataclass
class Draft:
    """The unsent content of one model's form.

    ``values`` holds the typed value of every field that has one (empty fields are left
    out); ``texts`` the text of fields whose text does not read as a value yet (``abc`` in a
    number field), by field path; ``fork`` says which job the content came from.
    """

    values: dict[str, Any] = field(default_factory=dict)
    texts: dict[FieldPath, str] = field(default_factory=dict)
    fork: ForkNote | None = None

    def to_json(self) -> dict[str, Any]:
        """The draft as a JSON object."""
        out: dict[str, Any] = {"values": copy.deepcopy(self.values)}
        if self.texts:
            out["texts"] = [[list(path), text] for path, text in self.texts.items()]
        if self.fork is not None:
            out["fork"] = {"job_id": self.fork.job_id, "seed": self.fork.seed}
        return out

    @classmethod
    def from_json(cls, data: Any) -> Draft | None:
        """A draft from :meth:`to_json`'s shape; None when ``data`` is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
            return None
        texts: dict[FieldPath, str] = {}
        for item in data.get("texts") or []:
            if (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], list)
                and item[0]
                and all(isinstance(p, str | int) and not isinstance(p, bool) for p in item[0])
                and isinstance(item[1], str)
            ):
                texts[tuple(item[0])] = item[1]
        fork = data.get("fork")
        note = None
        if isinstance(fork, dict) and isinstance(fork.get("job_id"), str):
            seed = fork.get("seed")
            note = ForkNote(fork["job_id"], seed if _is_int(seed) else None)
        return cls(dict(data["values"]), texts, note)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class AppState:
    """Favourites, recents, theme and form drafts, persisted as JSON."""

    def __init__(self, path: Path | None, *, max_recents: int = MAX_RECENTS) -> None:
        self.path = path
        self.max_recents = max_recents
        self.favourites: list[str] = []
        self.recents: list[str] = []
        self.theme: str | None = None
        self.drafts: dict[str, Draft] = {}
        #: Each pane's share of the screen (pane name → weight, ``MIN_SHARE``–``MAX_SHARE``).
        self.layout: dict[str, int] = {}
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
        drafts = data.get("drafts")
        if isinstance(drafts, dict):
            for endpoint_id, item in drafts.items():
                draft = Draft.from_json(item)
                if isinstance(endpoint_id, str) and draft is not None:
                    state.drafts[endpoint_id] = draft
        layout = data.get("layout")
        if isinstance(layout, dict):
            state.layout = {
                k: v
                for k, v in layout.items()
                if isinstance(k, str) and type(v) is int and MIN_SHARE <= v <= MAX_SHARE
            }
        old = data.get("last_values")  # version 1: the last submitted values of each model
        if isinstance(old, dict):
            for endpoint_id, values in old.items():
                if isinstance(values, dict) and endpoint_id not in state.drafts:
                    state.drafts[endpoint_id] = Draft(dict(values))
        return state

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk."""
        return {
            "version": 2,
            "favourites": list(self.favourites),
            "recents": list(self.recents),
            "theme": self.theme,
            "drafts": {k: d.to_json() for k, d in self.drafts.items()},
            "layout": dict(self.layout),
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

    def keep_draft(self, endpoint_id: str, draft: Draft) -> bool:
        """Keep a model's draft (in memory; ``save`` writes it). Returns False, keeping the
        previous draft, when it is too large or not JSON."""
        try:
            size = len(json.dumps(draft.to_json(), ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError):
            return False
        if size > MAX_VALUES_BYTES:
            return False
        self.drafts.pop(endpoint_id, None)  # most recently kept last
        self.drafts[endpoint_id] = draft
        while len(self.drafts) > MAX_DRAFTS:
            del self.drafts[next(iter(self.drafts))]
        return True

    def draft_for(self, endpoint_id: str) -> Draft | None:
        """A copy of the model's draft, if any."""
        draft = self.drafts.get(endpoint_id)
        return copy.deepcopy(draft) if draft is not None else None


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    seen: list[str] = []
    for item in value:
        if isinstance(item, str) and item and item not in seen:
            seen.append(item)
    return seen
