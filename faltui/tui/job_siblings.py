"""Jobs of one ×N batch (or a sweep) and what tells them apart.

They share their model and prompt; ``Siblings`` groups them so and finds the input keys whose
values differ within a group: each row then says ``seed 1234``, ``guidance_scale 3.5``, or
``#3/8`` when the inputs are identical.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from faltui.core.job import Job
from faltui.tui.format import file_name, is_url, one_line, prompt_snippet
from faltui.tui.job_cells import fit

#: Longest value shown in a sibling tag.
TAG_VALUE_CELLS = 14
#: Most differing keys named in a tag.
TAG_KEYS = 2
_MISSING = "\x00missing"


def _fingerprint(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, int | float):  # bool is an int
        return repr(value)
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def tag_value(value: Any) -> str:
    """A short, literal rendering of an input value for a tag."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = file_name(value) if is_url(value) else value
    elif isinstance(value, dict) and {"width", "height"} <= value.keys():
        text = f"{value['width']}×{value['height']}"
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        text = ", ".join(file_name(v) if is_url(v) else v for v in value)
    else:
        text = _fingerprint(value)
    return fit(one_line(text), TAG_VALUE_CELLS)


@dataclass
class _Group:
    members: list[str] = field(default_factory=list)
    values: dict[str, Counter[str]] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)
    key_order: list[str] = field(default_factory=list)

    def add(self, job_id: str, payload: dict[str, Any]) -> None:
        prints = {str(k): _fingerprint(v) for k, v in payload.items()}
        self.members.append(job_id)
        self.fingerprints[job_id] = prints
        for key, fingerprint in prints.items():
            if key not in self.values:
                self.values[key] = Counter()
                self.key_order.append(key)
            self.values[key][fingerprint] += 1

    def discard(self, job_id: str) -> None:
        prints = self.fingerprints.pop(job_id, None)
        if prints is None:
            return
        self.members.remove(job_id)
        for key, fingerprint in prints.items():
            counter = self.values[key]
            counter[fingerprint] -= 1
            if counter[fingerprint] <= 0:
                del counter[fingerprint]

    def differing(self) -> list[str]:
        """Input keys whose value is not the same in every member (seed last)."""
        count = len(self.members)
        keys = [
            key
            for key in self.key_order
            if (counter := self.values[key]) and (len(counter) > 1 or counter.total() < count)
        ]
        keys.sort(key=lambda k: k == "seed")
        return keys


class Siblings:
    """Jobs sharing a model and a prompt, and the tag that tells each of them apart."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], _Group] = {}
        self._group_of: dict[str, tuple[str, str]] = {}
        self._inputs: dict[str, int] = {}
        self._payloads: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, str] = {}
        #: Each job's ``prompt_snippet`` (computed again only when its input is replaced).
        self.prompts: dict[str, str] = {}

    def update(self, jobs: Iterable[Job]) -> set[str]:
        """Place new jobs (and jobs whose input was replaced) in their groups; returns the ids
        whose tag changed (new jobs included)."""
        dirty: set[tuple[str, str]] = set()
        for job in jobs:
            known = self._inputs.get(job.id)
            if known == id(job.input):
                continue
            if known is not None:
                dirty.add(self._leave(job.id))
            prompt = prompt_snippet(job)
            self.prompts[job.id] = prompt
            key = (job.endpoint_id, prompt)
            group = self._groups.setdefault(key, _Group())
            group.add(job.id, job.input)
            self._group_of[job.id] = key
            self._inputs[job.id] = id(job.input)
            self._payloads[job.id] = job.input
            dirty.add(key)
        return self._retag(dirty)

    def discard(self, job_ids: Iterable[str]) -> set[str]:
        """Forget jobs; returns the ids of the remaining jobs whose tag changed."""
        dirty = {self._leave(job_id) for job_id in job_ids if job_id in self._group_of}
        return self._retag(dirty)

    def _leave(self, job_id: str) -> tuple[str, str]:
        key = self._group_of.pop(job_id)
        self._inputs.pop(job_id, None)
        self._payloads.pop(job_id, None)
        self.tags.pop(job_id, None)
        self.prompts.pop(job_id, None)
        group = self._groups[key]
        group.discard(job_id)
        if not group.members:
            del self._groups[key]
        return key

    def _retag(self, keys: set[tuple[str, str]]) -> set[str]:
        changed: set[str] = set()
        for key in keys:
            group = self._groups.get(key)
            if group is None:
                continue
            members = group.members
            differing = group.differing()[:TAG_KEYS] if len(members) > 1 else []
            for number, job_id in enumerate(members, 1):
                if len(members) < 2:
                    tag = ""
                elif differing:
                    payload = self._payloads[job_id]
                    tag = " · ".join(
                        f"{k} {tag_value(payload[k])}" if k in payload else f"no {k}"
                        for k in differing
                    )
                else:
                    tag = f"#{number}/{len(members)}"
                if self.tags.get(job_id) != tag:
                    self.tags[job_id] = tag
                    changed.add(job_id)
        return changed
