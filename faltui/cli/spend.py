"""``faltui spend``: what jobs cost, from the local journal, and fal's billed usage when the
key may read it (Usage API, Admin-scope keys)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from faltui.cli.support import EXIT_OK, EXIT_USAGE, CliFailure, Console, cli_services
from faltui.core.budget import Budget, money
from faltui.core.config import Settings
from faltui.core.moments import day_text, parse_since
from faltui.core.spend import SpendRow, SpendTotal, start_of_day, summarize, total
from faltui.core.text import one_line
from faltui.core.usage import UsageReport, UsageUnavailable, fetch_usage

#: Default ``--since``: this many days back.
DEFAULT_DAYS = 30


def add_parser(sub: Any) -> None:
    """``faltui spend [--by model|day] [--since …] [--json]``."""
    p = sub.add_parser(
        "spend",
        help="what jobs cost: billed per job from the journal, fal's usage with an admin key",
        description=(
            "Billed cost per job = x-fal-billable-units × the endpoint's unit price, summed "
            "from the local journal. Endpoints priced in vague units (credits, compute "
            "seconds) say 'price varies'. With an Admin-scope key, fal's own billed usage "
            "(Usage API) is shown beside it."
        ),
    )
    p.add_argument("--by", choices=["model", "day"], default="model", help="group by (model)")
    p.add_argument(
        "--since",
        metavar="WHEN",
        help=f"from when (default {DEFAULT_DAYS}d): today, 30d, 12h, 2026-05-01, …",
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(handler=cmd_spend)


async def cmd_spend(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Summarize spend from the journal; add fal's usage when the key allows."""
    now = time.time()
    try:
        since = parse_since(args.since, now) if args.since else now - DEFAULT_DAYS * 86_400
    except ValueError as exc:
        raise CliFailure(f"--since: {exc}", EXIT_USAGE) from exc
    budget = Budget.from_config(settings.raw)  # a wrong [budget] stops the command (exit 2)
    async with cli_services(settings, console) as services:
        jobs = [
            job
            for job in services.journal.since(min(since, start_of_day(now)) - 86_400)
            if max(job.created_at, job.finished_at or 0.0) >= min(since, start_of_day(now))
        ]
        prices = services.prices
        if settings.key:
            await prices.fetch({job.endpoint_id for job in jobs})
        known = prices.known()
        in_range = [j for j in jobs if max(j.created_at, j.finished_at or 0.0) >= since]
        rows = summarize(in_range, known, args.by)
        overall = total(in_range, known)
        today = total(
            (j for j in jobs if max(j.created_at, j.finished_at or 0.0) >= start_of_day(now)),
            known,
        )
        usage: UsageReport | None = None
        usage_note: str | None = None
        if not settings.key:
            usage_note = "no fal key: showing the local sum of per-request billed costs"
        else:
            try:
                usage = await fetch_usage(services.client, since, now, by_day=args.by == "day")
            except UsageUnavailable as exc:
                usage_note = str(exc)
    if args.json:
        console.json(
            {
                "since": since,
                "since_text": day_text(since),
                "by": args.by,
                "rows": [row.to_dict() for row in rows],
                "total": overall.to_dict(),
                "today": today.to_dict(),
                "budget": _budget_json(budget, today),
                "prices_problem": prices.problem,
                "usage": {
                    "available": usage is not None,
                    "message": usage_note,
                    **(usage.to_dict() if usage is not None else {}),
                },
            }
        )
    else:
        _print_local(console, rows, overall, today, since, args.by, budget)
        if usage is not None:
            _print_usage(console, usage, args.by)
    if prices.problem:
        console.note(f"faltui: {prices.problem}; figures use the prices known from before")
    if usage_note:
        console.note(f"fal's Usage API: {usage_note}")
    return EXIT_OK


def _budget_json(budget: Budget, today: SpendTotal) -> dict[str, Any] | None:
    if not budget.active:
        return None
    return {
        "per_day": budget.per_day,
        "per_session": budget.per_session,
        "currency": budget.currency,
        "today_committed": round(today.committed, 6),
    }


def _extra(t: SpendTotal) -> str:
    parts = []
    if t.estimated_jobs:
        jobs = f"{t.estimated_jobs} job{'s' if t.estimated_jobs != 1 else ''}"
        parts.append(f"+≈{money(t.estimated, t.currency)} estimated ({jobs} without billed units)")
    if t.varies_jobs:
        parts.append(f"{t.varies_jobs} price varies")
    if t.unknown_jobs:
        parts.append(f"{t.unknown_jobs} unknown")
    return ", ".join(parts)


def _print_local(
    console: Console,
    rows: list[SpendRow],
    overall: SpendTotal,
    today: SpendTotal,
    since: float,
    by: str,
    budget: Budget,
) -> None:
    console.line(
        f"Spend from the local journal since {day_text(since)} "
        "(billed = billable units × unit price):"
    )
    if not rows:
        console.line("  no jobs in that time")
    width = max([len(by), 5, *(len(one_line(row.key, 60)) for row in rows)])
    console.line(f"  {by:<{width}}  {'jobs':>5}  {'billed':>14}  other")
    for row in rows:
        t = row.total
        key = one_line(row.key, 60)
        line = f"  {key:<{width}}  {t.jobs:>5}  {money(t.billed, t.currency):>14}  {_extra(t)}"
        console.line(line.rstrip())
    for name, t in (("total", overall), ("today", today)):
        line = f"  {name:<{width}}  {t.jobs:>5}  {money(t.billed, t.currency):>14}  {_extra(t)}"
        console.line(line.rstrip())
    if budget.per_day is not None:
        console.line(
            f"  budget today: {money(today.committed, budget.currency)} of "
            f"{money(budget.per_day, budget.currency)}"
        )


def _print_usage(console: Console, usage: UsageReport, by: str) -> None:
    console.line(f"fal's billed usage (Usage API) since {day_text(usage.start)}:")
    if by == "day" and usage.days:
        for day in sorted(usage.days):
            cost = sum(line.cost for line in usage.days[day])
            currency = usage.days[day][0].currency
            console.line(f"  {day}  {money(cost, currency):>14}")
    else:
        for line in usage.summary:
            quantity = "" if line.quantity is None else f"{line.quantity:g} {line.unit}"
            if line.unit_price is not None:
                quantity += f" × {line.unit_price:g}"
            console.line(
                f"  {one_line(line.endpoint_id, 60):<45}  {quantity:<28} "
                f"{money(line.cost, line.currency):>14}"
            )
    currency = usage.summary[0].currency if usage.summary else "USD"
    console.line(f"  {'total':<45}  {'':<28} {money(usage.total, currency):>14}")
