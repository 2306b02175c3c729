"""The budget check of CLI submits: ``faltui run`` / ``rerun`` stop (exit 2) when a submit's
estimate would pass the budget (``[budget]`` in the config), unless ``--yes``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from faltui.cli.support import EXIT_USAGE, CliFailure, Console
from faltui.core.budget import Budget, BudgetCheck
from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.journal import Journal
from faltui.core.prices import PriceBook
from faltui.core.schema import EndpointSchema
from faltui.core.spend import SpendTracker, start_of_day


async def check_budget_or_stop(
    settings: Settings,
    client: FalClient,
    journal: Journal,
    endpoint_id: str,
    payload: Mapping[str, Any],
    count: int,
    schema: EndpointSchema | None,
    *,
    yes: bool,
    console: Console,
) -> BudgetCheck | None:
    """Check a submit of ``count`` jobs against the budget; None when no budget is set.

    Says on stderr what the submit takes of each limit. One that needs confirmation raises
    ``CliFailure`` (exit 2, nothing sent) unless ``yes``. This command is the session: its
    own submits are what the per-session limit counts.
    """
    budget = Budget.from_config(settings.raw)
    if not budget.active:
        return None
    prices = PriceBook.for_settings(settings, client)
    tracker = SpendTracker(prices, budget)
    tracker.load(journal.since(start_of_day(time.time()) - 86_400))
    await prices.fetch({endpoint_id, *tracker.endpoint_ids})
    estimate = tracker.estimate(endpoint_id, payload, count, schema)
    check = tracker.budget_check(estimate)
    console.note(f"estimate: {estimate.text()}")
    if check.ok:
        for share in check.shares:
            console.note(f"budget {share.text()}")
        return check
    if yes:
        console.note(f"budget: {check.reason}; submitting anyway (--yes)")
        return check
    lines = "".join(f"\n  {share.text()}" for share in check.shares)
    raise CliFailure(
        f"{check.reason}:{lines}\nnothing was sent; add --yes to submit anyway "
        "(or change [budget] in the config file)",
        EXIT_USAGE,
    )
