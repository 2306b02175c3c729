"""Queue commands by request id: status, result, cancel, poll; and the local journal."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

from faltui.cli.library import run_import, save_to_library
from faltui.cli.run import Progress, download_outputs, first_url_note, wait_for
from faltui.cli.support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CliFailure,
    Console,
    cli_services,
)
from faltui.core.client import QueueHandle, Status, WaitTimeout
from faltui.core.config import Settings
from faltui.core.endpoints import EndpointId
from faltui.core.errors import AlreadyCompletedError
from faltui.core.job import JobState, queue_place
from faltui.core.journal import Journal, JournalError
from faltui.core.reconcile import ReconcileResult
from faltui.core.spend import job_cost
from faltui.core.text import one_line
from faltui.services import Services


def _handle(services: Services, args: argparse.Namespace, console: Console) -> QueueHandle:
    """The URLs fal gave us when we have them journaled, else built from owner/app."""
    endpoint_id = EndpointId.parse(args.endpoint).full
    services.settings.require_key()
    try:
        for job in services.journal.load_all():
            if job.request_id == args.request_id and job.handle is not None:
                return job.handle
    except JournalError as exc:  # a journal we cannot read must not stop a status check
        console.note(f"faltui: {exc}")
    return services.client.handle_for(endpoint_id, args.request_id)


def status_json(status: Status) -> dict[str, Any]:
    """A status as fal sends it (the raw body), with logs as plain objects."""
    return dict(status.raw) if status.raw else {"status": status.state}


async def cmd_status(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """One status check."""
    async with cli_services(settings, console) as services:
        handle = _handle(services, args, console)
        status = await services.client.status(handle, logs=args.logs)
    console.json(status_json(status))
    line = one_line(status.state, 40)
    if status.queue_position is not None:
        line += f" (place in queue {queue_place(status.queue_position)})"
    if status.error:
        line += f": {status.error}"
    console.note(line)
    return EXIT_OK


async def cmd_result(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Print a finished request's result."""
    async with cli_services(settings, console) as services:
        result = await services.client.result(_handle(services, args, console))
    console.json(result)
    first_url_note(result, console)
    return EXIT_OK


