"""``faltui run``: build, validate, submit (journaled), then wait, print or download.

``--count N`` submits the input N times with seeds varied exactly like the form's submit ×N
(``PreparedInput.copies``: the given seed S gives S, S+1, …; none or ``random`` gives each job
its own fresh seed). With N > 1 every line of stdout is one compact JSON object per job, in
submission order: ``-a`` prints the request ids, the default prints the handles (plus the
seed), and ``-w`` waits for all of them and prints ``{request_id, seed, state, result |
error}``. The exit code is 0 when every job finished, 1 when any failed, 3 on timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from faltui.cli.budget_gate import check_budget_or_stop
from faltui.cli.library import save_to_library
from faltui.cli.payload import prepare_input
from faltui.cli.support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    PROGRESS_EVERY,
    CliFailure,
    Console,
    cli_services,
)
from faltui.core.catalog import Catalog
from faltui.core.config import Settings
from faltui.core.endpoints import EndpointId
from faltui.core.errors import ApiError, FaltuiError, NotFoundError
from faltui.core.job import Job, JobEvent, JobState, state_text
from faltui.core.outputs import (
    DownloadProgress,
    describe_item,
    find_outputs,
    find_saveables,
    human_size,
    is_data_url,
)
from faltui.core.schema import EndpointSchema, PreparedInput
from faltui.core.storage import upload_local_files
from faltui.core.sync_run import run_journaled
from faltui.core.text import one_line
from faltui.services import Services


async def load_schema(
    catalog: Catalog, endpoint_id: str, console: Console
) -> EndpointSchema | None:
    """The model's schema, or None (with a warning) when it cannot be had."""
    try:
        return await catalog.get_schema(endpoint_id)
    except NotFoundError:
        console.note(f"warning: no schema found for {endpoint_id}; sending the input unchecked")
    except (ApiError, FaltuiError) as exc:
        console.note(f"warning: schema of {endpoint_id} unavailable ({exc}); input unchecked")
    return None


def describe(job: Job) -> str:
    """One progress line: state (with the place in the queue), elapsed time."""
    return f"{one_line(job.endpoint_id, 120)}  {state_text(job)}  {job.elapsed:.1f}s"


class Progress:
    """Prints job progress on stderr: state changes, new log lines (with ``--logs``)."""

    def __init__(self, console: Console, logs: bool) -> None:
        self.console = console
        self.logs = logs
        self.printed_logs = 0
        self.last_line = ""
        self.last_keys: dict[str, tuple[str, float]] = {}

    def __call__(self, event: JobEvent) -> None:
        job = event.job
        if self.logs:
            for log in job.logs[self.printed_logs :]:
                self.console.note(f"  {log.message}")
            self.printed_logs = len(job.logs)
        line = describe(job)
        if line == self.last_line:
            return
        self.last_line = line
        if self.console.err.isatty():
            self.console.progress(line)
            return
        # Off a terminal: a line per job when its state or queue place changes, or every
        # PROGRESS_EVERY seconds while it does not.
        key = f"{job.state.value} {job.queue_position}"
        now = self.console.clock()
        last = self.last_keys.get(job.id)
        if last is not None and last[0] == key and now - last[1] < PROGRESS_EVERY:
            return
        self.last_keys[job.id] = (key, now)
        self.console.progress(line, key=f"{job.id} {key} {now}")


