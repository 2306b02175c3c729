"""JobManager and its scheduler, against the emulator over real loopback HTTP.

A few scheduling details (back-off timing, stream bounds) are checked with a scripted in-memory
client and an injected clock, where real time would make the test slow or flaky.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from faltui.core.client import FalClient, LogLine, QueueHandle, ResultAnswer, Status
from faltui.core.config import Settings
from faltui.core.errors import ApiError
from faltui.core.job import Job, JobEvent, JobState
from faltui.core.jobs import JobManager, safe_options
from faltui.core.journal import Journal
from faltui.core.schema import prepare

ENDPOINT = "fal-ai/flux/dev"
FAST = 0.02  # poll interval used against the emulator (its time scale is small too)


class Harness:
    """A FalClient + Journal + JobManager on the emulator, closed at teardown."""

    def __init__(self, settings: Settings, journal_path: Path) -> None:
        self.settings = settings
        self.journal_path = journal_path
        self.events: list[JobEvent] = []
        self._open: list[Any] = []

    def manager(self, **kw: Any) -> JobManager:
        client = FalClient(self.settings)
        journal = Journal(self.journal_path)
        kw.setdefault("poll_interval", FAST)
        kw.setdefault("on_event", self.events.append)
        manager = JobManager(client, journal, **kw)
        self._open.append((manager, client, journal))
        return manager

    def db_rows(self) -> list[tuple[Any, ...]]:
        """Rows as another process would see them (a separate connection)."""
        conn = sqlite3.connect(self.journal_path)
        try:
            return conn.execute("SELECT id, state, request_id, handle FROM jobs").fetchall()
        finally:
            conn.close()

    async def close(self) -> None:
        for manager, client, journal in self._open:
            await manager.aclose()
            await client.aclose()
            journal.close()


@pytest.fixture
async def harness(emu_settings: Settings, tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(emu_settings, tmp_path / "journal.sqlite3")
    yield h
    await h.close()


def kinds(events: list[JobEvent], job: Job) -> list[str]:
    return [e.kind for e in events if e.job.id == job.id]


# -- the happy path --------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "poll"])
async def test_job_runs_to_done_with_logs_and_result(harness: Harness, stream: bool) -> None:
    manager = harness.manager(stream=stream)
    job = await manager.submit(ENDPOINT, {"prompt": "a red fox", "seed": 3}, label="fox")
    assert job.request_id and job.handle is not None
    assert job.state in (JobState.queued, JobState.running)
    assert await manager.wait_all(timeout=20)
    assert job.state is JobState.done, job.error
    assert job.result is not None and job.result["images"][0]["url"].startswith("http")
    assert any("Loading model" in line.message for line in job.logs)
    assert len({(ln.timestamp, ln.message) for ln in job.logs}) == len(job.logs)  # no repeats
    assert job.finished_at is not None and job.elapsed >= 0
    assert job.label == "fox" and manager.get(job.id) is job and manager.jobs() == [job]
    seen = kinds(harness.events, job)
    assert seen[0] == "added" and seen[-1] == "finished" and "log" in seen
    stored = Journal(harness.journal_path)
    try:
        (row,) = stored.load_all()
        assert row.state is JobState.done and row.result == job.result
        assert row.handle == job.handle and row.logs == job.logs
    finally:
        stored.close()
    used = manager.scheduler.stats
    assert (used.streams_opened > 0) is stream


async def test_app_error_fails_with_the_error_text(harness: Harness, emulator: Any) -> None:
    emulator.script_next_jobs("app_error")
    manager = harness.manager()
    job = await manager.submit(ENDPOINT, {"prompt": "crash"})
    assert await manager.wait_all(timeout=20)
    assert job.state is JobState.failed
    assert "Emulated model crash" in (job.error or "")
    assert job.error_type == "runner_server_error"
    assert job.result is None
    assert any("RuntimeError" in line.message for line in job.logs)


async def test_validation_error_maps_to_field_errors(harness: Harness, emulator: Any) -> None:
    emulator.script_next_jobs("validation")
    manager = harness.manager()
    job = await manager.submit(ENDPOINT, {"prompt": "x"})
    assert await manager.wait_all(timeout=20)
    assert job.state is JobState.failed
    assert [fe.path for fe in job.field_errors] == [("prompt",)]
    assert "validation failure" in job.field_errors[0].message.lower()
    reloaded = Journal(harness.journal_path)
    try:
        assert reloaded.get(job.id).field_errors == job.field_errors  # type: ignore[union-attr]
    finally:
        reloaded.close()


# -- cancel and re-run -----------------------------------------------------------------------


async def test_cancel_turns_the_job_cancelled(harness: Harness, emulator: Any) -> None:
    emulator.script_next_jobs("slow")
    manager = harness.manager()
    job = await manager.submit(ENDPOINT, {"prompt": "slow one"})
    await manager.cancel(job.id)
    assert await manager.wait_all(timeout=20)
    assert job.state is JobState.cancelled
    assert job.error_type == "client_cancelled"
    assert emulator.counters["cancel"] == 1
    await manager.cancel(job.id)  # final: nothing is sent
    assert emulator.counters["cancel"] == 1


async def test_cancel_while_the_submit_is_in_flight(harness: Harness, emulator: Any) -> None:
    emulator.script_next_jobs("slow")
    emulator.chaos.latency = 0.2
    manager = harness.manager()
    submitting = asyncio.ensure_future(manager.submit(ENDPOINT, {"prompt": "hurry"}))
    while not manager.jobs():
        await asyncio.sleep(0.005)
    (pending,) = manager.jobs()
    assert pending.state is JobState.pending
    await manager.cancel(pending.id)  # no handle yet: the cancel goes out once fal answers
    assert emulator.counters["cancel"] == 0
    job = await submitting
    emulator.chaos.latency = 0.0
    assert await manager.wait_all(timeout=20)
    assert job is pending and job.state is JobState.cancelled
    assert emulator.counters["cancel"] == 1


async def test_cancel_of_a_job_fal_already_finished_is_ignored(
    harness: Harness, emulator: Any
) -> None:
    # Polling only, and slowly: fal finishes the job before we look again.
    manager = harness.manager(stream=False, poll_interval=30.0)
    job = await manager.submit(ENDPOINT, {"prompt": "quick"})
    rid = job.request_id
    for _ in range(400):
        if emulator.jobs[rid].state == "COMPLETED":
            break
        await asyncio.sleep(0.01)
    await manager.cancel(job.id)  # fal answers 400 ALREADY_COMPLETED: not an error
    assert emulator.counters["cancel"] == 1
    assert await manager.wait_all(timeout=20)  # the cancel poked the scheduler: no 30 s wait
    assert job.state is JobState.done


async def test_rerun_submits_the_same_input_as_a_new_job(harness: Harness, emulator: Any) -> None:
    manager = harness.manager()
    first = await manager.submit(ENDPOINT, {"prompt": "again", "seed": 11}, label="twice")
    second = await manager.rerun(first.id)
    assert second.id != first.id and second.request_id != first.request_id
    assert second.input == first.input and second.label == "twice"
    assert await manager.wait_all(timeout=20)
    assert first.state is second.state is JobState.done
    inputs = [emulator.jobs[j.request_id].input for j in (first, second)]
    assert inputs[0] == inputs[1] == {"prompt": "again", "seed": 11}
    with pytest.raises(KeyError):
        await manager.rerun("nope")


# -- many jobs, one scheduler -----------------------------------------------------------------


async def test_200_jobs_finish_with_bounded_status_traffic(harness: Harness, emulator: Any) -> None:
    manager = harness.manager(max_active=16, poll_interval=0.05, poll_concurrency=8)
    jobs = await manager.submit_many(ENDPOINT, prepare(None, {"prompt": "many", "seed": 1}), 200)
    assert len(jobs) == 200
    assert await manager.wait_all(timeout=90)
    assert all(job.state is JobState.done for job in jobs), {j.state for j in jobs}
    assert all(job.result for job in jobs)
    stats = manager.scheduler.stats
    assert stats.peak_streams <= 16 and stats.peak_polling <= 8
    status_requests = emulator.counters["status"] + emulator.counters["status_stream"]
    assert emulator.counters["result"] == 200 and emulator.counters["submit"] == 200
    # A naive client polling every 0.05 s would need (job duration / 0.05) per job; the
    # scheduler stays well under that thanks to streams and back-off.
    assert status_requests / 200 <= 12, emulator.counters
    assert len({j.input["seed"] for j in jobs}) == 200


async def test_each_job_gets_its_own_stream_at_once_and_costs_three_requests(
    harness: Harness, emulator: Any
) -> None:
    # Pushed streams are cheap: while the capacity allows, a job is submit + stream + result,
    # never polled (the policy before: a first poll, then a stream for at most 64 jobs).
    manager = harness.manager()
    payloads = [{"prompt": "each", "seed": seed} for seed in range(30)]
    jobs = await manager.submit_batch(ENDPOINT, payloads)
    assert await manager.wait_all(timeout=60)
    assert all(job.state is JobState.done for job in jobs)
    stats = manager.scheduler.stats
    assert stats.polls == 0 and stats.streams_opened == 30
    counted = {k: emulator.counters[k] for k in ("submit", "status", "status_stream", "result")}
    assert counted == {"submit": 30, "status": 0, "status_stream": 30, "result": 30}


async def test_refused_streams_lower_the_capacity_and_jobs_still_finish(
    harness: Harness, emulator: Any
) -> None:
    # The server takes no more streams (503 on opening): those jobs are polled meanwhile
    # and streamed when a slot is free; nothing fails and nothing is resubmitted.
    manager = harness.manager()
    emulator.chaos.fail_next("status_stream", 503, count=3)
    jobs = [await manager.submit(ENDPOINT, {"prompt": "full", "seed": i}) for i in range(6)]
    assert await manager.wait_all(timeout=60)
    assert all(job.state is JobState.done for job in jobs), [j.error for j in jobs]
    stats = manager.scheduler.stats
    assert stats.streams_refused == 3 and stats.stream_fallbacks == 0
    assert emulator.counters["submit"] == 6 and emulator.counters["result"] == 6
    assert manager.scheduler.stream_capacity >= 1


async def test_submit_batch_bounds_concurrent_submits(harness: Harness) -> None:
    manager = harness.manager(submit_concurrency=3)
    client = manager.client
    real_submit = client.submit
    active = peak = 0

    async def counting_submit(*args: Any, **kw: Any) -> QueueHandle:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            await asyncio.sleep(0.01)
            return await real_submit(*args, **kw)
        finally:
            active -= 1

    client.submit = counting_submit  # type: ignore[method-assign]
    jobs = await manager.submit_batch(ENDPOINT, [{"prompt": str(i)} for i in range(10)], label="b")
    assert peak == 3
    assert [j.label for j in jobs] == [f"b #{i}" for i in range(1, 11)]
    assert await manager.wait_all(timeout=30)


# -- durability --------------------------------------------------------------------------------


async def test_journal_has_the_request_before_submit_returns(
    harness: Harness, emulator: Any
) -> None:
    emulator.chaos.fail_next("status", 500, count=1000)
    emulator.chaos.fail_next("status_stream", 500, count=1000)
    seen_on_disk: list[bool] = []

    def check(event: JobEvent) -> None:
        if event.job.request_id and not seen_on_disk:
            rows = harness.db_rows()
            seen_on_disk.append(any(r[2] == event.job.request_id and r[3] for r in rows))

    manager = harness.manager(on_event=check)
    job = await manager.submit(ENDPOINT, {"prompt": "keep me"})
    assert seen_on_disk == [True]  # already committed when the first event told anyone
    (row,) = harness.db_rows()
    assert row[0] == job.id and row[1] == "queued" and row[2] == job.request_id
    assert job.handle is not None and job.handle.status_url in row[3]
    assert not await manager.wait_all(timeout=0.3)  # status keeps failing: still tracked
    assert job.state is JobState.queued


async def test_dropped_submit_is_not_resent_and_the_job_is_kept(
    harness: Harness, emulator: Any
) -> None:
    emulator.chaos.drop_next("submit")
    manager = harness.manager()
    job = await manager.submit(ENDPOINT, {"prompt": "lost answer"})
    assert emulator.counters["submit"] == 1 and len(emulator.jobs) == 1  # fal did get it
    assert job.state is JobState.unknown and job.error_type == "outcome_unknown"
    assert "not resubmitted" in (job.error or "") and job.request_id is None
    assert manager.jobs() == [job]
    assert [r[1] for r in harness.db_rows()] == ["unknown"]
    assert await manager.wait_all(timeout=5)
    assert emulator.counters["submit"] == 1


async def test_refused_submit_gives_a_failed_job(harness: Harness, emulator: Any) -> None:
    emulator.chaos.fail_next("submit", 403, body={"detail": "User is locked"})
    manager = harness.manager()
    job = await manager.submit(ENDPOINT, {"prompt": "no money"})
    assert job.state is JobState.failed and "User is locked" in (job.error or "")
    assert kinds(harness.events, job) == ["added", "finished"]


async def test_resume_reattaches_unfinished_jobs(harness: Harness, emulator: Any) -> None:
    emulator.script_next_jobs("slow", count=2)
    first = harness.manager()
    a = await first.submit(ENDPOINT, {"prompt": "a"})
    b = await first.submit(ENDPOINT, {"prompt": "b"})
    await first.aclose()  # faltui quits while both are live
    # b's handle was never saved: re-attach builds owner/app URLs from its request id.
    conn = sqlite3.connect(harness.journal_path)
    conn.execute("UPDATE jobs SET handle = NULL WHERE id = ?", (b.id,))
    conn.commit()
    conn.close()
    second = harness.manager()
    resumed = await second.resume_unfinished()
    assert sorted(j.request_id for j in resumed) == sorted([a.request_id, b.request_id])
    assert await second.wait_all(timeout=30)
    for job in second.jobs():
        assert job.state is JobState.done and job.result
    assert emulator.counters["submit"] == 2  # nothing was resubmitted
    assert await second.resume_unfinished() == []  # already attached
    third = harness.manager()
    assert await third.resume_unfinished() == []  # journal says: all final
    history = third.load_history()
    assert {j.id for j in history} == {a.id, b.id}


async def test_resume_marks_interrupted_submits_by_whether_they_were_sent(
    harness: Harness,
) -> None:
    journal = Journal(harness.journal_path)
    never_sent = Job(ENDPOINT, {"prompt": "still uploading"}, created_at=1.0)
    mid_submit = Job(ENDPOINT, {"prompt": "mid-submit"}, created_at=2.0, sent_at=2.5)
    journal.record(never_sent)
    journal.record(mid_submit)
    journal.close()
    manager = harness.manager()
    assert await manager.resume_unfinished() == []
    first, second = manager.jobs()
    assert first.state is JobState.failed and "nothing was sent" in (first.error or "")
    assert second.state is JobState.unknown and second.error_type == "outcome_unknown"


async def test_resumed_request_fal_does_not_know_is_lost(harness: Harness) -> None:
    journal = Journal(harness.journal_path)
    journal.record(
        Job(ENDPOINT, {"prompt": "old"}, state=JobState.queued, request_id="no-such-request")
    )
    journal.close()
    manager = harness.manager()
    (job,) = await manager.resume_unfinished()
    assert job.handle is not None and "no-such-request" in job.handle.status_url
    assert await manager.wait_all(timeout=20)
    assert job.state is JobState.lost and job.error_type
    assert "does not know" in (job.error or "")


async def test_journal_never_holds_the_key(harness: Harness, emu_settings: Settings) -> None:
    manager = harness.manager()
    job = await manager.submit(
        ENDPOINT,
        {"prompt": "secret?"},
        priority="low",
        headers={"Authorization": f"Key {emu_settings.key}", "X-Fal-Store-IO": "0"},
    )
    assert await manager.wait_all(timeout=20)
    assert job.options == {"priority": "low", "headers": {"X-Fal-Store-IO": "0"}}
    await harness.close()
    assert emu_settings.key
    for path in harness.journal_path.parent.glob("journal.sqlite3*"):
        assert emu_settings.key.encode() not in path.read_bytes()


def local_png(folder: Path) -> Path:
    """A small PNG-headed file to upload."""
    image = folder / "in.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2048)
    return image


async def test_local_files_are_uploaded_first(
    harness: Harness, emulator: Any, tmp_path: Path
) -> None:
    image = local_png(tmp_path)
    manager = harness.manager()
    job = await manager.submit("fal-ai/flux/dev/image-to-image", {"image_url": str(image)})
    url = job.input["image_url"]
    assert url.startswith(emulator.base_url) and str(image) not in url
    assert any("Uploading 1 local file" in ln.message for ln in job.logs)
    assert any("100%" in ln.message for ln in job.logs)
    assert emulator.jobs[job.request_id].input["image_url"] == url
    assert job.label == "in.png"  # the local file names the job


async def test_a_batch_naming_one_local_file_uploads_it_once(
    harness: Harness, emulator: Any, tmp_path: Path
) -> None:
    image = local_png(tmp_path)
    manager = harness.manager()
    payloads = [{"image_url": str(image), "seed": seed} for seed in range(3)]
    jobs = await manager.submit_batch("fal-ai/flux/dev/image-to-image", payloads)
    urls = {job.input["image_url"] for job in jobs}
    assert len(urls) == 1 and all(job.request_id for job in jobs)
    assert emulator.counters["upload"] == 1
    await manager.submit("fal-ai/flux/dev/image-to-image", {"image_url": str(image)})
    assert emulator.counters["upload"] == 1  # unchanged file: its URL is reused
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\1" * 4096)  # edited: sent again
    edited = await manager.submit("fal-ai/flux/dev/image-to-image", {"image_url": str(image)})
    assert emulator.counters["upload"] == 2 and edited.input["image_url"] not in urls


async def test_failed_upload_submits_nothing(
    harness: Harness, emulator: Any, tmp_path: Path
) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    emulator.chaos.fail_next("storage_token", 403, body={"detail": "User is locked"})
    manager = harness.manager()
    job = await manager.submit("fal-ai/flux/dev/image-to-image", {"image_url": str(image)})
    assert job.state is JobState.failed and job.error_type == "upload_failed"
    assert "nothing was submitted" in (job.error or "") and "User is locked" in (job.error or "")
    assert emulator.counters["submit"] == 0


async def test_broken_listener_does_not_stop_tracking(harness: Harness) -> None:
    def explode(event: JobEvent) -> None:
        raise RuntimeError("listener bug")

    manager = harness.manager(on_event=explode)
    job = await manager.submit(ENDPOINT, {"prompt": "x"})
    assert await manager.wait_all(timeout=20)
    assert job.state is JobState.done
    assert any("listener bug" in p for p in manager.problems)


# -- pure helpers ------------------------------------------------------------------------------


def test_safe_options_drop_credentials() -> None:
    kept = safe_options(
        {
            "priority": "low",
            "webhook": None,
            "headers": {"Authorization": "Key k:s", "x-fal-cdn-token": "t", "X-Fal-Store-IO": "0"},
        }
    )
    assert kept == {"priority": "low", "headers": {"X-Fal-Store-IO": "0"}}


# -- scheduling details with a scripted client and a fake clock ---------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class ScriptedClient:
    """Statuses from a function of (request id, poll number); records poll times."""

    def __init__(self, clock: FakeClock, script: Callable[[str, int], Status]) -> None:
        self.settings = SimpleNamespace(poll_interval=1.0)
        self.clock = clock
        self.script = script
        self.polls: dict[str, list[float]] = {}
        self.streams_open = 0
        self.peak_streams = 0
        self.count = 0

    def handle_for(self, endpoint_id: str, request_id: str) -> QueueHandle:
        return QueueHandle(endpoint_id, request_id, f"s/{request_id}", f"r/{request_id}", "c")

    async def submit(self, endpoint_id: str, payload: dict[str, Any], **_: Any) -> QueueHandle:
        self.count += 1
        return self.handle_for(endpoint_id, f"r{self.count}")

    async def status(self, handle: QueueHandle, *, logs: bool = True) -> Status:
        times = self.polls.setdefault(handle.request_id, [])
        times.append(self.clock())
        return self.script(handle.request_id, len(times))

    async def stream_status(self, handle: QueueHandle, *, logs: bool = True) -> Any:
        self.streams_open += 1
        self.peak_streams = max(self.peak_streams, self.streams_open)
        try:
            for i in range(3):
                await self.clock.sleep(50.0)  # long next to the ±10 % spread of first checks
                yield Status("IN_PROGRESS", handle.request_id, logs=[LogLine(f"s{i}", str(i))])
            yield Status("COMPLETED", handle.request_id)
        finally:
            self.streams_open -= 1

    async def result(self, handle: QueueHandle, **_: Any) -> dict[str, Any]:
        return {"id": handle.request_id}

    async def result_answer(self, handle: QueueHandle, **kwargs: Any) -> ResultAnswer:
        return ResultAnswer(await self.result(handle, **kwargs))

    async def cancel(self, handle: QueueHandle) -> None:
        raise ApiError("nope", status=500)


async def test_poll_interval_backs_off_while_nothing_changes() -> None:
    clock = FakeClock()

    def script(rid: str, n: int) -> Status:
        if n <= 8:
            return Status("IN_QUEUE", rid, queue_position=4)  # stuck in the queue
        if n <= 10:
            return Status("IN_PROGRESS", rid, logs=[LogLine(f"l{n}", str(n))])
        return Status("COMPLETED", rid)

    client = ScriptedClient(clock, script)
    manager = JobManager(
        client,  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        stream=False,
        poll_interval=1.0,
        max_poll_interval=5.0,
    )
    job = await manager.submit(ENDPOINT, {"prompt": "x"})
    assert await manager.wait_all(timeout=5)
    assert job.state is JobState.done and job.result == {"id": "r1"}
    times = client.polls["r1"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # poll 1 sees a queue position (a change), polls 2-8 see nothing new (x1.5 up to the 5 s
    # cap), poll 9 sees IN_PROGRESS and poll 10 new logs (back to 1 s); ±10 % jitter.
    expected = [1.0, 1.5, 2.25, 3.375, 5.0, 5.0, 5.0, 5.0, 1.0, 1.0]
    assert len(gaps) == len(expected)
    for gap, want in zip(gaps, expected, strict=True):
        assert want * 0.89 <= gap <= want * 1.11, (gaps, expected)
    await manager.aclose()


async def test_streams_are_bounded_and_passed_on() -> None:
    clock = FakeClock()
    client = ScriptedClient(clock, lambda rid, n: Status("IN_QUEUE", rid, queue_position=1))
    manager = JobManager(
        client,  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        max_active=3,
        poll_interval=100.0,
    )
    jobs = [await manager.submit(ENDPOINT, {"i": i}) for i in range(10)]
    assert await manager.wait_all(timeout=5)
    assert all(j.state is JobState.done for j in jobs)
    assert client.peak_streams == 3
    assert manager.scheduler.stats.streams_opened == 10  # slots handed on as jobs finish
    assert [ln.message for ln in jobs[-1].logs] == ["s0", "s1", "s2"]
    await manager.aclose()


async def test_polls_wait_for_the_expected_duration_once_known() -> None:
    # Streams off: the first job of an endpoint is polled by back-off; once it finished (after
    # 30 s), later jobs are not checked every second while they are not expected to end.
    clock = FakeClock()
    started: dict[str, float] = {}

    def script(rid: str, n: int) -> Status:
        if clock() - started[rid] < 29.0:  # each job runs 29 s from its submit
            return Status("IN_PROGRESS", rid, logs=[LogLine(f"l{n}", str(n))])  # always new
        return Status("COMPLETED", rid)

    client = ScriptedClient(clock, script)
    submit = client.submit

    async def submit_and_start(endpoint_id: str, payload: dict[str, Any], **kw: Any) -> Any:
        handle = await submit(endpoint_id, payload, **kw)
        started[handle.request_id] = clock()
        return handle

    client.submit = submit_and_start  # type: ignore[method-assign]
    manager = JobManager(
        client,  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        stream=False,
        poll_interval=1.0,
        max_poll_interval=10.0,
    )
    await manager.submit(ENDPOINT, {"i": 1})
    assert await manager.wait_all(timeout=5)
    first = client.polls["r1"]
    assert len(first) >= 29  # new logs every poll: the interval stays at 1 s
    expected = manager.scheduler.expected_duration(ENDPOINT)
    assert expected is not None and 29 <= expected <= 32
    await manager.submit(ENDPOINT, {"i": 2})
    assert await manager.wait_all(timeout=5)
    second = client.polls["r2"]
    # At most every 10 s (±10 %) until the expected end, then by the interval: a handful.
    assert len(second) <= 6, second
    gaps = [b - a for a, b in itertools.pairwise(second)]
    assert gaps and max(gaps) <= 10 * 1.11
    await manager.aclose()


def test_open_file_budget_leaves_room_and_never_lowers_the_limit() -> None:
    resource = pytest.importorskip("resource")
    from faltui.core.scheduler import RESERVED_FILES, open_file_budget

    soft_before, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    budget = open_file_budget(100)
    soft_after, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft_after >= soft_before
    assert budget is None or budget == max(0, soft_after - RESERVED_FILES)


async def test_cancel_errors_are_raised_and_job_stays_tracked() -> None:
    clock = FakeClock()
    client = ScriptedClient(clock, lambda rid, n: Status("IN_QUEUE", rid, queue_position=1))
    manager = JobManager(client, clock=clock, sleep=clock.sleep, stream=False)  # type: ignore[arg-type]
    job = await manager.submit(ENDPOINT, {})
    with pytest.raises(ApiError):
        await manager.cancel(job.id)
    assert manager.scheduler.is_tracking(job.id) and not job.final
    await manager.aclose()
    assert manager.scheduler.tracked == 0


async def test_a_done_job_without_its_result_fetches_it_without_resubmitting(
    harness: Harness, emulator: Any
) -> None:
    """A finished job salvaged from a damaged journal keeps its request id but not its result:
    ``fetch_result`` asks fal for the result only (never a submit) and journals it."""
    first = harness.manager()
    job = await first.submit(ENDPOINT, {"prompt": "salvaged"})
    assert await first.wait_all(timeout=20) and job.state is JobState.done
    expected = job.result
    await first.aclose()
    conn = sqlite3.connect(harness.journal_path)
    conn.execute("UPDATE jobs SET result = NULL, handle = NULL WHERE id = ?", (job.id,))
    conn.commit()
    conn.close()
    second = harness.manager()
    (salvaged,) = second.load_history()
    assert salvaged.state is JobState.done and salvaged.result is None
    fetched = await second.fetch_result(salvaged.id)
    assert fetched.result == expected
    assert emulator.counters["submit"] == 1  # a result call, never a resubmit
    assert "updated" in kinds(harness.events, salvaged)
    third = harness.manager()
    (stored,) = third.load_history()
    assert stored.result == expected  # journaled
