"""The budget check of CLI submits: ``faltui run`` / ``rerun`` stop (exit 2) when a submit's
estimate would pass the budget (``[budget]`` in the config), unless ``--yes``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faltui.cli.support import EXIT_USAGE, CliFailure, Console
from faltui.core.budget import Budget, BudgetCheck
from faltui.core.schema import EndpointSchema
from faltui.core.spend import CostEstimate
from faltui.services import Services


async def check_budget_or_stop(
    services: Services,
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
    # A wrong [budget] stops the command (ConfigError, exit 2): it is never silently ignored.
    if not Budget.from_config(services.settings.raw).active:
        return None
    tracker = services.spend
    if services.spend_error is not None:  # today's spend unknown: never guess under a budget
        raise services.spend_error
    await services.prices.fetch({endpoint_id, *tracker.endpoint_ids})
    estimate = tracker.estimate(endpoint_id, payload, count, schema)
    console.note(f"estimate: {estimate.text()}")
    return gate_estimate(services, estimate, yes=yes, console=console)


def gate_estimate(
    services: Services, estimate: CostEstimate, *, yes: bool, console: Console
) -> BudgetCheck:
    """The budget check of an estimate made already (prices fetched): what it takes of each
    limit on stderr; ``CliFailure`` (exit 2, nothing sent) when it needs confirmation and
    ``yes`` is not given."""
    check = services.spend.budget_check(estimate)
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
