"""FalClient against the emulator over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from http_recorder import Recorder

from faltui.core.client import FalClient, LogDeduper, QueueHandle, Status, WaitTimeout
from faltui.core.config import Settings
from faltui.core.errors import (
    AlreadyCompletedError,
    ApiError,
    ApiValidationError,
    AppError,
    LockedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
)
from faltui.emulator import LOCKED_KEY

FLUX = "fal-ai/flux/dev"
PROMPT = {"prompt": "a lighthouse at dusk"}


class Sleeps:
    """Records back-off sleeps and sleeps only a token amount (keeps tests fast)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(emu_settings: Settings, sleeps: Sleeps) -> AsyncIterator[FalClient]:
    fal = FalClient(emu_settings, sleep=sleeps, rng=lambda: 0.5)
    try:
        yield fal
    finally:
        await fal.aclose()


def _fast(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, poll_interval=0.01)


# -- the happy path -----


async def test_submit_status_result(client: FalClient, emulator: Any) -> None:
    handle = await client.submit(FLUX, PROMPT)
    assert handle.request_id in emulator.jobs
    assert handle.status_url.startswith(emulator.base_url)
    assert handle.endpoint_id == FLUX
    first = await client.status(handle)
    assert first.state in ("IN_QUEUE", "IN_PROGRESS")
    states = [first.state]
    for _ in range(400):
        status = await client.status(handle)
        states.append(status.state)
        if status.done:
            break
        await asyncio.sleep(0.01)
    assert states[-1] == "COMPLETED"
    assert "IN_PROGRESS" in states
    assert not status.failed
    result = await client.result(handle)
    assert result["images"] and result["images"][0]["url"].startswith(emulator.base_url)
    # The key reached the emulator (a keyed origin) on submit.
    job = emulator.jobs[handle.request_id]
    assert job.input == PROMPT


async def test_logs_deduplicated_across_polls(client: FalClient) -> None:
    handle = await client.submit(FLUX, PROMPT)
    dedupe = LogDeduper()
    collected: list[str] = []
    all_seen = 0
    while True:
        status = await client.status(handle, logs=True)
        all_seen += len(status.logs)
        collected += [line.message for line in dedupe.new(status.logs)]
        if status.done:
            break
        await asyncio.sleep(0.005)
    assert collected, "the emulator prints log lines while in progress"
    assert len(collected) == len(set(collected))
    assert all_seen >= len(collected)
    no_logs = await client.status(handle, logs=False)
    assert no_logs.logs == []


async def test_stream_status_until_completed(client: FalClient, emulator: Any) -> None:
    handle = await client.submit(FLUX, PROMPT)
    events: list[Status] = [s async for s in client.stream_status(handle)]
    assert events[-1].done
    assert all(not e.done for e in events[:-1])
    assert any(e.logs for e in events)
    assert emulator.counters["status_stream"] == 1


async def test_wait_streams_and_reports(client: FalClient, emulator: Any) -> None:
    handle = await client.submit(FLUX, PROMPT)
    seen: list[str] = []
    result = await client.wait(handle, on_status=lambda s: seen.append(s.state))
    assert "images" in result
    assert seen[-1] == "COMPLETED"
    assert emulator.counters["status_stream"] == 1
    assert emulator.counters["status"] == 0


async def test_wait_falls_back_to_polling(emu_settings: Settings, emulator: Any) -> None:
    emulator.chaos.fail_next("status_stream", 500, count=5)
    async with FalClient(_fast(emu_settings)) as fal:
        handle = await fal.submit(FLUX, PROMPT)
        result = await fal.wait(handle)
    assert "images" in result
    assert emulator.counters["status"] >= 1


async def test_wait_polling_only(emu_settings: Settings, emulator: Any) -> None:
    async with FalClient(_fast(emu_settings)) as fal:
        handle = await fal.submit(FLUX, PROMPT)
        states: list[str] = []
        await fal.wait(handle, stream=False, on_status=lambda s: states.append(s.state))
    assert emulator.counters["status_stream"] == 0
    assert states[-1] == "COMPLETED"


