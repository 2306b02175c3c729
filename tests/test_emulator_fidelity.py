"""The emulator is as strict as fal: origins, the sync host, URL matching, namespaced ids,
multipart answers, temporary tokens and start-up errors (fal-protocol.md §3–§5, §8, §13)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from faltui.emulator import DEMO_KEY, Emulator
from faltui.emulator.server import EmulatorStartError

AUTH = {"Authorization": f"Key {DEMO_KEY}"}
FLUX = "fal-ai/flux/dev"
KLEIN = "fal-ai/flux-2/klein/9b"
WORKFLOW = "workflows/faltui-demo/sticker-flow"
COMFY = "comfy/faltui-demo/upscale-image"


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=10) as client:
        yield client


def submit(http: httpx.Client, endpoint: str = FLUX, payload: dict | None = None, **kw) -> dict:
    response = http.post(f"/{endpoint}", json=payload or {"prompt": "a red fox"}, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def wait_done(http: httpx.Client, status_url: str) -> dict:
    deadline = time.monotonic() + 30  # generous: shared machines are slow
    while time.monotonic() < deadline:
        body = http.get(status_url).json()
        if body["status"] == "COMPLETED":
            return body
        time.sleep(0.01)
    raise AssertionError("job did not complete")


# --- URLs follow the origin the client used --------------------------------------------------


def test_returned_urls_use_the_host_header_and_forwarded_proto(emulator, http):
    headers = {"Host": "fal.example.test:8443", "X-Forwarded-Proto": "https"}
    job = submit(http, headers=headers)
    assert job["status_url"] == (
        f"https://fal.example.test:8443/fal-ai/flux/requests/{job['request_id']}/status"
    )
    # The same job read through the emulator's own address answers with that address.
    status = http.get(f"/fal-ai/flux/requests/{job['request_id']}/status").json()
    assert status["status_url"].startswith(emulator.base_url + "/fal-ai/flux/requests/")
    wait_done(http, status["status_url"])
    result = http.get(f"/fal-ai/flux/requests/{job['request_id']}", headers=headers).json()
    assert result["images"][0]["url"].startswith("https://fal.example.test:8443/files/out/")
    plain = http.get(f"/fal-ai/flux/requests/{job['request_id']}").json()
    image_url = plain["images"][0]["url"]
    assert image_url.startswith(emulator.base_url + "/files/out/")
    assert http.get(image_url).status_code == 200


def test_public_url_overrides_the_request_origin(emulator, http):
    emulator.public_url = "https://fal.proxy.test"
    job = submit(http)
    assert job["response_url"].startswith("https://fal.proxy.test/fal-ai/flux/requests/")
    token = http.post("/storage/auth/token", json={}).json()
    assert token["base_url"] == "https://fal.proxy.test"
    start = http.post(
        "/storage/upload/initiate", json={"file_name": "a.txt", "content_type": "text/plain"}
    ).json()
    assert start["upload_url"].startswith("https://fal.proxy.test/uploads/")
    assert start["file_url"].startswith("https://fal.proxy.test/files/b/")


def test_storage_urls_follow_the_host_header(emulator, http):
    headers = {"Host": "rest.example.test"}
    start = http.post(
        "/storage/upload/initiate-multipart",
        json={"file_name": "v.mp4", "content_type": "video/mp4"},
        headers=headers,
    ).json()
    assert start["upload_url"].startswith("http://rest.example.test/uploads/")
    assert start["file_url"].startswith("http://rest.example.test/files/b/")


# --- the sync host ---------------------------------------------------------------------------


def test_sync_runs_on_the_run_port_and_queue_submits_on_the_main_port(emulator, http):
    assert emulator.run_port not in (0, emulator.port)
    with httpx.Client(base_url=emulator.run_url, headers=AUTH, timeout=10) as run:
        answer = run.post(f"/{FLUX}", json={"prompt": "now", "num_images": 2})
        assert answer.status_code == 200
        body = answer.json()
        assert len(body["images"]) == 2 and "request_id" not in body
        assert answer.headers["x-fal-request-id"] in emulator.jobs
        # Outputs of a sync run are served where the client is.
        assert body["images"][0]["url"].startswith(emulator.run_url + "/files/")
        assert run.get(body["images"][0]["url"]).status_code == 200
        # The sync host has no queue routes.
        assert (
            run.get(f"/fal-ai/flux/requests/{answer.headers['x-fal-request-id']}").status_code
            == 404
        )
        assert run.post("/fal-ai/nope", json={}).status_code == 404
        stream = run.post("/openrouter/router/stream", json={"prompt": "hi there", "model": "m"})
        assert stream.headers["content-type"].startswith("text/event-stream")
    queued = submit(http)
    assert queued["status"] == "IN_QUEUE"
    # The /run/ prefix on the main port stays an emulator convenience.
    assert "images" in http.post(f"/run/{FLUX}", json={"prompt": "x"}).json()
    assert emulator.counters["run"] == 4 and emulator.counters["submit"] == 1


# --- strict URL matching ---------------------------------------------------------------------


def test_status_result_cancel_match_owner_app_or_the_full_id_only(emulator, http):
    job = submit(http, KLEIN)
    rid = job["request_id"]
    assert job["status_url"].endswith(f"/fal-ai/flux-2/requests/{rid}/status")
    for app in ("fal-ai/flux-2", KLEIN):
        assert http.get(f"/{app}/requests/{rid}/status").status_code == 202, app
    for app in ("fal-ai", "fal-ai/flux-2/klein", "fal-ai/flux", "fal-ai/flux-2/klein/9b/x"):
        response = http.get(f"/{app}/requests/{rid}/status")
        assert response.status_code == 404, app
        assert http.get(f"/{app}/requests/{rid}").status_code == 404, app
        assert http.put(f"/{app}/requests/{rid}/cancel").json() == {"status": "NOT_FOUND"}
    assert emulator.jobs[rid].cancelled_at is None


def test_returned_urls_only_knob_makes_owner_app_urls_404(emulator, http):
    emulator.returned_urls_only = {KLEIN}
    job = submit(http, KLEIN)
    rid = job["request_id"]
    assert job["status_url"] == f"{emulator.base_url}/{KLEIN}/requests/{rid}/status"
    owner_app = http.get(f"/fal-ai/flux-2/requests/{rid}/status")
    assert owner_app.status_code == 404
    assert owner_app.json() == {"detail": "Path /klein not found"}
    assert http.get(job["status_url"]).status_code == 202
    wait_done(http, job["status_url"])
    assert http.get(job["response_url"]).status_code == 200
    assert http.get(f"/fal-ai/flux-2/requests/{rid}").status_code == 404
    # Two-segment ids have no other form; "*" applies the rule to every longer id.
    flux = submit(http)
    assert http.get(flux["status_url"]).status_code in (200, 202)
    emulator.returned_urls_only = {"*"}
    kling = submit(http, "fal-ai/kling-video/v3/pro/text-to-video", {"prompt": "waves"})
    assert "/fal-ai/kling-video/v3/pro/text-to-video/requests/" in kling["cancel_url"]
    assert http.put(kling["cancel_url"]).status_code == 202


# --- workflows/ and comfy/ endpoints: the three-segment rule -----------------------------------


@pytest.mark.parametrize("endpoint", [WORKFLOW, COMFY])
def test_namespaced_endpoints_keep_three_segments(emulator, http, endpoint):
    payload = {"prompt": "otter"} if endpoint == WORKFLOW else {"image_url": "https://x/y.png"}
    job = submit(http, endpoint, payload)
    rid = job["request_id"]
    assert job["status_url"] == f"{emulator.base_url}/{endpoint}/requests/{rid}/status"
    two_segments = "/".join(endpoint.split("/")[:2])
    assert http.get(f"/{two_segments}/requests/{rid}/status").status_code == 404
    done = wait_done(http, job["status_url"])
    assert "error" not in done
    result = http.get(job["response_url"])
    assert result.status_code == 200 and result.headers["x-fal-billable-units"] == "1"
    image = result.json()["images"][0] if endpoint == WORKFLOW else result.json()["image"]
    assert http.get(image["url"]).headers["content-type"].startswith("image/")
    doc = http.get("/api/openapi/queue/openapi.json", params={"endpoint_id": endpoint}).json()
    assert f"/{endpoint}" in doc["paths"]
    found = http.get("/v1/models", params={"endpoint_id": endpoint}).json()["models"]
    assert [m["endpoint_id"] for m in found] == [endpoint]


def test_namespaced_endpoint_validation_and_cancel(emulator, http):
    emulator.store.queue_ticks = 200
    bad = submit(http, WORKFLOW, {"num_images": 9})
    cancel = http.put(bad["cancel_url"])
    assert cancel.status_code == 202
    body = wait_done(http, bad["status_url"])
    assert body["error_type"] == "client_cancelled"
    emulator.store.queue_ticks = 1
    invalid = submit(http, WORKFLOW, {"num_images": 9})
    wait_done(http, invalid["status_url"])
    detail = http.get(invalid["response_url"]).json()["detail"]
    assert {tuple(d["loc"]) for d in detail} == {("body", "prompt"), ("body", "num_images")}


# --- platform strictness ---------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"expand": "bogus"}])
def test_models_reject_unknown_status_and_expand(emulator, params):
    response = httpx.get(f"{emulator.base_url}/v1/models", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "validation_error"


# --- multipart answers -----------------------------------------------------------------------


def test_signed_multipart_parts_answer_json_and_an_etag_header(emulator, http):
    start = http.post(
        "/storage/upload/initiate-multipart",
        params={"storage_type": "fal-cdn-v3"},
        json={"file_name": "v.bin", "content_type": "application/octet-stream"},
    ).json()
    path, query = start["upload_url"].split("?")
    parts = []
    for number, chunk in ((1, b"hello "), (2, b"world")):
        answer = httpx.put(f"{path}/{number}?{query}", content=chunk)
        assert answer.status_code == 200
        body = answer.json()
        assert body["partNumber"] == number and body["etag"] == answer.headers["etag"]
        parts.append(body)  # exactly what fal-js sends back
    done = httpx.post(f"{path}/complete?{query}", json={"parts": parts})
    assert done.status_code == 200
    assert httpx.get(start["file_url"]).content == b"hello world"


def test_cdn_multipart_parts_answer_json_too(emulator, http):
    token = http.post("/storage/auth/token", json={}).json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    start = httpx.post(f"{token['base_url']}/files/upload/multipart", headers=auth).json()
    put = httpx.put(
        f"{start['access_url']}/multipart/{start['uploadId']}/1", headers=auth, content=b"x"
    )
    assert put.json() == {"partNumber": 1, "etag": put.headers["etag"]}


# --- temporary tokens ------------------------------------------------------------------------


def test_temporary_tokens_authorise_their_apps_only(emulator, http):
    assert (
        httpx.post(f"{emulator.base_url}/tokens/", json={"allowed_apps": ["flux"]}).status_code
        == 401
    )
    bad = http.post("/tokens/", json={"allowed_apps": "flux"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "allowed_apps"]
    assert (
        http.post("/tokens/", json={"allowed_apps": ["flux"], "token_expiration": 0}).status_code
        == 422
    )
    answer = http.post("/tokens/", json={"allowed_apps": ["flux"], "token_expiration": 120})
    assert answer.status_code == 200
    token = answer.json()
    assert isinstance(token, str) and token.count(".") == 2
    job = submit(http)
    anonymous = httpx.Client(base_url=emulator.base_url, timeout=10)
    with anonymous:
        allowed = anonymous.get(job["status_url"], params={"fal_jwt_token": token})
        # 202 while queued or running, 200 once completed: either way the token let it in.
        assert allowed.status_code in (200, 202) and "status" in allowed.json()
        kling = submit(http, "fal-ai/kling-video/v3/pro/text-to-video", {"prompt": "w"})
        refused = anonymous.get(kling["status_url"], params={"fal_jwt_token": token})
        assert refused.status_code == 401
        assert (
            anonymous.get(job["status_url"], params={"fal_jwt_token": "x.y.z"}).status_code == 401
        )
        with anonymous.stream(
            "GET", job["status_url"] + "/stream", params={"fal_jwt_token": token}
        ) as stream:
            events = [
                json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")
            ]
        assert events[-1]["status"] == "COMPLETED"


# --- start-up errors -------------------------------------------------------------------------


def test_bad_and_busy_ports_fail_with_one_line_reasons():
    with pytest.raises(EmulatorStartError, match=r"^port 99999 is out of range \(0-65535\)$"):
        Emulator(port=99999).start()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        with pytest.raises(
            EmulatorStartError, match=rf"^port {port} on 127.0.0.1 is already in use$"
        ):
            Emulator(port=port).start()
        with pytest.raises(EmulatorStartError, match="already in use"):
            Emulator(run_port=port).start()
    finally:
        busy.close()
    with pytest.raises(EmulatorStartError, match="must differ"):
        Emulator(port=8999, run_port=8999).start()


def test_a_bad_certificate_fails_with_one_line(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    with pytest.raises(EmulatorStartError, match="cannot use certificate"):
        Emulator(ssl_certfile=cert, ssl_keyfile=cert).start()


def test_reset_forgets_jobs_files_counters_and_chaos(emulator, http):
    job = submit(http)
    emulator.chaos.fail_next("status", 503, count=5)
    emulator.log_window = 1
    emulator.store.queue_ticks = 50
    http.post("/tokens/", json={"allowed_apps": ["flux"]})
    emulator.reset()
    assert emulator.jobs == {} and emulator.files.files == {} and not emulator.counters
    assert emulator.chaos.pending() == {"failures": {}, "drops": {}}
    assert emulator.log_window is None and emulator.store.queue_ticks == 3
    assert http.get(job["status_url"]).status_code == 404
    again = submit(http)
    assert http.get(again["status_url"]).status_code == 202


# --- push-based status streams ---------------------------------------------------------------


def test_cancel_wakes_an_open_stream_at_once():
    emu = Emulator(time_scale=1.0)  # a queue tick lasts one second
    emu.store.queue_ticks = 1000
    emu.sse_keepalive = 600  # no keep-alive will come while the test runs
    with emu, httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        job = submit(http)
        events = []
        with http.stream("GET", job["status_url"] + "/stream") as stream:
            for line in stream.iter_lines():
                if not line.startswith("data: "):
                    continue
                events.append(json.loads(line[6:]))
                if len(events) == 1:
                    assert http.put(job["cancel_url"]).status_code == 202
        assert [e["status"] for e in events] == ["IN_QUEUE", "COMPLETED"]
        assert events[-1]["error_type"] == "client_cancelled"


def test_an_idle_stream_wakes_only_for_keepalives():
    emu = Emulator(time_scale=1.0)
    emu.store.queue_ticks = 1000  # the position changes once a second: not during the test
    emu.sse_keepalive = 0.05
    with emu, httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        job = submit(http)
        comments = 0
        with http.stream("GET", job["status_url"] + "/stream") as stream:
            for line in stream.iter_lines():
                comments += line.startswith(":")
                if comments == 8:
                    break
        wakeups = emu.counters["status_stream_wakeups"]
    # One pass for the first event and one per keep-alive (plus at most one queue tick).
    assert comments + 1 <= wakeups <= comments + 2


def test_a_forced_shutdown_does_not_print_the_cancelled_lifespan():
    import logging

    from faltui.emulator.server import _QuietForcedShutdown

    quiet = _QuietForcedShutdown()

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, message, None, None)

    cancelled = (
        'Traceback (most recent call last):\n  File "starlette/routing.py", line 668, in '
        "lifespan\n    await receive()\nasyncio.exceptions.CancelledError\n"
    )
    assert quiet.filter(record(cancelled)) is False
    assert quiet.filter(record("Traceback (most recent call last):\nValueError: boom")) is True
    assert quiet.filter(record("Exception in ASGI application")) is True