async def wait_for(job: Job, timeout: float | None, poll: float = 0.05) -> bool:
    """Wait until the job is final; False on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not job.final:
        if deadline is not None and time.monotonic() >= deadline:
            return False
        await asyncio.sleep(poll)
    return True


def download_line(progress: DownloadProgress, *, with_bytes: bool) -> str:
    """``downloading 2/3 files · 1.2 MiB of 3.4 MiB``."""
    line = f"downloading {progress.files_done}/{progress.files_total} files"
    if with_bytes and progress.bytes_done:
        line += f" · {human_size(progress.bytes_done)}"
        if progress.bytes_total:
            line += f" of {human_size(progress.bytes_total)}"
    return line


async def download_outputs(
    services: Services,
    result: dict[str, Any],
    request_id: str | None,
    folder: str,
    console: Console,
) -> int:
    """Save every output of a result (files and texts) into ``folder`` through the core
    outputs service; each saved path and each failure (with its reason) on stderr.

    Returns the exit code: ``EXIT_FAILED`` when any output could not be saved.
    """
    items = find_saveables(result, request_id or "")
    if not items:
        console.note("nothing to download: the result has no files or texts")
        return EXIT_OK
    live = console.err.isatty()  # a terminal gets a live line; a log one line per file
    last = ""

    def show(progress: DownloadProgress) -> None:
        nonlocal last
        line = download_line(progress, with_bytes=live)
        if line != last:
            last = line
            console.progress(line)

    report = await services.outputs.download_all(items, folder, on_progress=show)
    console.end_progress()
    for saved in report.saved:
        console.note(f"saved {saved.path}" + (" (downloaded earlier)" if saved.reused else ""))
    for failure in report.failed:
        console.note(f"failed {describe_item(failure.item)}: {failure.reason}")
        if failure.url and not is_data_url(failure.url):
            console.note(f"  {failure.url}")
    if report.failed:
        console.note(report.headline())
        return EXIT_FAILED
    return EXIT_OK


def first_url_note(result: dict[str, Any], console: Console) -> None:
    """Tell a human on stderr where the first output is (stdout stays pure JSON)."""
    outputs = find_outputs(result)
    if outputs:
        console.note(f"{outputs[0].kind} URL: {one_line(outputs[0].url)}")


async def cmd_run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Run a model (several ``-m`` or ``--sweep``: a sweep, see ``faltui.cli.sweep``)."""
    from faltui.cli import sweep as cli_sweep

    models = list(dict.fromkeys(EndpointId.parse(m).full for m in args.model))
    endpoint_id = models[0]
    sweeping = cli_sweep.is_sweep(args, models)
    if sweeping:
        cli_sweep.check_sweep_flags(args)
        if getattr(args, "from_job", None):
            raise CliFailure(
                "--from fills one model's input: not with --sweep or several -m", EXIT_USAGE
            )
    elif args.max_in_flight is not None:
        raise CliFailure("--max-in-flight caps a sweep's jobs: add --sweep", EXIT_USAGE)
    if args.count < 1:
        raise CliFailure("--count must be at least 1", EXIT_USAGE)
    if args.sync and args.count > 1:
        raise CliFailure("--count runs jobs on the queue: drop --sync", EXIT_USAGE)
    settings.require_key()
    progress = Progress(console, args.logs and args.count == 1)
    async with cli_services(settings, console, on_event=progress) as services:
        if getattr(args, "preset", None):
            schema = await apply_preset(args, services, endpoint_id, console)
        else:
            schema = await load_schema(services.catalog, endpoint_id, console)
        if sweeping:
            schemas = {endpoint_id: schema}
            for other in models[1:]:
                schemas[other] = await load_schema(services.catalog, other, console)
            return await cli_sweep.run_sweep(services, models, schemas, args, console)
        parent_id = None
        if getattr(args, "from_job", None):
            parent_id = await apply_outputs_of(args, services, endpoint_id, schema, console)
        prepared = prepare_input(args, schema)
        await check_run_budget(services, endpoint_id, prepared.payload, args, schema, console)
        if args.sync:
            return await _run_sync(services, endpoint_id, prepared, args, console)
        return await _run_queued(services, endpoint_id, prepared, args, console, parent_id)


async def _run_sync(
    services: Services,
    endpoint_id: str,
    prepared: PreparedInput,
    args: argparse.Namespace,
    console: Console,
) -> int:
    (one,) = prepared.copies(1)  # a "random" seed is chosen here, like on the queue
    _note_seeds([one.payload], console)
    client = services.client
    payload = await upload_local_files(
        client, one.payload, progress=_upload_progress(console), files=one.local_files
    )
    # Journaled like a queued job: it counts in spend, history and the library.
    job = await run_journaled(client, services.journal, endpoint_id, payload, timeout=args.timeout)
    code = await _report(services, job, args, console)
    await save_to_library(services, [job], console)
    return code


def _upload_progress(console: Console):  # type: ignore[no-untyped-def]
    def report(sent: int, total: int) -> None:
        percent = 100 * sent / total if total else 100
        console.progress(
            f"uploading {sent / 1e6:.1f}/{total / 1e6:.1f} MB ({percent:.0f}%)",
            key=f"upload {int(percent // 10)}",
        )

    return report


