"""Token usage of LLM results: ``usage`` with prompt / completion / total tokens and a cost.

fal's OpenRouter endpoints answer ``"usage": {"prompt_tokens", "completion_tokens",
"total_tokens", "cost"}``; OpenAI-style chat completions carry the same token names; some
APIs say ``input_tokens`` / ``output_tokens``. Only numbers the result holds are shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TokenUsage:
    """What a result says it used (``None``: not reported)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None

    def describe(self) -> str:
        """``40 prompt + 227 completion = 267 tokens · cost 0.0005795``."""
        parts: list[str] = []
        if self.prompt_tokens is not None:
            parts.append(f"{self.prompt_tokens:,} prompt")
        if self.completion_tokens is not None:
            parts.append(f"{self.completion_tokens:,} completion")
        line = " + ".join(parts)
        if self.total_tokens is not None:
            line = f"{line} = {self.total_tokens:,} tokens" if line else f"{self.total_tokens:,}"
            if not parts:
                line += " tokens"
        elif line:
            line += " tokens"
        if self.cost is not None:
            cost = f"cost {self.cost:.8f}".rstrip("0").rstrip(".")
            line = f"{line} · {cost}" if line else cost
        return line


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return int(value)


def find_usage(result: Any) -> TokenUsage | None:
    """The token usage a result reports, or ``None`` when it reports none."""
    usage = result.get("usage") if isinstance(result, dict) else None
    if not isinstance(usage, dict):
        return None
    prompt = _count(usage.get("prompt_tokens", usage.get("input_tokens")))
    completion = _count(usage.get("completion_tokens", usage.get("output_tokens")))
    total = _count(usage.get("total_tokens"))
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    cost_value = usage.get("cost")
    cost = (
        float(cost_value)
        if isinstance(cost_value, int | float)
        and not isinstance(cost_value, bool)
        and math.isfinite(cost_value)
        else None
    )
    found = TokenUsage(prompt, completion, total, cost)
    return None if found == TokenUsage() else found
