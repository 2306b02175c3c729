"""fal-protocol §7.4 (revised): a request fal may have taken is never sent again.

Wire-exact cases use ``httpx.MockTransport`` (as in test_client_unit.py); the end-to-end cases
run against the emulator over loopback, the CLI ones through ``faltui.cli.main``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_client_unit import KEY, SUBMIT_BODY, Script, make, resp

from faltui.cli import main
from faltui.core import storage
from faltui.core.client import FalClient, QueueHandle
from faltui.core.client.errors import is_ingress_error
from faltui.core.config import Settings
from faltui.core.errors import (
    ApiError,
    AppError,
    ConfigError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
)
from faltui.core.job import JobState
from faltui.core.jobs import JobManager
from faltui.core.journal import Journal
from faltui.emulator import Emulator
from faltui.emulator.chaos import NGINX_BODY
from tests.beyond_support import point_cli_at

FLUX = "fal-ai/flux/dev"
NGINX_502 = NGINX_BODY.format(code=502)
JSON_504 = {"detail": "Gateway timeout", "error_type": "request_timeout"}


# -- which answers prove fal did not take the request -----


@pytest.mark.parametrize(
    ("response", "ingress"),
    [
        (resp(502, NGINX_502), True),
        (resp(503, NGINX_BODY.format(code=503)), True),
        (resp(504, NGINX_BODY.format(code=504)), True),
        (resp(502, NGINX_502, x_fal_request_id="r"), False),  # fal's servers answered
        (resp(504, JSON_504), False),  # a JSON body: fal's own answer
        (resp(502, {"detail": "nginx upstream"}), False),  # JSON, even naming nginx
        (resp(503, "Service Unavailable"), False),  # not nginx's page
        (resp(500, NGINX_502), False),
    ],
)
def test_ingress_needs_no_request_id_and_a_non_json_nginx_body(
    response: httpx.Response, ingress: bool
) -> None:
    assert is_ingress_error(response) is ingress


# -- submit / run: never resent when fal may have it -----

_MAY_HAVE_BEEN_TAKEN = {
    "504 json no request id": resp(504, JSON_504),
    "504 nginx page": resp(504, NGINX_BODY.format(code=504)),
    "502 nginx page with request id": resp(502, NGINX_502, x_fal_request_id="rid-x"),
    "503 nginx page with request id": resp(503, NGINX_502, x_fal_request_id="rid-x"),
    "500 json": resp(500, {"detail": "boom", "error_type": "internal_error"}),
    "502 json no request id": resp(502, {"detail": "runner", "error_type": "x"}),
    "503 plain text": resp(503, "Service Unavailable"),
    "504 needs-retry header": resp(504, JSON_504, x_fal_needs_retry="1"),
    "read timeout": httpx.ReadTimeout("slow"),
    "dropped answer": httpx.RemoteProtocolError("Server disconnected"),
    "write error": httpx.WriteError("broken pipe"),
}


@pytest.mark.parametrize("name", sorted(_MAY_HAVE_BEEN_TAKEN))
@pytest.mark.parametrize("call", ["submit", "run"])
async def test_answers_that_may_mean_accepted_are_never_resent(name: str, call: str) -> None:
    script = Script(_MAY_HAVE_BEEN_TAKEN[name], resp(200, SUBMIT_BODY))
    client, sleeps = make(script)
    with pytest.raises(OutcomeUnknownError) as info:
        await getattr(client, call)(FLUX, {"prompt": "x"})
    assert len(script.requests) == 1, "sent twice: the user would pay twice"
    assert sleeps.calls == []
    assert info.value.maybe_sent is True
    assert "may have been accepted" in str(info.value)


@pytest.mark.parametrize(
    "first",
    [
        resp(429, {"detail": "slow down"}),
        resp(502, NGINX_502),
        resp(503, NGINX_BODY.format(code=503)),
        httpx.ConnectError("refused"),
    ],
    ids=["429", "502 ingress", "503 ingress", "connect error"],
)
async def test_answers_that_prove_nothing_was_taken_are_resent(first: Any) -> None:
    script = Script(first, resp(200, SUBMIT_BODY))
    client, _ = make(script)
    handle = await client.submit(FLUX, {"prompt": "x"})
    assert handle.request_id == "rid-1"
    assert len(script.requests) == 2


async def test_sync_run_resent_on_needs_retry_but_never_on_504() -> None:
    script = Script(
        resp(503, {"detail": "busy"}, x_fal_needs_retry="1", x_fal_request_id="r"),
        resp(200, {"images": []}),
    )
    client, _ = make(script)
    assert await client.run(FLUX, {}) == {"images": []}
    assert len(script.requests) == 2


async def test_refusals_are_definite_failures_not_unknown() -> None:
    for answer, cls in (
        (resp(422, {"detail": [{"loc": ["body", "prompt"], "msg": "bad", "type": "x"}]}), None),
        (resp(403, {"detail": "locked"}), None),
    ):
        client, _ = make(Script(answer))
        with pytest.raises(Exception) as info:
            await client.submit(FLUX, {})
        assert not isinstance(info.value, OutcomeUnknownError)
        assert cls is None
    client, _ = make(Script(resp(429, {"detail": "slow"})))
    with pytest.raises(RateLimitedError):
        await client.submit(FLUX, {})


# -- idempotent calls: retried with or without a request id -----

_TRANSIENT = {
    "408": resp(408, {"detail": "timeout"}),
    "409": resp(409, {"detail": "conflict"}),
    "429": resp(429, {"detail": "slow"}),
    "500 json": resp(500, {"detail": "boom"}, x_fal_request_id="r"),
    "502 json with request id": resp(502, {"detail": "bad gw"}, x_fal_request_id="r"),
    "503 json with request id": resp(503, {"detail": "busy"}, x_fal_request_id="r"),
    "504 json with request id": resp(504, JSON_504, x_fal_request_id="r"),
    "read timeout": httpx.ReadTimeout("slow"),
    "dropped answer": httpx.RemoteProtocolError("Server disconnected"),
}

_HANDLE = QueueHandle.from_dict({**SUBMIT_BODY, "endpoint_id": "fal-ai/flux"})
_OK = {
    "status": resp(202, {"status": "IN_QUEUE", "request_id": "rid-1", "queue_position": 0}),
    "result": resp(200, {"images": []}),
    "cancel": resp(202, {"status": "CANCELLATION_REQUESTED"}),
}


@pytest.mark.parametrize("name", sorted(_TRANSIENT))
@pytest.mark.parametrize("call", ["status", "result", "cancel"])
async def test_idempotent_calls_survive_one_transient_failure(name: str, call: str) -> None:
    script = Script(_TRANSIENT[name], _OK[call])
    client, sleeps = make(script)
    await getattr(client, call)(_HANDLE)
    assert len(script.requests) == 2
    assert len(sleeps.calls) == 1


async def test_idempotent_retries_honour_retry_after_and_give_up_after_five() -> None:
    script = Script(resp(503, {"detail": "busy"}, x_fal_request_id="r", retry_after="7"))
    client, sleeps = make(script)
    with pytest.raises(ApiError):
        await client.status(_HANDLE)
    assert len(script.requests) == 5
    assert sleeps.calls == [7.0, 7.0, 7.0, 7.0]


async def test_a_failed_requests_own_error_is_not_asked_again() -> None:
    crash = resp(500, {"detail": "model crashed", "error_type": "runner_server_error"})
    script = Script(crash, resp(200, {}))
    client, _ = make(script)
    with pytest.raises(AppError):
        await client.result(_HANDLE, failed=True)
    assert len(script.requests) == 1
    script = Script(resp(503, {"detail": "x"}, x_fal_retryable="false"), resp(200, {}))
    client, _ = make(script)
    with pytest.raises(ApiError):
        await client.status(_HANDLE)
    assert len(script.requests) == 1


# -- a malformed key never leaves, never shows -----


async def test_a_malformed_key_is_refused_before_sending_and_never_quoted() -> None:
    script = Script(resp(200, SUBMIT_BODY))
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    client = FalClient(Settings(key="kid:s3cr3t-value\nX-Evil: 1"), http)
    with pytest.raises(ConfigError) as info:
        await client.submit(FLUX, {"prompt": "x"})
    assert script.requests == []
    assert "s3cr3t" not in str(info.value) and "line break" in str(info.value)
    assert "nothing was sent" in str(info.value)


# -- end to end against the emulator -----


async def test_submit_behind_a_504_json_is_sent_once_and_unknown(
    emu_settings: Settings, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False)
    journal = Journal(tmp_path / "journal.sqlite3")
    async with FalClient(emu_settings) as client:
        manager = JobManager(client, journal)
        job = await manager.submit(FLUX, {"prompt": "a lighthouse"})
        await manager.aclose()
    assert emulator.counters["submit"] == 1
    assert job.state is JobState.unknown and job.request_id is None
    assert "may have been accepted" in (job.error or "")
    (saved,) = journal.unknown()
    assert saved.id == job.id and saved.input == {"prompt": "a lighthouse"}
    assert saved.sent_at is not None
    journal.close()


async def test_submit_behind_a_502_nginx_page_with_a_request_id_is_sent_once(
    emu_settings: Settings, emulator: Emulator
) -> None:
    emulator.chaos.fail_next("submit", 502, body=NGINX_502, with_request_id=True)
    async with FalClient(emu_settings) as client:
        manager = JobManager(client)
        job = await manager.submit(FLUX, {"prompt": "x"})
        await manager.aclose()
    assert emulator.counters["submit"] == 1
    assert job.state is JobState.unknown


async def test_connect_error_says_nothing_was_sent(emu_settings: Settings) -> None:
    from dataclasses import replace

    settings = replace(emu_settings.with_urls(queue="http://127.0.0.1:9"), connect_timeout=0.5)
    async with FalClient(settings, sleep=_no_sleep) as client:
        manager = JobManager(client)
        job = await manager.submit(FLUX, {"prompt": "x"})
        await manager.aclose()
    assert job.state is JobState.failed
    assert "may have been accepted" not in (job.error or "")
    assert "nothing was sent" in (job.error or "")
    assert job.sent_at is None


async def _no_sleep(_: float) -> None:
    return None


# -- the CLI -----


@pytest.fixture
def cli_env(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    monkeypatch.setattr("faltui.core.client.http.RetryPolicy.base_delay", 0.01)
    return emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("status", [502, 503, 504])
def test_cli_queue_commands_survive_one_5xx_with_a_request_id(
    cli_env: Emulator, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 0, err
    request_id = next(iter(cli_env.jobs))
    for command, route in (("status", "status"), ("result", "result")):
        cli_env.chaos.fail_next(route, status)  # JSON body + x-fal-request-id
        code, out, err = run(capsys, command, FLUX, request_id)
        assert code == 0, f"{command}: {err}"
        json.loads(out)
    cli_env.chaos.fail_next("status_stream", status)
    cli_env.chaos.fail_next("status", status)
    code, out, err = run(capsys, "poll", FLUX, request_id, "--interval", "0.05")
    assert code == 0, err
    assert "images" in json.loads(out)
    # At fal's own pace the job is still queued when the cancel goes out, however slow the
    # machine (at the test time scale it can finish first: "already completed").
    cli_env.time_scale = 1.0
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "slow", "-a")
    cli_env.chaos.fail_next("cancel", status)
    code, out, err = run(capsys, "cancel", FLUX, out.strip())
    assert code == 0, err


def test_cli_run_behind_a_504_json_is_sent_once_and_says_so(
    cli_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.chaos.fail_next("submit", 504, body=JSON_504, with_request_id=False)
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 1
    assert cli_env.counters["submit"] == 1
    assert "may have been accepted" in err and "not resubmitted" in err
    code, out, err = run(capsys, "history")
    assert "unknown" in out


def test_cli_upload_survives_a_dropped_multipart_complete(
    cli_env: Emulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 64 * 1024)
    monkeypatch.setattr(storage, "PART_SIZE", 32 * 1024)
    data = bytes(range(256)) * 1000  # 256,000 bytes: 8 parts
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    cli_env.chaos.drop_next("multipart_complete")
    code, out, err = run(capsys, "upload", str(path))
    assert code == 0, err
    url = out.strip()
    assert httpx.get(url).content == data
    assert cli_env.counters["multipart_complete"] >= 1


def test_cli_malformed_key_is_refused_and_never_printed_or_journaled(
    cli_env: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "id:secret\nX")
    for argv in (("run", "-m", FLUX, "-p", "x", "-w"), ("status", FLUX, "r1")):
        code, out, err = run(capsys, *argv)
        assert code == 2
        assert "secret" not in err and "secret" not in out
        assert "line break" in err
    assert sum(cli_env.counters.values()) == 0  # nothing reached the server
    for file in Path.cwd().rglob("*"):  # the faltui home (journal, state, cache) is in here
        if file.is_file():
            assert b"secret" not in file.read_bytes(), file
    code, out, err = run(capsys, "locate")
    assert "secret" not in out and "secret" not in err
    assert "line break" in json.loads(out)["key_problem"]


async def test_idempotent_transport_message_never_holds_the_key() -> None:
    key = KEY
    script = Script(httpx.ReadTimeout(f"timed out sending Key {key}"))
    client, _ = make(script)
    with pytest.raises(TransportError) as info:
        await client.status(_HANDLE)
    assert "ksecret" not in str(info.value)


def test_cli_run_wait_marks_a_request_fal_forgot_as_lost(
    cli_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.script_next_jobs("slow")
    cli_env.chaos.fail_next("status_stream", 404, count=5)
    cli_env.chaos.fail_next("status", 404, count=20)
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 1
    assert "lost" in err and "does not know this request" in err
    code, out, err = run(capsys, "history", "--json")
    (row,) = json.loads(out)
    assert row["state"] == "lost" and row["request_id"] and "not found" in row["error"]
