"""The SQLite job journal: round trips, unfinished jobs, schema version, durability."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from faltui.core.errors import FieldError
from faltui.core.job import Job, JobState
from faltui.core.journal import SCHEMA_VERSION, Journal, JournalError


def make_job(**kw: object) -> Job:
    base: dict[str, object] = {
        "endpoint_id": "fal-ai/flux/dev",
        "input": {"prompt": "a fox", "seed": 7, "nested": {"a": [1, 2.5, "ü"]}},
        "label": "fox",
        "created_at": 1000.0,
    }
    base.update(kw)
    return Job(**base)  # type: ignore[arg-type]


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "data" / "journal.sqlite3")
    yield j
    j.close()


def test_record_and_load_round_trip(journal: Journal) -> None:
    job = make_job(
        state=JobState.failed,
        request_id="req-1",
        error="Invalid status code: 422",
        error_type="validation",
        field_errors=[FieldError(("image_size", "width"), "too large", "less_than_equal")],
        result={"images": [{"url": "http://x/files/a.png", "width": 64}]},
        metrics={"inference_time": 1.25},
        submitted_at=1001.0,
        finished_at=1003.5,
        options={"priority": "low"},
    )
    journal.record(job)
    (loaded,) = journal.load_all()
    assert loaded == job
    assert loaded.field_errors[0].dotted == "image_size.width"
    assert loaded.state is JobState.failed


def test_record_upserts_one_row(journal: Journal) -> None:
    job = make_job()
    journal.record(job)
    job.state = JobState.queued
    job.request_id = "req-2"
    journal.record(job)
    job.state = JobState.done
    job.result = {"text": "hi"}
    journal.record(job)
    assert journal.count() == 1
    loaded = journal.get(job.id)
    assert loaded is not None
    assert (loaded.state, loaded.result) == (JobState.done, {"text": "hi"})


def test_unfinished_needs_request_id_and_non_final_state(journal: Journal) -> None:
    pending_local = make_job(created_at=1.0)  # never reached fal: nothing to re-attach
    queued = make_job(state=JobState.queued, request_id="r-q", created_at=2.0)
    running = make_job(state=JobState.running, request_id="r-r", created_at=3.0)
    done = make_job(state=JobState.done, request_id="r-d", created_at=4.0)
    failed = make_job(state=JobState.failed, request_id="r-f", created_at=5.0)
    cancelled = make_job(state=JobState.cancelled, request_id="r-c", created_at=6.0)
    lost = make_job(state=JobState.lost, request_id="r-l", created_at=7.0)
    for job in (lost, done, running, queued, pending_local, failed, cancelled):
        journal.record(job)
    assert [j.request_id for j in journal.unfinished()] == ["r-q", "r-r"]
    assert [j.id for j in journal.load_all()] == [
        j.id for j in (pending_local, queued, running, done, failed, cancelled, lost)
    ]


def test_delete(journal: Journal) -> None:
    a, b = make_job(), make_job()
    journal.record(a)
    journal.record(b)
    assert journal.delete(a.id) is True
    assert journal.delete(a.id) is False
    assert [j.id for j in journal.load_all()] == [b.id]


def test_survives_reopen_and_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    j1 = Journal(path)
    job = make_job(state=JobState.queued, request_id="abc")
    j1.record(job)
    # Another connection sees the committed row before j1 is closed (it hit the disk).
    other = sqlite3.connect(path)
    assert other.execute("SELECT request_id FROM jobs").fetchall() == [("abc",)]
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    j1.close()
    j1.close()  # idempotent
    j2 = Journal(path)
    assert [j.request_id for j in j2.unfinished()] == ["abc"]
    assert j2.schema_version == SCHEMA_VERSION
    j2.close()


def test_closed_journal_raises(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    j.close()
    with pytest.raises(JournalError):
        j.record(make_job())


def test_newer_schema_is_moved_aside_and_its_jobs_kept(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    first = Journal(path)
    first.record(make_job(request_id="r-newer", state=JobState.queued))
    first.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 98,))
    conn.commit()
    conn.close()
    journal = Journal(path)
    assert journal.writable and journal.problem is None
    assert journal.salvage is not None and "newer faltui" in journal.salvage.reason
    assert journal.salvage.moved_to.name.startswith("j.sqlite3.damaged-")
    assert journal.schema_version == SCHEMA_VERSION
    assert [j.request_id for j in journal.unfinished()] == ["r-newer"]
    journal.close()


def test_rows_with_damaged_json_keep_their_request_id(journal: Journal, tmp_path: Path) -> None:
    good = make_job()
    journal.record(good)
    bad = make_job(request_id="r-bad", state=JobState.running, created_at=2000.0)
    journal.record(bad)
    conn = sqlite3.connect(tmp_path / "data" / "journal.sqlite3")
    conn.execute("UPDATE jobs SET data = '{not json', input = '[' WHERE id = ?", (bad.id,))
    conn.commit()
    conn.close()
    assert [j.id for j in journal.load_all()] == [good.id, bad.id]
    (kept,) = journal.unfinished()  # resume still finds it
    assert (kept.id, kept.request_id, kept.state) == (bad.id, "r-bad", JobState.running)


def test_unknown_state_loads_as_lost(journal: Journal, tmp_path: Path) -> None:
    job = make_job(request_id="r")
    journal.record(job)
    conn = sqlite3.connect(tmp_path / "data" / "journal.sqlite3")
    conn.execute("UPDATE jobs SET state = 'exploded'")
    conn.commit()
    conn.close()
    assert journal.load_all()[0].state is JobState.lost


def test_concurrent_records_from_threads(journal: Journal) -> None:
    jobs = [make_job(created_at=float(i)) for i in range(200)]

    def writer(chunk: list[Job]) -> None:
        for job in chunk:
            journal.record(job)
            job.state = JobState.queued
            job.request_id = f"r-{job.id}"
            journal.record(job)

    threads = [threading.Thread(target=writer, args=(jobs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert journal.count() == 200
    assert len(journal.unfinished()) == 200


def test_key_never_written(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    j.record(make_job(options={"priority": "low"}))
    j.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"priority" in raw or b"low" in raw  # the data is there…
    assert b"Authorization" not in raw and b"demo-key-secret" not in raw  # …credentials are not


def test_handle_and_logs_round_trip(journal: Journal) -> None:
    client = pytest.importorskip("faltui.core.client")
    handle = client.QueueHandle(
        endpoint_id="fal-ai/flux/dev",
        request_id="rid-1",
        status_url="http://q/fal-ai/flux/requests/rid-1/status",
        response_url="http://q/fal-ai/flux/requests/rid-1",
        cancel_url="http://q/fal-ai/flux/requests/rid-1/cancel",
        queue_position=3,
        status="IN_QUEUE",
    )
    job = make_job(
        state=JobState.running,
        handle=handle,
        request_id="rid-1",
        logs=[client.LogLine("step 1", "2026-01-01T00:00:00", "INFO")],
    )
    journal.record(job)
    (loaded,) = journal.unfinished()
    assert loaded.handle == handle
    assert loaded.logs == job.logs
    assert loaded.last_log == "step 1"
