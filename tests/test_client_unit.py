"""Client pieces that need exact control of the wire: error mapping, retry decisions, auth.

These use ``httpx.MockTransport`` to script transport failures precisely (a read timeout after
the request was sent cannot be produced reliably over loopback). End-to-end behaviour against
the emulator is in test_client.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from faltui.core.client import (
    FalClient,
    LogDeduper,
    LogLine,
    QueueHandle,
    RetryPolicy,
    Status,
    WaitTimeout,
    parse_retry_after,
)
from faltui.core.client.errors import error_from_response
from faltui.core.config import Settings
from faltui.core.errors import (
    AlreadyCompletedError,
    ApiError,
    ApiValidationError,
    AppError,
    LockedError,
    MissingKeyError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
)

KEY = "kid:ksecret"
Q = "https://queue.fal.run"
SUBMIT_BODY = {
    "request_id": "rid-1",
    "status": "IN_QUEUE",
    "queue_position": 2,
    "status_url": f"{Q}/fal-ai/flux/requests/rid-1/status",
    "response_url": f"{Q}/fal-ai/flux/requests/rid-1",
    "cancel_url": f"{Q}/fal-ai/flux/requests/rid-1/cancel",
}


def resp(status: int, body: Any = None, **headers: str) -> httpx.Response:
    hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=hdrs)
    return httpx.Response(status, json=body if body is not None else {}, headers=hdrs)


class Script:
    """A MockTransport handler answering from a list (responses or exceptions to raise)."""

    def __init__(self, *steps: httpx.Response | Exception | Callable[[httpx.Request], Any]):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if callable(step) and not isinstance(step, httpx.Response | Exception):
            step = step(request)
        if isinstance(step, Exception):
            raise step
        return step


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make(script: Script, **settings: Any) -> tuple[FalClient, Sleeps]:
    sleeps = Sleeps()
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    client = FalClient(Settings(key=KEY, **settings), http, sleep=sleeps, rng=lambda: 0.5)
    return client, sleeps


# -- error mapping -----


@pytest.mark.parametrize(
    ("response", "cls", "error_type"),
    [
        (resp(401, {"detail": "Unauthorized"}), UnauthorizedError, None),
        (
            resp(403, {"detail": "User is locked. Reason: Exhausted balance. Add funds."}),
            LockedError,
            None,
        ),
        (resp(404, {"detail": "Application 'x' not found"}), NotFoundError, None),
        (resp(400, {"status": "ALREADY_COMPLETED"}), AlreadyCompletedError, None),
        (resp(400, {"detail": "Request already completed"}), AlreadyCompletedError, None),
        (resp(429, {"detail": "slow down"}), RateLimitedError, None),
        (
            resp(500, {"detail": "boom", "error_type": "runner_server_error"}),
            AppError,
            "runner_server_error",
        ),
        (
            resp(503, {"detail": "no runner"}, x_fal_error_type="runner_scheduling_failure"),
            AppError,
            "runner_scheduling_failure",
        ),
        (
            resp(504, {"detail": "Request timed out"}, x_fal_request_timeout_type="user"),
            AppError,
            "request_timeout",
        ),
        (resp(418, "I'm a teapot"), ApiError, None),
    ],
)
def test_error_mapping(response: httpx.Response, cls: type, error_type: str | None) -> None:
    error = error_from_response(response)
    assert type(error) is cls
    assert error.status == response.status_code
    assert error.error_type == error_type


def test_locked_message_is_verbatim_and_request_id_shown() -> None:
    body = {"detail": "User is locked. Reason: Exhausted balance."}
    error = error_from_response(resp(403, body, x_fal_request_id="req-9"))
    assert "Exhausted balance" in str(error)
    assert "req-9" in str(error)
    assert error.request_id == "req-9"


def test_validation_422_field_errors() -> None:
    body = {
        "detail": [
            {"loc": ["body", "image_size"], "msg": "Input should be 'square'", "type": "enum"},
            {"loc": ["body", "loras", 0, "scale"], "msg": "too big", "type": "less_than"},
            {"loc": ["query"], "msg": "odd", "type": "x"},
        ]
    }
    error = error_from_response(resp(422, body, x_fal_retryable="false"))
    assert isinstance(error, ApiValidationError)
    assert [e.path for e in error.field_errors] == [
        ("image_size",),
        ("loras", 0, "scale"),
        ("query",),
    ]
    assert [e.dotted for e in error.field_errors][1] == "loras[0].scale"
    assert error.field_errors[0].message == "Input should be 'square'"
    assert error.retryable is False
    assert "loras[0].scale: too big" in str(error)


def test_content_policy_violation_is_named() -> None:
    body = {
        "detail": [
            {"loc": ["body", "prompt"], "msg": "flagged", "type": "content_policy_violation"}
        ]
    }
    error = error_from_response(resp(422, body))
    assert "content policy" in str(error)
    assert error.error_type == "content_policy_violation"


def test_nginx_page_is_summarised() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    error = error_from_response(resp(502, html))
    assert type(error) is ApiError
    assert "502" in str(error) and "nginx" in str(error)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0


def test_backoff_grows_with_jitter_and_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    assert policy.delay(1, lambda: 0.0, None) == 0.5
    assert policy.delay(1, lambda: 1.0, None) == 1.5
    assert policy.delay(3, lambda: 0.5, None) == 4.0
    assert policy.delay(10, lambda: 1.0, None) == 8.0
    assert policy.delay(1, lambda: 0.5, 30.0) == 30.0
    assert policy.delay(1, lambda: 0.5, 1e9) == policy.max_retry_after


# -- retry policy -----


async def test_submit_read_timeout_is_never_resent() -> None:
    script = Script(httpx.ReadTimeout("slow"), resp(200, SUBMIT_BODY))
    client, sleeps = make(script)
    with pytest.raises(TransportError) as info:
        await client.submit("fal-ai/flux/dev", {"prompt": "x"})
    assert info.value.maybe_sent is True
    assert "may have been accepted" in str(info.value)
    assert len(script.requests) == 1
    assert sleeps.calls == []


async def test_submit_dropped_connection_is_never_resent() -> None:
    script = Script(httpx.RemoteProtocolError("Server disconnected"), resp(200, SUBMIT_BODY))
    client, _ = make(script)
    with pytest.raises(TransportError) as info:
        await client.submit("fal-ai/flux/dev", {"prompt": "x"})
    assert info.value.maybe_sent is True
    assert len(script.requests) == 1


async def test_submit_retries_connect_errors_then_succeeds() -> None:
    script = Script(
        httpx.ConnectError("refused"), httpx.ConnectTimeout("t"), resp(200, SUBMIT_BODY)
    )
    client, sleeps = make(script)
    handle = await client.submit("fal-ai/flux/dev", {"prompt": "x"})
    assert handle.request_id == "rid-1"
    assert len(script.requests) == 3
    assert sleeps.calls == [0.5, 1.0]  # base 0.5 s doubling, rng 0.5 → factor 1


async def test_submit_connect_errors_exhausted_say_not_sent() -> None:
    client, sleeps = make(Script(httpx.ConnectError("refused")))
    with pytest.raises(TransportError) as info:
        await client.submit("fal-ai/flux/dev", {})
    assert info.value.maybe_sent is False
    assert len(sleeps.calls) == client.retry.attempts - 1


async def test_submit_retries_ingress_errors_but_not_fal_errors() -> None:
    nginx = resp(503, "<html>503 nginx</html>")
    script = Script(nginx, resp(429, {"detail": "slow"}, retry_after="3"), resp(200, SUBMIT_BODY))
    client, sleeps = make(script)
    await client.submit("fal-ai/flux/dev", {})
    assert len(script.requests) == 3
    assert sleeps.calls[1] == 3.0

    fal_503 = resp(
        503,
        {"detail": "no runner", "error_type": "runner_scheduling_failure"},
        x_fal_request_id="r",
    )
    script = Script(fal_503, resp(200, SUBMIT_BODY))
    client, _ = make(script)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.submit("fal-ai/flux/dev", {})
    assert info.value.error_type == "runner_scheduling_failure"
    assert len(script.requests) == 1


async def test_status_retries_read_timeouts_and_5xx_ingress() -> None:
    body = {"status": "IN_PROGRESS", "request_id": "rid-1", "logs": []}
    script = Script(httpx.ReadTimeout("t"), resp(502, "bad gateway"), resp(202, body))
    client, sleeps = make(script)
    status = await client.status(QueueHandle.from_dict({**SUBMIT_BODY, "endpoint_id": "a/b"}))
    assert status.state == "IN_PROGRESS"
    assert len(script.requests) == 3 and len(sleeps.calls) == 2


async def test_rate_limit_exhausted_raises_rate_limited() -> None:
    client, sleeps = make(Script(resp(429, {"detail": "slow"})))
    handle = client.handle_for("fal-ai/flux/dev", "rid")
    with pytest.raises(RateLimitedError):
        await client.result(handle)
    assert len(sleeps.calls) == client.retry.attempts - 1


async def test_user_timeout_504_is_not_retried() -> None:
    script = Script(resp(504, {"detail": "timed out"}, x_fal_request_timeout_type="user"))
    client, _ = make(script)
    with pytest.raises(AppError) as info:
        await client.result(client.handle_for("fal-ai/flux/dev", "rid"))
    assert info.value.error_type == "request_timeout"
    assert len(script.requests) == 1


# -- auth -----


async def test_key_only_goes_to_fal_hosts() -> None:
    foreign = {
        **SUBMIT_BODY,
        "status_url": "https://elsewhere.example/x/status",
        "response_url": "https://elsewhere.example/x",
    }
    script = Script(
        resp(200, foreign),
        resp(200, {"status": "COMPLETED", "logs": None}),
        resp(200, {"images": []}),
    )
    client, _ = make(script)
    handle = await client.submit("fal-ai/flux/dev", {"prompt": "x"})
    await client.status(handle)
    await client.result(handle)
    auth = [r.headers.get("authorization") for r in script.requests]
    assert auth == [f"Key {KEY}", None, None]
    assert client.http.headers.get("authorization") is None


async def test_missing_key_raises_before_sending() -> None:
    script = Script(resp(200, SUBMIT_BODY))
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    client = FalClient(Settings(key=None), http)
    with pytest.raises(MissingKeyError):
        await client.submit("fal-ai/flux/dev", {})
    assert script.requests == []


async def test_submit_headers_and_webhook() -> None:
    script = Script(resp(200, SUBMIT_BODY))
    client, _ = make(script)
    await client.submit(
        "fal-ai/flux/dev",
        {"prompt": "x"},
        webhook="https://hook.example/cb?a=1",
        priority="low",
        start_timeout=30,
        lifecycle_seconds=3600,
        runner_hint="warm",
    )
    request = script.requests[0]
    assert request.url.params["fal_webhook"] == "https://hook.example/cb?a=1"
    assert request.headers["x-fal-queue-priority"] == "low"
    assert request.headers["x-fal-request-timeout"] == "30"
    assert request.headers["x-fal-runner-hint"] == "warm"
    assert json.loads(request.headers["x-fal-object-lifecycle-preference"]) == {
        "expiration_duration_seconds": 3600
    }
    assert json.loads(request.content) == {"prompt": "x"}
    with pytest.raises(ValueError):
        await client.submit("fal-ai/flux/dev", {}, priority="urgent")


# -- waiting -----


def _status(state: str, **extra: Any) -> dict[str, Any]:
    return {"status": state, "request_id": "rid-1", "logs": [], **extra}


async def test_wait_falls_back_to_polling_when_stream_fails() -> None:
    polls = [_status("IN_QUEUE", queue_position=1), _status("IN_PROGRESS"), _status("COMPLETED")]

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/status/stream"):
            return resp(500, {"detail": "stream broken"}, x_fal_request_id="r")
        if path.endswith("/status"):
            return resp(200, polls.pop(0))
        return resp(200, {"images": [{"url": "https://v3.fal.media/x.png"}]})

    client, sleeps = make(Script(handler), poll_interval=0.5)
    seen: list[str] = []
    handle = QueueHandle.from_dict({**SUBMIT_BODY, "endpoint_id": "fal-ai/flux/dev"})
    result = await client.wait(handle, on_status=lambda s: seen.append(s.state))
    assert result["images"][0]["url"].endswith("x.png")
    assert seen == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert sleeps.calls == [0.5, 0.5]


async def test_wait_polling_backs_off_while_nothing_changes() -> None:
    polls = [_status("IN_QUEUE", queue_position=3)] * 5 + [_status("COMPLETED")]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return resp(200, polls.pop(0))
        return resp(200, {"ok": True})

    client, sleeps = make(Script(handler), poll_interval=1.0)
    handle = client.handle_for("fal-ai/flux/dev", "rid-1")
    assert await client.wait(handle, stream=False) == {"ok": True}
    assert sleeps.calls == [1.0, 1.5, 2.25, 3.375, 5.0]


async def test_wait_failed_job_raises_mapped_result_error() -> None:
    failed = _status("COMPLETED", error="Invalid status code: 422", error_type="validation")
    detail = {"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return resp(200, failed)
        return resp(422, detail, x_fal_request_id="rid-1")

    client, _ = make(Script(handler))
    with pytest.raises(ApiValidationError) as info:
        await client.wait(client.handle_for("fal-ai/flux/dev", "rid-1"), stream=False)
    assert info.value.field_errors[0].path == ("prompt",)


async def test_wait_timeout_raises_wait_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return resp(202, _status("IN_QUEUE", queue_position=9))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = FalClient(Settings(key=KEY, poll_interval=0.01), http)
    handle = client.handle_for("fal-ai/flux/dev", "rid-1")
    with pytest.raises(WaitTimeout) as info:
        await client.wait(handle, stream=False, timeout=0.1)
    assert info.value.handle is handle
    assert info.value.status is not None and info.value.status.queue_position == 9
    assert "rid-1" in str(info.value)


# -- small data -----


def test_log_deduper_handles_sliding_windows() -> None:
    a, b, c = (LogLine(m, f"t{i}") for i, m in enumerate("abc"))
    dedupe = LogDeduper()
    assert dedupe.new([a, b]) == [a, b]
    assert dedupe.new([b, c]) == [c]
    assert dedupe.new([a, b, c]) == []
    assert dedupe.new([LogLine("a", "t9")]) == [LogLine("a", "t9")]


def test_status_parsing_and_traceback_unwrap() -> None:
    body = {
        "status": "COMPLETED",
        "request_id": "r",
        "logs": [
            {
                "message": '{"traceback": "Traceback...\\nValueError: x\\n"}',
                "level": "ERROR",
                "timestamp": "2026",
            },
            {"message": "[bold]literal[/bold]", "timestamp": "2027"},
        ],
        "metrics": {"inference_time": 1.5},
        "error": "Request timed out",
        "error_type": "request_timeout",
    }
    status = Status.from_api(body)
    assert status.done and status.failed
    assert status.logs[0].message == "Traceback...\nValueError: x"
    assert status.logs[0].level == "ERROR"
    assert status.logs[1].message == "[bold]literal[/bold]"
    assert not Status.from_api({"status": "COMPLETED", "logs": None}).failed


def test_handle_round_trip_and_reattach_urls() -> None:
    client = FalClient(Settings(key=KEY), httpx.AsyncClient())
    handle = client.handle_for("fal-ai/kling-video/v3/pro/text-to-video", "abc")
    assert handle.status_url == f"{Q}/fal-ai/kling-video/requests/abc/status"
    assert handle.response_url == f"{Q}/fal-ai/kling-video/requests/abc"
    assert handle.cancel_url == f"{Q}/fal-ai/kling-video/requests/abc/cancel"
    assert handle.status_stream_url == f"{Q}/fal-ai/kling-video/requests/abc/status/stream"
    assert QueueHandle.from_dict(json.loads(json.dumps(handle.to_dict()))) == handle
