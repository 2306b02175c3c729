"""``faltui compare JOB JOB…``: journaled jobs side by side — the inputs as a diff, timings,
estimated and billed cost, outputs — as a table, or JSON with ``--json``."""

from __future__ import annotations

import argparse
from typing import Any

from faltui.cli.jobref import find_job
from faltui.cli.support import EXIT_OK, EXIT_USAGE, CliFailure, Console, cli_services
from faltui.core.compare import MIN_JOBS, Comparison, JobColumn, compare_jobs
from faltui.core.config import Settings
from faltui.core.job import state_text
from faltui.core.text import clip, one_line

#: Widest a column of the table gets (values are cut with …).
COLUMN_WIDTH = 30
#: Width of the labels on the left.
LABEL_WIDTH = 18
#: Widest an equal field's value gets (it stands for every job).
EQUAL_WIDTH = 2 * COLUMN_WIDTH + 2


def add_parser(sub: Any) -> None:
    """``faltui compare JOB JOB… [--json]``."""
    p = sub.add_parser(
        "compare",
        help="journaled jobs side by side: the input diff, timings, cost, outputs",
        description=(
            "Compare two or more jobs of the journal (local job ids, unique prefixes of at "
            "least 6 characters, or fal request ids): the input fields that differ, the ones "
            "every job shares, each job's queue, run and total time, its estimated and billed "
            "cost (billable units × unit price; 'price varies' for vague units) and its outputs."
        ),
    )
    p.add_argument("jobs", nargs="+", metavar="JOB", help="two or more job or request ids")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(handler=cmd_compare)


async def cmd_compare(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Compare the jobs named on the command line."""
    if len(args.jobs) < MIN_JOBS:
        given = len(args.jobs)
        raise CliFailure(f"compare needs at least {MIN_JOBS} jobs; {given} given", EXIT_USAGE)
    async with cli_services(settings, console) as services:
        jobs = [find_job(services.journal, text) for text in args.jobs]
        if len({job.id for job in jobs}) < len(jobs):
            raise CliFailure("the same job is named twice", EXIT_USAGE)
        prices = services.prices
        if settings.key:
            await prices.fetch({job.endpoint_id for job in jobs})
        comparison = compare_jobs(jobs, prices.known())
        if prices.problem:
            console.note(f"faltui: {prices.problem}")
    if args.json:
        console.json(comparison_json(comparison))
    else:
        for line in comparison_table(comparison):
            console.line(line)
    return EXIT_OK


def _timings(column: JobColumn) -> dict[str, float | None]:
    timings = column.timings
    return {
        "queue": timings.queue,
        "run": timings.run,
        "total": timings.total,
        "inference": timings.inference,
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as a JSON-ready dict."""
    diff = comparison.inputs
    return {
        "jobs": [
            {
                "id": column.job.id,
                "request_id": column.job.request_id,
                "endpoint_id": column.job.endpoint_id,
                "state": column.job.state.value,
                "timings": _timings(column),
                "cost": {
                    **column.cost.to_dict(),
                    "estimate_text": column.estimate,
                    "billed_text": column.billed,
                },
                "outputs": {
                    "summary": column.outputs.text(),
                    "files": [
                        {"url": f.url, "kind": f.kind, "width": f.width, "height": f.height}
                        for f in column.outputs.files
                    ],
                    "texts": [{"label": t.label, "text": t.text} for t in column.outputs.texts],
                },
            }
            for column in comparison.columns
        ],
        "differing": [
            {"name": f.name, "values": list(f.values), "present": list(f.present)}
            for f in diff.differing
        ],
        "equal": [{"name": f.name, "value": f.common} for f in diff.equal],
        "spend": comparison.spend().to_dict(),
    }


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}s" if value < 60 else f"{int(value // 60)}m{int(value % 60):02d}s"


def comparison_table(comparison: Comparison) -> list[str]:
    """The comparison as lines of a plain-text table (one column per job)."""
    columns = comparison.columns

    def row(label: str, cells: list[str]) -> str:
        head = clip(label, LABEL_WIDTH - 1).ljust(LABEL_WIDTH)
        body = "  ".join(clip(one_line(c), COLUMN_WIDTH).ljust(COLUMN_WIDTH) for c in cells)
        return (head + body).rstrip()

    lines = [row("", [f"#{n}" for n in range(1, len(columns) + 1)])]
    lines.append(row("model", [c.job.endpoint_id for c in columns]))
    lines.append(row("state", [state_text(c.job) for c in columns]))
    lines.append(row("request id", [c.job.request_id or "—" for c in columns]))
    lines.append(row("outputs", [c.outputs.text() for c in columns]))
    lines.append(row("queue", [_seconds(c.timings.queue) for c in columns]))
    lines.append(row("run", [_seconds(c.timings.run) for c in columns]))
    lines.append(row("total", [_seconds(c.timings.total) for c in columns]))
    lines.append(row("estimate", [c.estimate for c in columns]))
    lines.append(row("billed", [c.billed for c in columns]))
    diff = comparison.inputs
    lines.append("")
    lines.append(f"Inputs: {len(diff.differing)} differ, {len(diff.equal)} equal")
    for field in diff.differing:
        lines.append(row(f"≠ {field.name}", list(field.values)))
    for field in diff.equal:  # one value for every job: the whole width
        label = clip(f"= {field.name}", LABEL_WIDTH - 1).ljust(LABEL_WIDTH)
        lines.append(label + clip(one_line(field.common), EQUAL_WIDTH))
    lines.append("")
    lines.append(f"billed in all: {comparison.spend().text()}")
    return lines


__all__ = ["add_parser", "cmd_compare", "comparison_json", "comparison_table"]