async def cmd_cancel(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Ask fal to cancel a request."""
    async with cli_services(settings, console) as services:
        try:
            await services.client.cancel(_handle(services, args, console))
        except AlreadyCompletedError as exc:
            raise CliFailure(f"{args.request_id} had already completed; nothing cancelled") from exc
    console.json({"request_id": args.request_id, "status": "CANCELLATION_REQUESTED"})
    console.note("cancellation requested")
    return EXIT_OK


async def cmd_poll(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Wait for a request with progress on stderr, then print its result."""
    started = time.monotonic()
    if args.interval:
        settings = replace(settings, poll_interval=args.interval)
    async with cli_services(settings, console) as services:
        handle = _handle(services, args, console)
        seen = 0

        def on_status(status: Status) -> None:
            nonlocal seen
            if args.logs:
                for line in status.logs[seen:]:
                    console.note(f"  {line.message}")
                seen = max(seen, len(status.logs))
            where = status.state
            if status.queue_position is not None:
                where += f" (place in queue {queue_place(status.queue_position)})"
            console.progress(f"{where}  {time.monotonic() - started:.1f}s", key=where)

        try:
            result = await services.client.wait(
                handle, on_status=on_status, logs=args.logs, timeout=args.timeout
            )
        except WaitTimeout:
            console.end_progress()
            console.note(f"timed out after {args.timeout:g}s; the request is still going")
            return EXIT_TIMEOUT
        console.end_progress()
        console.note(f"completed after {time.monotonic() - started:.1f}s")
        console.json(result)
        first_url_note(result, console)
        if args.download:
            return await download_outputs(services, result, args.request_id, args.download, console)
    return EXIT_OK


async def cmd_history(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Jobs from the local journal, newest first (``--import``: after bringing in jobs run
    elsewhere from fal's request history), with what each cost."""
    async with cli_services(settings, console) as services:
        if getattr(args, "import_", False):
            await run_import(args, services, console)
        jobs = sorted(services.journal.load_all(), key=lambda j: j.created_at, reverse=True)
        jobs = jobs[: args.limit]
        prices = services.prices
        if settings.key and jobs:
            await prices.fetch({job.endpoint_id for job in jobs})
    costs = {job.id: job_cost(job, prices.get(job.endpoint_id)) for job in jobs}
    if args.json:
        console.json([_job_summary(job) | {"cost": costs[job.id].to_dict()} for job in jobs])
        return EXIT_OK
    for job in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.created_at))
        endpoint_id = one_line(job.endpoint_id, 120)
        request_id = one_line(job.request_id, 120) or f"(job {job.id[:12]})"
        line = f"{when}  {job.state.value:<9} {endpoint_id:<45} {request_id}"
        line += f"  {costs[job.id].text()}"
        if job.origin == "history":
            line += "  (imported)"
        console.line(line)
    if not jobs:
        console.note("no jobs in the journal yet")
    return EXIT_OK


def _job_summary(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "origin": job.origin or "faltui",
        "billable_units": job.billable_units,
        "endpoint_id": job.endpoint_id,
        "request_id": job.request_id,
        "state": job.state.value,
        "created_at": job.created_at,
        "error": job.error,
        "input": job.input,
    }


async def cmd_resume(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Re-attach to every journaled job that had not finished, settle the ones whose submit
    outcome is unknown through fal's request history, and wait for them all."""
    settings.require_key()
    progress = Progress(console, logs=False)
    async with cli_services(settings, console, on_event=progress) as services:
        manager = services.jobs
        jobs = await manager.resume_unfinished(reconcile=False)
        outcomes = await manager.reconcile()
        report_reconcile(outcomes, console)
        jobs += [job for r in outcomes if r.attached and (job := manager.get(r.job_id))]
        unsettled = [manager.get(r.job_id) for r in outcomes if not r.attached]
        if not jobs and not unsettled:
            console.note("nothing to resume")
            return EXIT_OK
        if jobs:
            console.note(f"resuming {len(jobs)} job(s)")
        results = []
        for job in jobs:
            if not await wait_for(job, args.timeout):
                console.end_progress()
                console.note(f"timed out; {job.request_id} is still {job.state.value}")
                return EXIT_TIMEOUT
            results.append(_job_summary(job) | {"result": job.result})
            if job.result:
                first_url_note(job.result, console)
        results += [_job_summary(job) | {"result": None} for job in unsettled if job]
        console.end_progress()
        console.json(results)
        await save_to_library(services, jobs, console)
    return EXIT_OK


async def cmd_reconcile(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Look jobs whose submit outcome is unknown up in fal's request history (§9.4).

    Exit 0 when every such job was re-attached (or there was none), 1 when any stays unknown.
    """
    settings.require_key()
    async with cli_services(settings, console) as services:
        wanted = _resolve_job_ids(services.journal, args.jobs) if args.jobs else None
        outcomes = await services.jobs.reconcile(wanted)
    if not outcomes:
        console.note("no job with an unknown outcome")
        console.json([])
        return EXIT_OK
    console.json([r.to_dict() for r in outcomes])
    report_reconcile(outcomes, console)
    if all(r.attached for r in outcomes):
        console.note("follow the re-attached jobs with: faltui resume")
        return EXIT_OK
    return EXIT_FAILED


def report_reconcile(outcomes: list[ReconcileResult], console: Console) -> None:
    """One line per reconciled job on stderr."""
    for result in outcomes:
        verb = "re-attached" if result.attached else "still unknown"
        console.note(f"job {result.job_id[:12]} {verb}: {result.message}")


def _resolve_job_ids(journal: Journal, given: list[str]) -> list[str]:
    """Full local job ids for ids or unique prefixes (at least 6 characters)."""
    jobs = journal.load_all()
    found: list[str] = []
    for text in given:
        key = text.strip().lower()
        hits = [job for job in jobs if job.id == key or (len(key) >= 6 and job.id.startswith(key))]
        if len(hits) != 1:
            what = "no job" if not hits else f"{len(hits)} jobs"
            raise CliFailure(f"{what} in the journal match {one_line(text, 60)!r}", EXIT_USAGE)
        job = hits[0]
        if job.state is not JobState.unknown:
            raise CliFailure(
                f"job {job.id[:12]} is {job.state.value}"
                + (f" (request id {job.request_id})" if job.request_id else "")
                + ": only jobs whose outcome is unknown are reconciled",
                EXIT_USAGE,
            )
        found.append(job.id)
    return found