async def _run_queued(
    services: Services,
    endpoint_id: str,
    prepared: PreparedInput,
    args: argparse.Namespace,
    console: Console,
    parent_id: str | None = None,
) -> int:
    manager = services.jobs
    jobs = await manager.submit_many(
        endpoint_id,
        prepared,
        args.count,
        parent_id=parent_id,
        webhook=args.webhook,
        priority=args.priority,
        lifecycle_seconds=args.lifecycle,
        start_timeout=args.start_timeout,
    )
    _note_seeds([job.input for job in jobs], console)
    if args.count > 1:
        return await report_jobs(services, jobs, args, console)
    (job,) = jobs
    if job.state is JobState.unknown:
        raise CliFailure(f"{job.error} (local job id {job.id})", EXIT_FAILED)
    if job.state is JobState.failed and not job.request_id:
        raise CliFailure(job.error or "submit failed")
    if args.async_:
        console.line(one_line(job.request_id))
        return EXIT_OK
    if not args.wait:
        handle = job.handle.to_dict() if job.handle else {"request_id": job.request_id}
        console.json(handle)
        console.note(f"submitted; follow it with: faltui poll {endpoint_id} {job.request_id}")
        return EXIT_OK
    finished = await wait_for(job, args.timeout)
    console.end_progress()
    if not finished:
        console.note(
            f"timed out after {args.timeout:g}s; the job is still "
            f"{job.state.value}: faltui poll {endpoint_id} {job.request_id}"
        )
        return EXIT_TIMEOUT
    code = await _report(services, job, args, console)
    await save_to_library(services, [job], console)
    return code


async def apply_preset(
    args: argparse.Namespace, services: Services, endpoint_id: str, console: Console
) -> EndpointSchema | None:
    """``--preset NAME``: its input becomes the base the other flags change; what changed in
    the model's schema since it was saved is said on stderr. A preset filling a field the
    model no longer has stops the run (fal would ignore that value) unless ``--no-validate``.
    Returns the model's schema as fal serves it now."""
    from faltui.cli.presets import current_schema, report_check
    from faltui.core.presets import PresetError

    schema = await current_schema(services, endpoint_id, console)
    try:
        preset = services.presets.get(endpoint_id, args.preset)
    except PresetError as exc:
        raise CliFailure(str(exc), EXIT_USAGE) from exc
    base, check = preset.apply(schema)
    report_check(preset, check, console)
    gone = [change.path for change in check.changes if change.kind == "gone"]
    if gone and not args.no_validate:
        names = ", ".join(repr(name) for name in gone)
        raise CliFailure(
            f"preset {preset.name!r} fills {names}, which {endpoint_id} no longer has "
            f"(fal would ignore it); nothing was sent. Save the preset again without it "
            f"(faltui preset save {preset.name} -m {endpoint_id} ...), or add --no-validate "
            "to send it as it is",
            EXIT_USAGE,
        )
    args.preset_input = base
    return schema


async def apply_outputs_of(
    args: argparse.Namespace,
    services: Services,
    endpoint_id: str,
    schema: EndpointSchema | None,
    console: Console,
) -> str:
    """``--from JOB``: put the job's outputs into the inputs of ``endpoint_id`` that take
    them (local copies for files fal no longer serves), under the other flags; says on
    stderr which output went where. Exit 2 when nothing maps. Returns the parent's id."""
    from faltui.cli.jobref import find_job
    from faltui.core.send_to import plan_send, sendables, with_local_copies

    if getattr(args, "sync", False):
        raise CliFailure("--from records the parent in the journal: drop --sync", EXIT_USAGE)
    parent = find_job(services.journal, args.from_job)
    outputs = sendables(parent)
    if not outputs:
        raise CliFailure(
            f"job {parent.id} ({parent.endpoint_id}, {parent.state.value}) has no outputs to send",
            EXIT_USAGE,
        )
    if schema is None or not schema.input:
        raise CliFailure(
            f"{endpoint_id} publishes no input schema here: cannot tell which inputs take "
            "files; pass them with --param",
            EXIT_USAGE,
        )
    library = services.library
    usable = await with_local_copies(outputs, lambda url: library.usable_url(url, parent))
    plan = plan_send(schema, usable)
    if not plan.ok:
        kinds = ", ".join(dict.fromkeys(o.kind for o in outputs))
        raise CliFailure(
            f"no input of {endpoint_id} takes the outputs of job {parent.id} ({kinds}); "
            "nothing was sent",
            EXIT_USAGE,
        )
    for line in plan.lines():
        console.note(f"from {parent.id}: {line}")
    args.preset_input = {**(getattr(args, "preset_input", None) or {}), **plan.values}
    return parent.id