async def test_wait_timeout(emu_settings: Settings, emulator: Any) -> None:
    emulator.script_next_jobs("slow")
    async with FalClient(_fast(emu_settings)) as fal:
        handle = await fal.submit(FLUX, PROMPT)
        with pytest.raises(WaitTimeout) as info:
            await fal.wait(handle, timeout=0.05)
    assert info.value.handle.request_id == handle.request_id


async def test_run_sync(client: FalClient, emulator: Any) -> None:
    result = await client.run(FLUX, PROMPT)
    # Sync runs go to the emulator's run port; their files are served where the client is.
    assert result["images"][0]["url"].startswith(emulator.run_url)
    assert emulator.counters["run"] == 1


async def test_run_sync_rejects_invalid_input(client: FalClient, emulator: Any) -> None:
    with pytest.raises(ApiValidationError) as info:
        await client.run(FLUX, {"prompt": "x", "num_images": "many"})
    assert ("num_images",) in [e.path for e in info.value.field_errors]


async def test_submit_options_reach_the_queue(client: FalClient, emulator: Any) -> None:
    handle = await client.submit(
        FLUX,
        PROMPT,
        webhook="https://hooks.example/done",
        priority="low",
        lifecycle_seconds=600,
        start_timeout=20,
    )
    job = emulator.jobs[handle.request_id]
    assert job.webhook == "https://hooks.example/done"
    headers = {k.lower(): v for k, v in job.headers.items()}
    assert headers["x-fal-queue-priority"] == "low"
    assert headers["x-fal-request-timeout"] == "20"
    assert json.loads(headers["x-fal-object-lifecycle-preference"]) == {
        "expiration_duration_seconds": 600
    }


async def test_reattach_by_id(client: FalClient) -> None:
    handle = await client.submit(FLUX, PROMPT)
    again = client.handle_for(FLUX, handle.request_id)
    assert again.status_url == handle.status_url
    assert "images" in await client.wait(again)


# -- cancel -----


async def test_cancel_then_result_is_cancelled(client: FalClient, emulator: Any) -> None:
    emulator.script_next_jobs("slow")
    handle = await client.submit(FLUX, PROMPT)
    await client.cancel(handle)
    with pytest.raises(AppError) as info:
        await client.wait(handle)
    assert info.value.error_type == "client_cancelled"
    with pytest.raises(AlreadyCompletedError):
        await client.cancel(handle)


async def test_cancel_unknown_request(client: FalClient) -> None:
    with pytest.raises(NotFoundError):
        await client.cancel(client.handle_for(FLUX, "00000000-0000-0000-0000-000000000000"))


# -- failed jobs -----


async def test_failed_jobs_raise_mapped_errors(client: FalClient, emulator: Any) -> None:
    emulator.script_next_jobs("validation")
    handle = await client.submit(FLUX, PROMPT)
    with pytest.raises(ApiValidationError) as info:
        await client.wait(handle)
    assert info.value.field_errors[0].path == ("prompt",)
    assert info.value.request_id == handle.request_id

    emulator.script_next_jobs("app_error")
    handle = await client.submit(FLUX, PROMPT)
    with pytest.raises(AppError) as app:
        await client.wait(handle)
    assert app.value.error_type == "runner_server_error"
    assert app.value.retryable is False
    assert handle.request_id in str(app.value)

    emulator.script_next_jobs("timeout")
    handle = await client.submit(FLUX, PROMPT, start_timeout=5)
    with pytest.raises(AppError) as timeout:
        await client.wait(handle)
    assert timeout.value.error_type == "request_timeout"


async def test_invalid_input_is_a_validation_failure(client: FalClient) -> None:
    handle = await client.submit(FLUX, {"prompt": "x", "num_images": "many"})
    with pytest.raises(ApiValidationError) as info:
        await client.wait(handle)
    assert ("num_images",) in [e.path for e in info.value.field_errors]


