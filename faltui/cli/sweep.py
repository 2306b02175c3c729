"""``faltui run --sweep``: one input over every combination of some fields' values, on one or
more models (``-m A -m B``), sent as one batch at queue priority ``low``.

``--sweep seed=1..8 --sweep guidance_scale=2,4,6`` names the swept fields and their values
(see :mod:`faltui.core.sweep_values`); every value is read and checked by each model's schema
exactly like ``--param`` (one gate). Several ``-m`` run the sweep on each model: the flags
build the first model's input, mapped onto the others by field name and type; what a model
does not take is said on stderr. The count and the estimate are said before anything is sent;
a sweep passing the ``[budget]`` needs ``--yes``. ``--max-in-flight N`` keeps at most N of
the sweep's jobs unfinished at once.

stdout: one JSON line per job, in the sweep's order, each with the sweep id, the model and its
``values`` on the swept fields — handles by default, request ids with ``-a``, and with ``-w``
``{…, state, result | error}`` once every job finished. Exit 0 when every job finished, 1 when
any failed, 2 for a bad sweep (nothing sent), 3 on timeout.
"""

from __future__ import annotations

import argparse
from typing import Any

from faltui.cli.budget_gate import gate_estimate
from faltui.cli.payload import build_payload
from faltui.cli.run import report_jobs
from faltui.cli.support import (
    EXIT_USAGE,
    CliFailure,
    Console,
)
from faltui.core.budget import Budget
from faltui.core.job import Job
from faltui.core.schema import EndpointSchema, Field
from faltui.core.sweep import SweepInvalid, axes_from_items, estimate_sweep, plan_sweep
from faltui.core.sweep_run import SWEEP_PRIORITY, SweepRun
from faltui.services import Services


def is_sweep(args: argparse.Namespace, models: list[str]) -> bool:
    """Whether ``faltui run`` was asked for a sweep (``--sweep``, or several ``-m``)."""
    return bool(getattr(args, "sweep", None)) or len(models) > 1


def check_sweep_flags(args: argparse.Namespace) -> None:
    """Flags that do not go with a sweep: exit 2 before anything is asked of fal."""
    if args.count != 1:
        raise CliFailure(
            "--count does not go with a sweep: sweep the seed instead (--sweep seed=1..N)",
            EXIT_USAGE,
        )
    if args.sync:
        raise CliFailure("a sweep runs its jobs on the queue: drop --sync", EXIT_USAGE)


def _field_of(schemas: list[EndpointSchema | None]):  # type: ignore[no-untyped-def]
    def field_of(name: str) -> Field | None:
        for schema in schemas:
            found = schema.input_field(name) if schema is not None else None
            if found is not None:
                return found
        return None

    return field_of


def _problems_text(exc: SweepInvalid) -> str:
    return "the sweep cannot be sent (nothing was sent):" + "".join(
        f"\n  {problem.text()}" for problem in exc.problems
    )


async def run_sweep(
    services: Services,
    models: list[str],
    schemas: dict[str, EndpointSchema | None],
    args: argparse.Namespace,
    console: Console,
) -> int:
    """Plan, estimate, gate, send and report a sweep (see the module docstring)."""
    first = schemas.get(models[0])
    base = build_payload(args, first)
    checked = {m: (None if args.no_validate else s) for m, s in schemas.items()}
    try:
        axes = axes_from_items(args.sweep or [], _field_of([checked[m] for m in models]))
        plan = plan_sweep(base, axes, models, checked)
    except SweepInvalid as exc:
        raise CliFailure(_problems_text(exc), EXIT_USAGE) from exc
    console.note(f"sweep: {plan.describe()}")
    for report in plan.reports:
        for line in report.lines():
            console.note(f"  {report.endpoint_id}: {line}")
    if plan.shared_seed is not None:
        console.note(f"seed: {plan.shared_seed} (every job)")
    services.open("journal")
    await services.prices.fetch(set(models) | services.spend.endpoint_ids)
    estimate = estimate_sweep(plan, services.spend, checked)
    console.note(f"estimate: {estimate.text()}")
    if Budget.from_config(services.settings.raw).active:
        if services.spend_error is not None:  # today's spend unknown: never guess
            raise services.spend_error
        gate_estimate(services, estimate.total, yes=args.yes, console=console)
    run = SweepRun(
        services.jobs,
        plan,
        max_in_flight=args.max_in_flight,
        priority=args.priority or SWEEP_PRIORITY,
        webhook=args.webhook,
        lifecycle_seconds=args.lifecycle,
        start_timeout=args.start_timeout,
    )
    jobs = await run.run()
    sent = [job for job in jobs if job is not None]
    return await report_jobs(
        services, sent, args, console, head=_line, label=f"sweep {run.id}: ", expected=plan.count
    )


def _line(job: Job) -> dict[str, Any]:
    """The sweep's part of a job's JSON line: sweep id, index, model and swept values."""
    tag = job.sweep
    values: dict[str, Any] = {}
    if tag is not None:
        for name, text in zip(tag.axes, tag.key, strict=False):
            if text is not None:
                values[name] = job.input.get(name, text)
    return {
        "sweep": tag.id if tag else None,
        "index": tag.index if tag else None,
        "model": job.endpoint_id,
        "values": values,
        "seed": job.input.get("seed"),
    }
