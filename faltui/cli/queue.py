"""Queue commands by request id: status, result, cancel, poll; and the local journal."""

from __future__ import annotations

import argparse
import time
from typing import Any

from faltui.cli.run import Progress, download_all, first_url_note, wait_for
from faltui.cli.support import EXIT_OK, EXIT_TIMEOUT, CliFailure, Console
from faltui.core.client import FalClient, QueueHandle, Status, WaitTimeout
from faltui.core.config import Settings
from faltui.core.endpoints import EndpointId
from faltui.core.errors import AlreadyCompletedError
from faltui.core.job import queue_place
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal


def _handle(client: FalClient, args: argparse.Namespace, settings: Settings) -> QueueHandle:
    """The URLs fal gave us when we have them journaled, else built from owner/app."""
    endpoint_id = EndpointId.parse(args.endpoint).full
    settings.require_key()
    try:
        journal = Journal(settings.paths.journal_file)
    except Exception:  # a broken journal must not stop a status check
        journal = None
    if journal is not None:
        try:
            for job in journal.load_all():
                if job.request_id == args.request_id and job.handle is not None:
                    return job.handle
        finally:
            journal.close()
    return client.handle_for(endpoint_id, args.request_id)


def status_json(status: Status) -> dict[str, Any]:
    """A status as fal sends it (the raw body), with logs as plain objects."""
    return dict(status.raw) if status.raw else {"status": status.state}


async def cmd_status(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """One status check."""
    async with _client(settings) as client:
        status = await client.status(_handle(client, args, settings), logs=args.logs)
    console.json(status_json(status))
    line = status.state
    if status.queue_position is not None:
        line += f" (place in queue {queue_place(status.queue_position)})"
    if status.error:
        line += f": {status.error}"
    console.note(line)
    return EXIT_OK


async def cmd_result(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Print a finished request's result."""
    async with _client(settings) as client:
        result = await client.result(_handle(client, args, settings))
    console.json(result)
    first_url_note(result, console)
    return EXIT_OK


async def cmd_cancel(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Ask fal to cancel a request."""
    async with _client(settings) as client:
        try:
            await client.cancel(_handle(client, args, settings))
        except AlreadyCompletedError as exc:
            raise CliFailure(f"{args.request_id} had already completed; nothing cancelled") from exc
    console.json({"request_id": args.request_id, "status": "CANCELLATION_REQUESTED"})
    console.note("cancellation requested")
    return EXIT_OK


async def cmd_poll(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Wait for a request with progress on stderr, then print its result."""
    started = time.monotonic()
    async with _client(settings, poll_interval=args.interval) as client:
        handle = _handle(client, args, settings)
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
            console.progress(f"{where}  {time.monotonic() - started:.1f}s")

        try:
            result = await client.wait(
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
            await download_all(client, result, args.download, console)
    return EXIT_OK


async def cmd_history(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Jobs from the local journal, newest first."""
    journal = Journal(settings.paths.journal_file)
    try:
        jobs = sorted(journal.load_all(), key=lambda j: j.created_at, reverse=True)[: args.limit]
    finally:
        journal.close()
    if args.json:
        console.json([_job_summary(job) for job in jobs])
        return EXIT_OK
    for job in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.created_at))
        console.line(f"{when}  {job.state.value:<9} {job.endpoint_id:<45} {job.request_id or '-'}")
    if not jobs:
        console.note("no jobs in the journal yet")
    return EXIT_OK


def _job_summary(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "endpoint_id": job.endpoint_id,
        "request_id": job.request_id,
        "state": job.state.value,
        "created_at": job.created_at,
        "error": job.error,
        "input": job.input,
    }


async def cmd_resume(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Re-attach to every journaled job that had not finished and wait for it."""
    settings.require_key()
    journal = Journal(settings.paths.journal_file)
    async with _client(settings) as client:
        manager = JobManager(client, journal, on_event=Progress(console, logs=False))
        try:
            jobs = await manager.resume_unfinished()
            if not jobs:
                console.note("nothing to resume")
                return EXIT_OK
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
            console.end_progress()
            console.json(results)
        finally:
            await manager.aclose()
            journal.close()
    return EXIT_OK


class _client:
    """``async with _client(settings)``: a FalClient closed on exit."""

    def __init__(self, settings: Settings, poll_interval: float | None = None) -> None:
        if poll_interval:
            from dataclasses import replace

            settings = replace(settings, poll_interval=poll_interval)
        self.client = FalClient(settings)

    async def __aenter__(self) -> FalClient:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