async def test_result_before_completion(client: FalClient, emulator: Any) -> None:
    emulator.script_next_jobs("slow")
    handle = await client.submit(FLUX, PROMPT)
    with pytest.raises(ApiError) as info:
        await client.result(handle)
    assert info.value.status == 400
    assert "in progress" in str(info.value)


# -- status codes -----


@pytest.mark.parametrize(
    ("route", "status", "cls"),
    [
        ("submit", 401, UnauthorizedError),
        ("submit", 403, LockedError),
        ("submit", 404, NotFoundError),
        ("submit", 422, ApiValidationError),
        ("submit", 500, OutcomeUnknownError),
        ("submit", 504, OutcomeUnknownError),
        ("status", 404, NotFoundError),
        ("result", 500, AppError),
        ("cancel", 404, NotFoundError),
    ],
)
async def test_error_status_codes(
    client: FalClient, emulator: Any, route: str, status: int, cls: type
) -> None:
    handle = None
    if route != "submit":
        handle = await client.submit(FLUX, PROMPT)
        if route == "result":
            await client.wait(handle)
    emulator.chaos.fail_next(route, status)
    with pytest.raises(cls) as info:
        if handle is None:
            await client.submit(FLUX, PROMPT)
        elif route == "status":
            await client.status(handle)
        elif route == "result":
            await client.result(handle, failed=True)  # a failed request's own 500: not re-asked
        else:
            await client.cancel(handle)
    assert info.value.status == status
    assert info.value.request_id  # the emulator's x-fal-request-id is surfaced
    assert info.value.request_id in str(info.value)
    assert emulator.counters[route] == (1 if route != "result" else 2)
    if cls is OutcomeUnknownError:
        assert info.value.maybe_sent and info.value.error_type  # the cause is kept


async def test_locked_and_bad_keys(emu_settings: Settings) -> None:
    from dataclasses import replace

    async with FalClient(replace(emu_settings, key=LOCKED_KEY)) as fal:
        with pytest.raises(LockedError) as locked:
            await fal.submit(FLUX, PROMPT)
    assert "balance" in str(locked.value).lower() or "locked" in str(locked.value).lower()
    async with FalClient(replace(emu_settings, key="wrong:key")) as fal:
        with pytest.raises(UnauthorizedError):
            await fal.submit(FLUX, PROMPT)