async def check_run_budget(
    services: Services,
    endpoint_id: str,
    payload: dict[str, Any],
    args: argparse.Namespace,
    schema: EndpointSchema | None,
    console: Console,
) -> None:
    """The budget check of this run (``--count`` jobs): exit 2 before sending unless ``--yes``."""
    services.open("journal")  # before the check: what opening it found is said first
    await check_budget_or_stop(
        services,
        endpoint_id,
        payload,
        getattr(args, "count", 1) or 1,
        schema,
        yes=getattr(args, "yes", False),
        console=console,
    )


def _note_seeds(payloads: list[dict[str, Any]], console: Console) -> None:
    """Say on stderr which seeds the jobs got (chosen here when the seed was random)."""
    seeds = [str(p["seed"]) for p in payloads if isinstance(p.get("seed"), int)]
    if seeds:
        console.note(f"seed{'s' if len(seeds) > 1 else ''}: {', '.join(seeds)}")


def _seed_of(job: Job) -> Any:
    return job.input.get("seed") if isinstance(job.input, dict) else None


async def report_jobs(
    services: Services,
    jobs: list[Job],
    args: argparse.Namespace,
    console: Console,
    *,
    head: Callable[[Job], dict[str, Any]] | None = None,
    label: str = "",
    expected: int | None = None,
) -> int:
    """Several jobs (``--count N``, a sweep): one JSON line per job, in submission order (see
    the module docstring). ``head``: what each line starts with (default: its seed);
    ``label``: what the summary line names; ``expected``: how many jobs there should have
    been (fewer sent is a failure)."""
    head = head or (lambda job: {"seed": _seed_of(job)})
    expected = len(jobs) if expected is None else expected
    # Refused, or sent without an answer (unknown: never resent; `faltui reconcile` settles it).
    refused = [job for job in jobs if not job.request_id]
    console.note(f"{label}submitted {len(jobs) - len(refused)} of {expected} jobs")
    if args.async_:
        for job in jobs:
            console.line(job.request_id or "")
        return EXIT_FAILED if refused else EXIT_OK
    if not args.wait:
        for job in jobs:
            line = {**head(job)}
            line.update(job.handle.to_dict() if job.handle else {"request_id": job.request_id})
            if job.error:
                line["error"] = job.error
            console.line(json.dumps(line, ensure_ascii=False))
        return EXIT_FAILED if refused else EXIT_OK
    finished = await services.jobs.wait_all(args.timeout)
    console.end_progress()
    code = EXIT_OK
    for job in jobs:
        line = {**head(job), "request_id": job.request_id, "state": job.state.value}
        if job.state is JobState.done:
            line["result"] = job.result
            if args.download and job.result is not None:
                saved = await download_outputs(
                    services, job.result, job.request_id, args.download, console
                )
                code = max(code, saved)
        else:
            line["error"] = job.error
        console.line(json.dumps(line, ensure_ascii=False))
    await save_to_library(services, jobs, console)
    if not finished:
        console.note(f"timed out after {args.timeout:g}s; some jobs are still running")
        return EXIT_TIMEOUT
    if len(jobs) < expected or any(job.state is not JobState.done for job in jobs):
        return EXIT_FAILED
    return code


async def _report(services: Services, job: Job, args: argparse.Namespace, console: Console) -> int:
    if job.state is JobState.done and job.result is not None:
        console.json(job.result)
        console.note(f"completed in {job.elapsed:.1f}s")
        first_url_note(job.result, console)
        if args.download:
            return await download_outputs(
                services, job.result, job.request_id, args.download, console
            )
        return EXIT_OK
    detail = job.error or job.state.value
    for error in job.field_errors:
        detail += f"\n  {error}"
    if job.logs and not args.logs:
        detail += "\nlast log lines:\n" + "\n".join(f"  {x.message}" for x in job.logs[-5:])
    raise CliFailure(f"{job.endpoint_id} {job.state.value}: {detail}", EXIT_FAILED)
