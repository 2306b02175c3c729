"""The spending budget (config ``[budget]``) and the check every submit goes through.

```toml
[budget]
per_day = 5.00       # most to spend per calendar day (local time)
per_session = 1.00   # most to spend per session (one TUI run, one CLI command)
currency = "USD"     # the currency of the two figures (fal prices in USD)
```

Either limit may be left out. ``check_budget`` takes a submit's estimate and what was spent so
far and says whether the submit may go ahead or needs the user's confirmation, and what part
of each limit it takes. A submit needs confirmation when its estimate would take the spend
past a limit, and — since a number cannot be invented — when its cost cannot be estimated at
all (price varies, no price known) while a budget is set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faltui.core.errors import ConfigError

if TYPE_CHECKING:
    from faltui.core.spend import CostEstimate, SpendTotal


@dataclass(frozen=True)
class Budget:
    """Spending limits; None = no limit."""

    per_day: float | None = None
    per_session: float | None = None
    currency: str = "USD"

    @property
    def active(self) -> bool:
        """True when at least one limit is set."""
        return self.per_day is not None or self.per_session is not None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Budget:
        """The ``[budget]`` table of a parsed config file; ``ConfigError`` names a bad value."""
        table = config.get("budget", {})
        if not isinstance(table, dict):
            raise ConfigError("config: [budget] must be a table (per_day, per_session, currency)")
        unknown = sorted(set(table) - {"per_day", "per_session", "currency"})
        if unknown:
            raise ConfigError(
                f"config: [budget] has no setting {unknown[0]!r} "
                "(known: per_day, per_session, currency)"
            )

        def limit(name: str) -> float | None:
            value = table.get(name)
            if value is None:
                return None
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(
                    f"config: [budget] {name} must be an amount of money (0 or more), got {value!r}"
                )
            return float(value)

        currency = table.get("currency", "USD")
        if not isinstance(currency, str) or not currency.strip():
            raise ConfigError(
                f"config: [budget] currency must be a currency code, got {currency!r}"
            )
        return cls(limit("per_day"), limit("per_session"), currency.strip().upper())


def money(amount: float, currency: str = "USD") -> str:
    """``0.125 USD``: up to 4 significant decimals, no float noise."""
    if amount == 0:
        return f"0 {currency}"
    text = f"{amount:.4f}".rstrip("0").rstrip(".") if abs(amount) >= 0.01 else f"{amount:.2g}"
    return f"{text} {currency}"


@dataclass(frozen=True)
class BudgetShare:
    """What one submit does to one limit (``scope`` = ``today`` or ``session``)."""

    scope: str
    limit: float
    #: Spent so far in the scope: billed costs, plus estimates of jobs not billed yet.
    spent: float
    #: This submit's estimate (None: it cannot be estimated).
    adds: float | None
    currency: str = "USD"

    @property
    def after(self) -> float | None:
        """Spend after the submit (None when it cannot be estimated)."""
        return None if self.adds is None else self.spent + self.adds

    @property
    def passes(self) -> bool:
        """True when the submit would take the spend past the limit (or cannot be known)."""
        after = self.after
        return after is None or after > self.limit + 1e-12

    @property
    def share(self) -> float | None:
        """The fraction of the limit this submit takes (None: unknown; inf: a zero limit)."""
        if self.adds is None:
            return None
        if self.limit == 0:
            return math.inf if self.adds > 0 else 0.0
        return self.adds / self.limit

    def text(self) -> str:
        """``today: ≈0.1 USD is 10% of 1 USD (0.7 USD spent → 0.8 USD)``."""
        limit = money(self.limit, self.currency)
        spent = money(self.spent, self.currency)
        if self.adds is None:
            return f"{self.scope}: {spent} of {limit} spent; this submit's cost is unknown"
        share = self.share
        part = "all" if share is None or math.isinf(share) else f"{share:.0%}"
        after = money(self.spent + self.adds, self.currency)
        return (
            f"{self.scope}: ≈{money(self.adds, self.currency)} is {part} of {limit} "
            f"({spent} spent → {after})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "scope": self.scope,
            "limit": self.limit,
            "spent": round(self.spent, 6),
            "adds": None if self.adds is None else round(self.adds, 6),
            "after": None if self.after is None else round(self.after, 6),
            "share": self.share if self.share is None or math.isfinite(self.share) else None,
            "passes": self.passes,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class BudgetCheck:
    """The answer of ``check_budget``: go ahead, or ask first (and why)."""

    needs_confirmation: bool
    estimate: CostEstimate
    shares: tuple[BudgetShare, ...] = field(default_factory=tuple)
    #: One line for the user: why confirmation is needed, or what part of the budget it takes.
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the submit may go ahead without asking."""
        return not self.needs_confirmation

    def text(self) -> str:
        """The reason and every limit's share, one per line."""
        lines = [self.reason] if self.reason else []
        lines += [share.text() for share in self.shares]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "needs_confirmation": self.needs_confirmation,
            "reason": self.reason,
            "estimate": self.estimate.to_dict(),
            "shares": [share.to_dict() for share in self.shares],
        }


def check_budget(
    budget: Budget, estimate: CostEstimate, today: SpendTotal, session: SpendTotal
) -> BudgetCheck:
    """Whether a submit with ``estimate`` may go ahead under ``budget``.

    ``today`` and ``session`` are what was spent so far (``SpendTotal.committed``: billed, plus
    estimates of jobs not billed yet).
    """
    if not budget.active:
        return BudgetCheck(False, estimate, (), "")
    currency = budget.currency
    adds = estimate.total
    if estimate.currency != currency and adds is not None:
        return BudgetCheck(
            True,
            estimate,
            (),
            f"the price is in {estimate.currency} and the budget in {currency}: "
            "they cannot be compared",
        )
    shares = []
    for scope, limit, spent in (
        ("today", budget.per_day, today.committed),
        ("session", budget.per_session, session.committed),
    ):
        if limit is not None:
            shares.append(BudgetShare(scope, limit, spent, adds, currency))
    passing = [share for share in shares if share.passes]
    if adds is None:
        reason = (
            f"the cost of this submit cannot be estimated ({estimate.reason}), so it may pass "
            "your budget"
        )
        return BudgetCheck(True, estimate, tuple(shares), reason)
    if passing:
        names = {"today": "today's budget", "session": "this session's budget"}
        scopes = " and ".join(
            f"{names.get(share.scope, share.scope)} of {money(share.limit, currency)}"
            for share in passing
        )
        reason = f"this submit (≈{money(adds, currency)}) would pass {scopes}"
        return BudgetCheck(True, estimate, tuple(shares), reason)
    return BudgetCheck(False, estimate, tuple(shares), f"≈{money(adds, currency)} fits the budget")