async def test_unknown_app(client: FalClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.submit("nobody/nothing-here", PROMPT)
    assert "nothing-here" in str(info.value)


# -- retry policy over the wire -----


async def test_dropped_submit_is_not_resent(client: FalClient, emulator: Any) -> None:
    emulator.chaos.drop_next("submit")
    with pytest.raises(TransportError) as info:
        await client.submit(FLUX, PROMPT)
    assert info.value.maybe_sent is True
    assert emulator.counters["submit"] == 1
    assert len(emulator.jobs) == 1  # fal did create it: resending would double-bill


async def test_submit_read_timeout_is_not_resent(emu_settings: Settings, emulator: Any) -> None:
    from dataclasses import replace

    emulator.chaos.latency = 0.3
    sleeps = Sleeps()
    async with FalClient(replace(emu_settings, read_timeout=0.1), sleep=sleeps) as fal:
        with pytest.raises(TransportError) as info:
            await fal.submit(FLUX, PROMPT)
    assert info.value.maybe_sent is True
    assert emulator.counters["submit"] == 1
    assert sleeps.calls == []


async def test_status_read_timeout_is_retried(
    client: FalClient, emu_settings: Settings, emulator: Any
) -> None:
    from dataclasses import replace

    handle = await client.submit(FLUX, PROMPT)
    emulator.chaos.latency = 0.4
    async with FalClient(replace(emu_settings, read_timeout=0.1), sleep=Sleeps()) as fal:
        with pytest.raises(TransportError) as info:
            await fal.status(handle)
    assert emulator.counters["status"] == fal.retry.attempts
    assert "did not answer" in str(info.value)


def test_http_client_settings(emu_settings: Settings) -> None:
    from dataclasses import replace

    from faltui.core.client import make_http_client

    http = make_http_client(replace(emu_settings, connect_timeout=3.0, read_timeout=42.0))
    assert http.timeout.connect == 3.0
    assert http.timeout.read == 42.0
    assert "authorization" not in http.headers
    assert http.follow_redirects is False


async def test_submit_429_is_retried(client: FalClient, emulator: Any, sleeps: Sleeps) -> None:
    emulator.chaos.fail_next("submit", 429, headers={"Retry-After": "2"})
    handle = await client.submit(FLUX, PROMPT)
    assert handle.request_id in emulator.jobs
    assert emulator.counters["submit"] == 2
    assert sleeps.calls == [2.0]


async def test_submit_ingress_503_retried_but_fal_503_not(client: FalClient, emulator: Any) -> None:
    emulator.chaos.fail_next("submit", 503, with_request_id=False)
    await client.submit(FLUX, PROMPT)
    assert emulator.counters["submit"] == 2
    emulator.chaos.fail_next("submit", 503)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.submit(FLUX, PROMPT)
    assert info.value.error_type == "runner_scheduling_failure"
    assert emulator.counters["submit"] == 3


async def test_status_result_cancel_retry_transient_failures(
    client: FalClient, emulator: Any
) -> None:
    handle = await client.submit(FLUX, PROMPT)
    emulator.chaos.fail_next("status", 502, with_request_id=False)
    emulator.chaos.drop_next("status")
    emulator.chaos.fail_next("status", 429)
    await client.status(handle)
    assert emulator.counters["status"] == 4
    await client.wait(handle)
    emulator.chaos.drop_next("result")
    assert "images" in await client.result(handle)


async def test_rate_limit_gives_up(client: FalClient, emulator: Any, sleeps: Sleeps) -> None:
    handle = await client.submit(FLUX, PROMPT)
    emulator.chaos.fail_next("status", 429, count=10)
    with pytest.raises(RateLimitedError):
        await client.status(handle)
    assert emulator.counters["status"] == client.retry.attempts
    assert len(sleeps.calls) == client.retry.attempts - 1


# -- the key stays with fal -----


async def test_key_not_sent_to_foreign_origins(client: FalClient, emulator: Any) -> None:
    with Recorder() as foreign:
        status_body = json.dumps({"status": "COMPLETED", "request_id": "r", "logs": None})
        status_url = foreign.serve("/x/requests/r/status", status_body)
        result_url = foreign.serve("/x/requests/r", '{"images": []}')
        handle = QueueHandle(FLUX, "r", status_url, result_url, result_url + "/cancel")
        assert (await client.status(handle)).done
        assert await client.result(handle) == {"images": []}
        # The emulator rejects a submit without the key: success proves fal's host got it.
        handle = await client.submit(FLUX, PROMPT)
    assert foreign.headers_seen("authorization") == [None, None]
    assert handle.request_id in emulator.jobs


async def test_pool_handles_many_concurrent_jobs(client: FalClient, emulator: Any) -> None:
    n = 40
    handles = await asyncio.gather(*(client.submit(FLUX, {"prompt": f"p{i}"}) for i in range(n)))
    assert len({h.request_id for h in handles}) == n
    # One open status stream per job, all at once, on the one shared pool.
    results = await asyncio.gather(*(client.wait(h) for h in handles))
    assert all("images" in r for r in results)
    assert emulator.counters["status_stream"] == n


async def test_shared_http_client_is_not_closed(emu_settings: Settings) -> None:
    async with httpx.AsyncClient() as http:
        fal = FalClient(emu_settings, http)
        await fal.aclose()
        assert not http.is_closed
