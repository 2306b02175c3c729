"""Unknown submit outcomes settled through fal's request history (fal-protocol §9.4).

End to end against the emulator: a submit behind a 504 answer *after* the queue took it is
sent exactly once, becomes ``unknown``, and is re-attached to the right request id; every
other case (no match, several, inputs not stored, history down) stays unknown and says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faltui.cli import main
from faltui.core.client import NO_PAYLOAD, FalClient, HistoryItem
from faltui.core.config import Settings
from faltui.core.job import Job, JobState
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal
from faltui.core.reconcile import Outcome, match
from faltui.emulator import DEMO_KEY, Emulator
from tests.beyond_support import point_cli_at

FLUX = "fal-ai/flux/dev"
JSON_504 = {"detail": "Gateway timeout", "error_type": "request_timeout"}


def accept_then_504(emulator: Emulator) -> None:
    """The queue takes the next submit, then the gateway answers 504 (JSON, no request id)."""
    emulator.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False, after=True)


def submit_elsewhere(emulator: Emulator, payload: dict[str, Any]) -> str:
    """The same endpoint used by someone else (web playground, another machine)."""
    answer = httpx.post(
        f"{emulator.base_url}/{FLUX}",
        json=payload,
        headers={"Authorization": f"Key {DEMO_KEY}"},
    )
    return str(answer.json()["request_id"])


@pytest.fixture
async def manager(emu_settings: Settings, tmp_path: Path) -> AsyncIterator[JobManager]:
    journal = Journal(tmp_path / "journal.sqlite3")
    async with FalClient(emu_settings) as client:
        jobs = JobManager(client, journal)
        try:
            yield jobs
        finally:
            await jobs.aclose()
            journal.close()


# -- the end-to-end case of the issue -----


async def test_504_after_acceptance_is_sent_once_then_reattached_to_the_right_request(
    manager: JobManager, emulator: Emulator
) -> None:
    submit_elsewhere(emulator, {"prompt": "someone else's lighthouse"})  # same endpoint
    accept_then_504(emulator)
    job = await manager.submit(FLUX, {"prompt": "a lighthouse", "seed": 7})
    assert job.state is JobState.unknown and job.request_id is None
    ours = [rid for rid, j in emulator.jobs.items() if j.input.get("seed") == 7]
    assert len(ours) == 1 and emulator.counters["submit"] == 2  # one elsewhere, ours once

    (result,) = await manager.reconcile()
    assert result.outcome is Outcome.attached and result.request_id == ours[0]
    assert job.request_id == ours[0] and job.state in (JobState.queued, JobState.running)
    assert manager.journal is not None
    assert manager.journal.get(job.id).request_id == ours[0]  # journaled first
    assert await manager.wait_all(timeout=30)
    assert job.state is JobState.done and job.result and job.result["images"]
    assert emulator.counters["submit"] == 2  # never resubmitted
    assert any("Reconciled" in line.message for line in job.logs)


async def test_no_match_stays_unknown_and_says_so(manager: JobManager, emulator: Emulator) -> None:
    emulator.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False)  # not taken
    job = await manager.submit(FLUX, {"prompt": "never arrived"})
    (result,) = await manager.reconcile()
    assert result.outcome is Outcome.none
    assert job.state is JobState.unknown and "no request in fal's history" in (job.error or "")
    assert "may have been accepted" in (job.error or "")  # the original reason is kept
    assert emulator.counters["submit"] == 1 and not emulator.jobs


async def test_several_matches_are_never_guessed(manager: JobManager, emulator: Emulator) -> None:
    payload = {"prompt": "the same thing", "seed": 1}
    first = submit_elsewhere(emulator, payload)
    second = submit_elsewhere(emulator, payload)
    accept_then_504(emulator)
    job = await manager.submit(FLUX, payload)
    (result,) = await manager.reconcile()
    assert result.outcome is Outcome.several
    assert {first, second} < set(result.candidates) and len(result.candidates) == 3
    assert job.state is JobState.unknown and job.request_id is None
    assert "cannot be told which" in (job.error or "")


async def test_a_request_already_known_locally_is_not_a_candidate(
    manager: JobManager, emulator: Emulator
) -> None:
    payload = {"prompt": "run twice on purpose", "seed": 3}
    earlier = await manager.submit(FLUX, payload)  # accepted, request id journaled
    accept_then_504(emulator)
    job = await manager.submit(FLUX, payload)
    (result,) = await manager.reconcile()
    assert result.outcome is Outcome.attached
    assert result.request_id != earlier.request_id and result.request_id in emulator.jobs
    assert job.request_id == result.request_id


async def test_inputs_fal_did_not_keep_make_it_unverifiable(
    manager: JobManager, emulator: Emulator
) -> None:
    accept_then_504(emulator)
    job = await manager.submit(FLUX, {"prompt": "private"}, headers={"X-Fal-Store-IO": "0"})
    (result,) = await manager.reconcile()
    assert result.outcome is Outcome.unverifiable
    assert job.state is JobState.unknown and "no stored input" in (job.error or "")


async def test_history_down_leaves_it_unknown(manager: JobManager, emulator: Emulator) -> None:
    accept_then_504(emulator)
    job = await manager.submit(FLUX, {"prompt": "x"})
    emulator.chaos.fail_next("requests", 401, body={"error": {"type": "authorization_error"}})
    (result,) = await manager.reconcile()
    assert result.outcome is Outcome.failed and "could not be read" in result.message
    assert job.state is JobState.unknown


async def test_resume_reconciles_in_the_background(
    emu_settings: Settings, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    accept_then_504(emulator)
    async with FalClient(emu_settings) as client:
        first = JobManager(client, Journal(path))
        job = await first.submit(FLUX, {"prompt": "from yesterday"})
        assert job.state is JobState.unknown
        await first.aclose()
        assert first.journal is not None
        first.journal.close()

        journal = Journal(path)
        second = JobManager(client, journal)
        assert await second.resume_unfinished() == []  # nothing had a request id
        assert await second.wait_all(timeout=30)  # waits for the reconcile and the job
        again = second.get(job.id)
        assert again is not None and again.state is JobState.done
        assert [r.outcome for r in second.last_reconcile] == [Outcome.attached]
        await second.aclose()
        journal.close()


async def test_old_unconfirmed_rows_are_reconciled_too(
    manager: JobManager, emulator: Emulator
) -> None:
    request_id = submit_elsewhere(emulator, {"prompt": "old faltui"})
    old = Job(
        FLUX,
        {"prompt": "old faltui"},
        state=JobState.failed,
        error="fal may have received this request…",
        error_type="submit_unconfirmed",
        created_at=time.time(),
    )
    assert manager.journal is not None
    manager.journal.record(old)
    (result,) = await manager.reconcile()
    assert result.request_id == request_id


async def test_history_is_read_to_the_last_page(emu_settings: Settings, emulator: Emulator) -> None:
    for i in range(230):
        submit_elsewhere(emulator, {"prompt": f"p{i}"})
    async with FalClient(emu_settings) as client:
        items = await client.request_history(FLUX, start=time.time() - 60, page_size=100)
    assert len(items) == 230 and len({i.request_id for i in items}) == 230
    assert emulator.counters["requests"] == 3
    assert all(i.has_input for i in items)


# -- matching rules -----


def _item(request_id: str, payload: Any, sent: float, endpoint: str = FLUX) -> HistoryItem:
    return HistoryItem(request_id, endpoint, sent, json_input=payload)


def test_match_is_exact_json_equality_in_the_window() -> None:
    job = Job(FLUX, {"n": 1, "flag": True, "nested": {"a": [1, 2]}}, sent_at=1000.0)
    same = {"nested": {"a": [1, 2]}, "flag": True, "n": 1}  # key order does not matter
    items = [
        _item("float", {**same, "n": 1.0}, 1000.0),  # 1 is not 1.0
        _item("bool", {**same, "flag": 1}, 1000.0),  # true is not 1
        _item("other-endpoint", same, 1000.0, endpoint="fal-ai/other"),
        _item("too-early", same, 1000.0 - 3600),
        _item("too-late", same, 1000.0 + 7200),
        _item("ours", same, 1001.0),
    ]
    result = match(job, items, known=set())
    assert result.outcome is Outcome.attached and result.request_id == "ours"
    assert match(job, items, known={"ours"}).outcome is Outcome.none


def test_missing_stored_input_blocks_a_unique_match() -> None:
    job = Job(FLUX, {"p": "x"}, sent_at=1000.0)
    items = [_item("ours", {"p": "x"}, 1000.0), _item("blind", NO_PAYLOAD, 1000.0)]
    assert match(job, items, set()).outcome is Outcome.unverifiable
    assert HistoryItem.from_api({"request_id": "r", "json_input": None}).has_input is False


# -- the CLI -----


@pytest.fixture
def cli_env(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    return emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_run_unknown_then_reconcile_then_resume(cli_env: Emulator, capsys: Any) -> None:
    accept_then_504(cli_env)
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "behind a 504", "-w")
    assert code == 1 and "may have been accepted" in err and "local job id" in err
    assert cli_env.counters["submit"] == 1
    (request_id,) = cli_env.jobs
    code, out, err = run(capsys, "history", "--json")
    (row,) = json.loads(out)
    assert row["state"] == "unknown" and row["request_id"] is None

    code, out, err = run(capsys, "reconcile", row["id"][:8])
    assert code == 0, err
    (outcome,) = json.loads(out)
    assert outcome["outcome"] == "attached" and outcome["request_id"] == request_id
    assert "re-attached" in err

    code, out, err = run(capsys, "resume", "--timeout", "30")
    assert code == 0, err
    (done,) = json.loads(out)
    assert done["request_id"] == request_id and done["state"] == "done" and done["result"]
    assert cli_env.counters["submit"] == 1


def test_cli_resume_alone_reconciles_and_reports_what_stays_unknown(
    cli_env: Emulator, capsys: Any
) -> None:
    accept_then_504(cli_env)
    run(capsys, "run", "-m", FLUX, "-p", "found later", "-w")
    cli_env.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False)
    run(capsys, "run", "-m", FLUX, "-p", "never taken", "-w")
    code, out, err = run(capsys, "resume", "--timeout", "30")
    assert code == 0, err
    states = {r["input"]["prompt"]: r["state"] for r in json.loads(out)}
    assert states == {"found later": "done", "never taken": "unknown"}
    assert "still unknown" in err and "re-attached" in err
    code, out, err = run(capsys, "reconcile")
    assert code == 1  # one stays unknown
    assert [r["outcome"] for r in json.loads(out)] == ["none"]


def test_cli_reconcile_refuses_a_job_that_is_not_unknown(cli_env: Emulator, capsys: Any) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "fine", "-w")
    code, out, err = run(capsys, "history", "--json")
    job_id = json.loads(out)[0]["id"]
    code, out, err = run(capsys, "reconcile", job_id)
    assert code == 2 and "is done" in err
    code, out, err = run(capsys, "reconcile", "zzzzzzzz")
    assert code == 2 and "no job" in err
