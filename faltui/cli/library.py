"""The local library on the CLI: saving finished jobs (auto-download), ``faltui history
--import`` (jobs run elsewhere, from fal's request history) and ``faltui rerun``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from faltui.cli.jobref import find_job
from faltui.cli.support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CliFailure,
    Console,
    cli_services,
)
from faltui.core.config import Settings
from faltui.core.endpoints import EndpointId
from faltui.core.history_import import ImportReport, import_history
from faltui.core.job import Job, JobState
from faltui.core.library import LibraryConfig
from faltui.core.moments import SINCE_HELP, parse_since
from faltui.core.text import one_line
from faltui.services import Services

#: Default ``--since`` of ``history --import``.
IMPORT_DAYS = 7


def auto_download(settings: Settings) -> bool:
    """``[library] auto_download`` (on by default with ``--demo``); a wrong value stops the
    command (``ConfigError``, exit 2) rather than being ignored."""
    return LibraryConfig.from_config(settings.raw, demo=settings.demo).auto_download


async def save_to_library(services: Services, jobs: list[Job], console: Console) -> None:
    """Save finished jobs into the library (when auto-download is on), saying where."""
    done = [job for job in jobs if job.state is JobState.done and job.result is not None]
    if not done or not auto_download(services.settings):
        return
    for job in done:
        entry = await services.library.save(job)
        console.note(
            f"library: {len(entry.saved)} file(s) and {entry.sidecar.name} in {entry.folder}"
        )
        for failure in entry.failed:
            console.note(f"library: could not save {failure}")


# -- history --import ---------------------------------------------------------------------------


def add_import_arguments(p: argparse.ArgumentParser) -> None:
    """``--import``, ``--endpoint``, ``--since`` on ``faltui history``."""
    p.add_argument(
        "--import",
        dest="import_",
        action="store_true",
        help="first bring in jobs run elsewhere (web playground, other machines) from fal's "
        "request history",
    )
    p.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="E",
        help="with --import: an endpoint id to import (repeatable; default: the endpoints "
        "in the journal)",
    )
    p.add_argument(
        "--since",
        metavar="WHEN",
        help=f"with --import: from when (default {IMPORT_DAYS}d): {SINCE_HELP}",
    )


async def run_import(
    args: argparse.Namespace, services: Services, console: Console
) -> ImportReport:
    """``faltui history --import``: import, report on stderr, save to the library if on."""
    services.settings.require_key()
    now = time.time()
    try:
        start = parse_since(args.since, now) if args.since else now - IMPORT_DAYS * 86_400
    except ValueError as exc:
        raise CliFailure(f"--since: {exc}", EXIT_USAGE) from exc
    journal = services.journal
    if args.endpoint:
        endpoints = [EndpointId.parse(e).full for e in args.endpoint]
    else:
        endpoints = sorted({job.endpoint_id for job in journal.load_all()})
    if not endpoints:
        raise CliFailure(
            "which endpoints? the journal names none yet: --endpoint fal-ai/flux/dev",
            EXIT_USAGE,
        )
    console.note(
        f"importing from fal's request history: {', '.join(endpoints)} "
        f"(since {time.strftime('%Y-%m-%d %H:%M', time.localtime(start))})"
    )
    report = await import_history(services.client, journal, endpoints, start=start)
    for endpoint_id, reason in report.failed.items():
        console.note(f"faltui: {one_line(endpoint_id, 80)}: {reason}")
    console.note(report.summary())
    await save_to_library(services, report.imported, console)
    return report


# -- rerun --------------------------------------------------------------------------------------


def add_rerun_parser(sub: Any) -> None:
    """``faltui rerun JOB``."""
    p = sub.add_parser(
        "rerun",
        help="run a journaled job again (same model, same input; --param changes some: a fork)",
        description=(
            "Submits a new job with the input of a journaled one — your own, or one brought "
            "in with 'faltui history --import'. --param k=v changes fields (a fork)."
        ),
    )
    p.add_argument(
        "job", metavar="JOB", help="local job id (or a 6+ character prefix), or a request id"
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="change an input: k=v (typed by the schema), k:=<json>; repeatable",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-w", "--wait", action="store_true", help="wait and print the result JSON")
    mode.add_argument("-a", "--async", dest="async_", action="store_true", help="print the id")
    p.add_argument("--logs", action="store_true", help="print the model's log lines while waiting")
    p.add_argument("--timeout", type=float, help="give up waiting after SECONDS (exit 3)")
    p.add_argument("--download", metavar="DIR", help="download every output file into DIR")
    p.add_argument("--yes", action="store_true", help="submit even when it passes the budget")
    p.set_defaults(handler=cmd_rerun)


async def cmd_rerun(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Submit a journaled job's input again (with ``--param`` changes)."""
    from faltui.cli.run import Progress

    settings.require_key()
    progress = Progress(console, args.logs)
    async with cli_services(settings, console, on_event=progress) as services:
        return await _rerun(args, services, console)


async def _rerun(args: argparse.Namespace, services: Services, console: Console) -> int:
    from faltui.cli.budget_gate import check_budget_or_stop
    from faltui.cli.payload import build_payload
    from faltui.cli.presets import current_schema, payload_flags
    from faltui.cli.run import _report, wait_for
    from faltui.core.schema import validate

    original = find_job(services.journal, args.job)
    endpoint_id = original.endpoint_id
    payload = dict(original.input)
    if args.param:
        schema = await current_schema(services, endpoint_id, console)
        flags = payload_flags(args.param)
        payload.update(build_payload(flags, schema))
        if schema is not None:
            errors = validate(schema, payload)
            if errors:
                from faltui.core.errors import ValidationFailed

                raise ValidationFailed(errors)
    else:
        schema = None
    await check_budget_or_stop(
        services, endpoint_id, payload, 1, schema, yes=args.yes, console=console
    )
    job = await services.jobs.submit(endpoint_id, payload, label=original.label, **original.options)
    was = one_line(original.request_id, 60) or "no request id"
    console.note(f"re-ran job {original.id[:12]} ({was}) as job {job.id[:12]}")
    if job.state is JobState.unknown or (job.state is JobState.failed and not job.request_id):
        raise CliFailure(f"{job.error} (local job id {job.id})", EXIT_FAILED)
    if args.async_:
        console.line(one_line(job.request_id))
        return EXIT_OK
    if not args.wait:
        handle = job.handle.to_dict() if job.handle else {"request_id": job.request_id}
        console.json(handle)
        return EXIT_OK
    if not await wait_for(job, args.timeout):
        console.end_progress()
        console.note(f"timed out; the job is still {job.state.value}")
        return EXIT_TIMEOUT
    console.end_progress()
    code = await _report(services, job, args, console)
    await save_to_library(services, [job], console)
    return code
