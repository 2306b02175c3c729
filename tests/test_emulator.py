"""The fal emulator over loopback HTTP: queue routes, errors, chaos, files, uploads, catalog."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from threading import Thread
from typing import Any

import httpx
import pytest
from PIL import Image

from faltui.emulator import DEMO_KEY, LOCKED_KEY, Emulator

AUTH = {"Authorization": f"Key {DEMO_KEY}"}
FLUX = "fal-ai/flux/dev"


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=10) as client:
        yield client


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def manual() -> Iterator[tuple[Emulator, httpx.Client, ManualClock]]:
    """An emulator on a hand-moved clock (1 tick = 1 s) and a client for it."""
    clock = ManualClock()
    emu = Emulator(time_scale=1.0, clock=clock)
    with emu, httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=10) as client:
        yield emu, client, clock


def submit(http: httpx.Client, endpoint: str = FLUX, payload: dict | None = None, **kw) -> dict:
    response = http.post(f"/{endpoint}", json=payload or {"prompt": "a red fox"}, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def wait_done(http: httpx.Client, status_url: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = http.get(status_url).json()
        if body["status"] == "COMPLETED":
            return body
        time.sleep(0.01)
    raise AssertionError("job did not complete")


# --- submit / status / result ----------------------------------------------------------------


def test_submit_returns_owner_app_urls_and_request_id_header(emulator, http):
    response = http.post("/fal-ai/flux-2/klein/9b", json={"prompt": "x"})
    assert response.status_code == 200
    body = response.json()
    rid = body["request_id"]
    assert response.headers["x-fal-request-id"] == rid
    base = f"{emulator.base_url}/fal-ai/flux-2/requests/{rid}"
    assert body["response_url"] == base
    assert body["status_url"] == base + "/status"
    assert body["cancel_url"] == base + "/cancel"
    assert body["status"] == "IN_QUEUE"
    assert body["queue_position"] == 2
    assert emulator.jobs[rid].endpoint_id == "fal-ai/flux-2/klein/9b"
    assert emulator.jobs[rid].input == {"prompt": "x"}
    assert emulator.counters["submit"] == 1


def test_status_timeline_queue_positions_logs_then_completed(manual):
    _emu, http, clock = manual
    job = submit(http)
    seen_positions: list[int] = []
    states: list[str] = []
    codes: set[tuple[str, int]] = set()
    logs: list[dict] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        response = http.get(job["status_url"], params={"logs": "1"})
        body = response.json()
        codes.add((body["status"], response.status_code))
        if not states or states[-1] != body["status"]:
            states.append(body["status"])
        if body["status"] == "IN_QUEUE":
            assert "logs" in body and body["logs"] == []
            seen_positions.append(body["queue_position"])
        else:
            assert "queue_position" not in body
        logs = body["logs"]
        if body["status"] == "COMPLETED":
            break
        clock.advance(0.5)
    assert seen_positions == [2, 2, 1, 1, 0, 0]
    assert states == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert seen_positions == sorted(seen_positions, reverse=True) and seen_positions[-1] == 0
    assert codes == {("IN_QUEUE", 202), ("IN_PROGRESS", 202), ("COMPLETED", 200)}
    assert body["metrics"]["inference_time"] > 0
    assert "error" not in body
    assert len(logs) == 5
    assert all(set(e) == {"message", "level", "source", "timestamp"} for e in logs)
    assert logs[0]["message"].startswith("Loading model fal-ai/flux/dev")
    assert [e["timestamp"] for e in logs] == sorted(e["timestamp"] for e in logs)


def test_status_without_logs_param_has_null_logs(http):
    job = submit(http)
    assert http.get(job["status_url"]).json()["logs"] is None
    body = wait_done(http, job["status_url"])
    assert body["logs"] is None
    assert http.get(job["status_url"], params={"logs": "true"}).json()["logs"]


def test_full_id_status_url_form_is_accepted(manual):
    _emu, http, _clock = manual
    job = submit(http, "fal-ai/flux-2/klein/9b", {"prompt": "x"})
    rid = job["request_id"]
    response = http.get(f"/fal-ai/flux-2/klein/9b/requests/{rid}/status")
    assert response.status_code == 202
    assert http.get(f"/fal-ai/flux/requests/{rid}/status").status_code == 404


def test_result_before_completion_is_400_then_output(manual):
    _emu, http, clock = manual
    job = submit(http, payload={"prompt": "a red fox", "output_format": "png", "num_images": 2})
    early = http.get(job["response_url"])
    assert early.status_code == 400
    assert early.json() == {"detail": "Request is still in progress"}
    clock.advance(7.9)
    assert http.get(job["response_url"]).status_code == 400
    clock.advance(0.1)
    result = http.get(job["response_url"])
    assert result.status_code == 200
    assert result.headers["x-fal-request-id"] == job["request_id"]
    out = result.json()
    assert out["prompt"] == "a red fox"
    assert isinstance(out["seed"], int)
    assert out["has_nsfw_concepts"] == [False, False]
    assert len(out["images"]) == 2
    image = out["images"][0]
    assert image["width"] == 1024 and image["height"] == 768  # landscape_4_3 default
    assert image["content_type"] == "image/png"


def test_unknown_request_and_unknown_endpoint_are_404(http):
    assert http.get("/fal-ai/flux/requests/nope/status").status_code == 404
    assert http.get("/fal-ai/flux/requests/nope").status_code == 404
    response = http.post("/fal-ai/not-a-model", json={})
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]


def test_auth_missing_invalid_and_locked(emulator):
    with httpx.Client(base_url=emulator.base_url) as client:
        assert client.post(f"/{FLUX}", json={}).status_code == 401
        bad = client.post(f"/{FLUX}", json={}, headers={"Authorization": "Key nope:nope"})
        assert bad.status_code == 401
        assert bad.json() == {"detail": "Unauthorized"}
        locked = client.post(f"/{FLUX}", json={}, headers={"Authorization": f"Key {LOCKED_KEY}"})
        assert locked.status_code == 403
        assert "User is locked" in locked.json()["detail"]
    assert emulator.jobs == {}


def test_body_must_be_a_json_object(http):
    response = http.post(
        f"/{FLUX}", content=b"[1, 2]", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    broken = http.post(f"/{FLUX}", content=b"{nope", headers={"content-type": "application/json"})
    assert broken.status_code == 422


def test_headers_and_webhook_param_are_recorded(emulator, http):
    job = submit(
        http,
        params={"fal_webhook": "http://127.0.0.1:1/hook"},
        headers={
            "X-Fal-Runner-Hint": "session-1",
            "X-Fal-Queue-Priority": "low",
            "X-Fal-Request-Timeout": "30",
            "X-Fal-Object-Lifecycle-Preference": '{"expiration_duration_seconds": 3600}',
        },
    )
    recorded = emulator.jobs[job["request_id"]]
    assert recorded.headers["X-Fal-Runner-Hint"] == "session-1"
    assert recorded.headers["x-fal-queue-priority"] == "low"
    assert recorded.headers["X-Fal-Request-Timeout"] == "30"
    assert json.loads(recorded.headers["X-Fal-Object-Lifecycle-Preference"]) == {
        "expiration_duration_seconds": 3600
    }
    assert "authorization" not in recorded.headers
    assert recorded.webhook == "http://127.0.0.1:1/hook"


def test_generated_png_is_real_sized_and_seed_dependent(http):
    def image_for(seed: int, size: Any) -> tuple[bytes, dict]:
        payload = {"prompt": "same", "seed": seed, "image_size": size, "output_format": "png"}
        job = submit(http, payload=payload)
        wait_done(http, job["status_url"])
        image = http.get(job["response_url"]).json()["images"][0]
        data = http.get(image["url"], headers={"Authorization": ""})
        assert data.status_code == 200
        assert data.headers["content-type"] == "image/png"
        assert int(data.headers["content-length"]) == len(data.content)
        return data.content, image

    first, meta = image_for(1, {"width": 320, "height": 200})
    again, _ = image_for(1, {"width": 320, "height": 200})
    other, _ = image_for(2, {"width": 320, "height": 200})
    square, square_meta = image_for(1, "square")
    with Image.open(io.BytesIO(first)) as img:
        assert img.format == "PNG" and img.size == (320, 200)
    assert (meta["width"], meta["height"]) == (320, 200)
    assert first == again
    assert first != other
    with Image.open(io.BytesIO(square)) as img:
        assert img.size == (512, 512) == (square_meta["width"], square_meta["height"])


def run(http: httpx.Client, endpoint: str, payload: dict) -> httpx.Response:
    return http.post(f"/run/{endpoint}", json=payload)


def test_sync_run_returns_output_directly(emulator, http):
    response = run(http, "fal-ai/z-image/turbo", {"prompt": "p", "output_format": "png"})
    assert response.status_code == 200
    assert response.headers["x-fal-request-id"] in emulator.jobs
    assert response.json()["images"][0]["url"].startswith(emulator.base_url + "/files/")
    assert emulator.counters["run"] == 1


def test_wav_glb_video_and_text_outputs(http):
    audio = run(http, "fal-ai/chatterbox/text-to-speech", {"text": "hello"}).json()["audio"]
    wav_bytes = http.get(audio["url"]).content
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        assert wav.getnframes() / wav.getframerate() >= 0.2
    assert audio["content_type"] == "audio/wav"

    mesh = run(http, "fal-ai/trellis", {"image_url": "https://x/y.png"}).json()["model_mesh"]
    glb = http.get(mesh["url"])
    assert glb.headers["content-type"] == "model/gltf-binary"
    magic, version, length = struct.unpack("<4sII", glb.content[:12])
    assert (magic, version, length) == (b"glTF", 2, len(glb.content))
    chunk_len, chunk_type = struct.unpack("<I4s", glb.content[12:20])
    document = json.loads(glb.content[20 : 20 + chunk_len])
    assert chunk_type == b"JSON" and document["asset"]["version"] == "2.0"

    video = run(http, "fal-ai/kling-video/v3/pro/text-to-video", {"prompt": "v"}).json()["video"]
    clip = http.get(video["url"])
    assert clip.headers["content-type"] == video["content_type"] == "image/webp"
    with Image.open(io.BytesIO(clip.content)) as img:
        assert img.n_frames > 1

    text = run(http, "fal-ai/whisper", {"audio_url": "https://x/a.wav"}).json()
    assert text["text"] and text["chunks"][0]["text"]
    assert text["chunks"][0]["timestamp"][0] < text["chunks"][1]["timestamp"][0]

    llm = run(http, "openrouter/router", {"prompt": "Why?", "model": "m"}).json()
    assert "Why?" in llm["output"]


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_in_queue_completes_with_client_cancelled(manual):
    emulator, http, _clock = manual
    job = submit(http)
    response = http.put(job["cancel_url"])
    assert response.status_code == 202
    assert response.json() == {"status": "CANCELLATION_REQUESTED"}
    body = http.get(job["status_url"]).json()
    assert body["status"] == "COMPLETED"
    assert body["error"] == "Request was cancelled"
    assert body["error_type"] == "client_cancelled"
    result = http.get(job["response_url"])
    assert result.status_code == 499 and result.json()["error_type"] == "client_cancelled"
    again = http.put(job["cancel_url"])
    assert again.status_code == 400 and again.json() == {"status": "ALREADY_COMPLETED"}
    assert http.put("/fal-ai/flux/requests/nope/cancel").json() == {"status": "NOT_FOUND"}
    assert emulator.counters["cancel"] == 3


def test_cancel_in_progress_completes_on_next_tick():
    now = [50.0]
    emu = Emulator(time_scale=1.0, clock=lambda: now[0])
    with emu, httpx.Client(base_url=emu.base_url, headers=AUTH) as client:
        emu.script_next_jobs("fast")
        job = submit(client)
        assert job["status"] == "IN_PROGRESS" and "queue_position" not in job
        now[0] += 1.5  # mid second tick
        assert client.put(job["cancel_url"]).status_code == 202
        assert client.put(job["cancel_url"]).status_code == 202  # still running: idempotent
        assert client.get(job["status_url"]).json()["status"] == "IN_PROGRESS"
        now[0] += 0.5  # the next tick boundary
        body = client.get(job["status_url"]).json()
        assert body["status"] == "COMPLETED" and body["error_type"] == "client_cancelled"


def test_cancel_after_completion_is_already_completed(http):
    job = submit(http)
    wait_done(http, job["status_url"])
    response = http.put(job["cancel_url"])
    assert response.status_code == 400
    assert response.json() == {"status": "ALREADY_COMPLETED"}


# --- scripted outcomes and input validation --------------------------------------------------


def test_scripted_app_error_and_timeout(http, emulator):
    emulator.script_next_jobs("app_error")
    emulator.script_next_jobs("timeout")
    crash = submit(http)
    late = submit(http, headers={"X-Fal-Request-Timeout": "5"})
    fine = submit(http)
    body = wait_done(http, crash["status_url"])
    assert (body["error"], body["error_type"]) == (
        "Invalid status code: 500",
        "runner_server_error",
    )
    logs = http.get(crash["status_url"], params={"logs": 1}).json()["logs"]
    assert "traceback" in json.loads(logs[-1]["message"])
    result = http.get(crash["response_url"])
    assert result.status_code == 500
    assert result.headers["x-fal-error-type"] == "runner_server_error"
    assert result.json()["detail"] == "Emulated model crash"

    assert wait_done(http, late["status_url"])["error_type"] == "request_timeout"
    timed_out = http.get(late["response_url"])
    assert timed_out.status_code == 504
    assert timed_out.headers["x-fal-request-timeout-type"] == "user"
    assert "error" not in wait_done(http, fine["status_url"])


def test_invalid_input_is_accepted_then_fails_with_422_detail(http):
    job = submit(http, payload={"image_size": "huge", "num_images": "two", "seed": 1.5})
    body = wait_done(http, job["status_url"])
    assert body["error"] == "Invalid status code: 422"
    result = http.get(job["response_url"])
    assert result.status_code == 422
    detail = result.json()["detail"]
    by_field = {tuple(item["loc"]): item for item in detail}
    assert by_field[("body", "prompt")]["type"] == "missing"
    assert by_field[("body", "num_images")]["type"] == "int_type"
    assert by_field[("body", "seed")]["type"] in {"int_type", "none_required"}
    assert "square_hd" in by_field[("body", "image_size")]["msg"]


def test_sync_run_validation_enum_and_bounds(http):
    response = run(http, FLUX, {"prompt": "x", "output_format": "gif", "num_images": 9})
    assert response.status_code == 422
    detail = {item["loc"][-1]: item for item in response.json()["detail"]}
    assert detail["output_format"]["type"] == "literal_error"
    assert detail["output_format"]["msg"] == "Input should be 'jpeg' or 'png'"
    assert detail["num_images"]["type"] == "less_than_equal"
    kling = "fal-ai/kling-video/v3/pro/text-to-video"
    assert run(http, kling, {"prompt": "x", "duration": 5}).status_code == 422
    assert run(http, kling, {"prompt": "x", "duration": "5"}).status_code == 200


def test_scripted_validation_outcome(emulator, http):
    emulator.script_next_jobs("validation")
    job = submit(http)
    assert wait_done(http, job["status_url"])["error"] == "Invalid status code: 422"
    assert http.get(job["response_url"]).json()["detail"][0]["loc"][0] == "body"
    with pytest.raises(ValueError):
        emulator.script_next_jobs("explode")


# --- status stream ---------------------------------------------------------------------------


def read_events(http: httpx.Client, url: str) -> tuple[list[dict], list[str]]:
    events: list[dict] = []
    comments: list[str] = []
    with http.stream("GET", url, params={"logs": "1"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
            elif line.startswith(":"):
                comments.append(line)
    return events, comments


def test_status_stream_sends_changes_new_logs_and_closes(emulator, http):
    emulator.sse_keepalive = 0.01
    emulator.store.queue_ticks = 25  # 0.5 s in the queue: the stream starts there
    emulator.script_next_jobs("slow")
    job = submit(http)
    events, comments = read_events(http, job["status_url"] + "/stream")
    states = [e["status"] for e in events]
    assert states[0] == "IN_QUEUE" and states[-1] == "COMPLETED"
    assert "IN_PROGRESS" in states
    positions = [e["queue_position"] for e in events if e["status"] == "IN_QUEUE"]
    assert positions == sorted(positions, reverse=True)
    messages = [entry["message"] for e in events for entry in e["logs"]]
    assert len(messages) == len(set(messages)) == 50  # each line sent exactly once
    assert comments and all(c == ": keepalive" for c in comments)
    assert events[-1]["metrics"]["inference_time"] > 0
    assert emulator.counters["status_stream"] == 1


def test_status_stream_of_finished_job_sends_one_event(http):
    job = submit(http)
    wait_done(http, job["status_url"])
    events, _ = read_events(http, job["status_url"] + "/stream")
    assert [e["status"] for e in events] == ["COMPLETED"]
    assert http.get("/fal-ai/flux/requests/nope/status/stream").status_code == 404


# --- chaos -----------------------------------------------------------------------------------


def test_fail_next_with_and_without_request_id(emulator, http):
    emulator.chaos.fail_next("submit", 429, count=2)
    emulator.chaos.fail_next("status", 503, with_request_id=False)
    first = http.post(f"/{FLUX}", json={"prompt": "x"})
    assert first.status_code == 429 and "x-fal-request-id" in first.headers
    assert http.post(f"/{FLUX}", json={"prompt": "x"}).status_code == 429
    assert emulator.jobs == {}  # the handler did not run
    job = submit(http)
    ingress = http.get(job["status_url"])
    assert ingress.status_code == 503
    assert "x-fal-request-id" not in ingress.headers and "nginx" in ingress.text
    assert http.get(job["status_url"]).status_code == 202
    assert emulator.counters["submit"] == 3 and emulator.counters["status"] == 2


def test_fail_next_custom_body_and_headers(emulator, http):
    emulator.chaos.fail_next(
        "result", 500, body={"detail": "boom"}, headers={"X-Fal-Retryable": "1"}
    )
    response = http.get("/fal-ai/flux/requests/any")
    assert response.status_code == 500
    assert response.json() == {"detail": "boom"}
    assert response.headers["x-fal-retryable"] == "1"


def test_drop_next_runs_handler_then_closes_without_response(emulator, http):
    emulator.chaos.drop_next("submit")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(f"/{FLUX}", json={"prompt": "x"})
    assert len(emulator.jobs) == 1  # the submit was created
    assert submit(http)["request_id"] in emulator.jobs


def test_latency_is_added_to_responses_until_chaos_is_reset(emulator, http):
    emulator.chaos.latency = 0.2
    started = time.monotonic()
    http.get("/fal-ai/flux/requests/nope/status")
    assert time.monotonic() - started >= 0.2
    # Far longer than the client's 10 s timeout: the answer comes only if reset removed it.
    emulator.chaos.latency = 600
    emulator.chaos.reset()
    assert http.get("/fal-ai/flux/requests/nope/status").status_code == 404


# --- webhooks, clock, load -------------------------------------------------------------------


def test_webhook_posted_when_done(emulator, http):
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        ok = submit(http, params={"fal_webhook": url})
        emulator.script_next_jobs("validation")
        bad = submit(http, params={"fal_webhook": url})
        deadline = time.monotonic() + 5
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        server.shutdown()
    by_id = {r["request_id"]: r for r in received}
    assert by_id[ok["request_id"]]["status"] == "OK"
    assert by_id[ok["request_id"]]["payload"]["images"]
    assert by_id[bad["request_id"]]["status"] == "ERROR"
    assert by_id[bad["request_id"]]["error"] == "Invalid status code: 422"
    assert by_id[bad["request_id"]]["payload"]["detail"]
    assert all(w["status_code"] == 200 for w in emulator.webhooks)


def test_injected_clock_drives_the_timeline():
    now = [1000.0]
    emu = Emulator(time_scale=1.0, clock=lambda: now[0])
    with emu, httpx.Client(base_url=emu.base_url, headers=AUTH) as client:
        job = submit(client)
        job_obj = emu.jobs[job["request_id"]]
        assert job_obj.state == "IN_QUEUE"
        assert client.get(job["status_url"]).json()["queue_position"] == 2
        now[0] += 1.0
        assert client.get(job["status_url"]).json()["queue_position"] == 1
        now[0] += 2.0
        body = client.get(job["status_url"], params={"logs": 1}).json()
        assert body["status"] == "IN_PROGRESS" and len(body["logs"]) == 1
        now[0] += 100
        assert client.get(job["status_url"]).json()["metrics"] == {"inference_time": 5.0}
        emu.result_ttl = 10
        assert client.get(job["response_url"]).status_code == 404
        emu.log_window = 2
        logs = client.get(job["status_url"], params={"logs": 1}).json()["logs"]
        assert [e["message"] for e in logs] == ["Step 3/4: denoising", "Step 4/4: denoising"]


async def test_two_hundred_concurrent_jobs(emulator):
    # A small pool: one httpx client with ~100 busy connections is itself the bottleneck.
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers=AUTH, timeout=30, limits=limits
    ) as client:

        async def one(index: int) -> dict:
            payload = {"prompt": "batch", "seed": index, "output_format": "png"}
            job = (await client.post(f"/{FLUX}", json=payload)).json()
            while (await client.get(job["status_url"])).json()["status"] != "COMPLETED":
                await asyncio.sleep(0.3)
            return (await client.get(job["response_url"])).json()

        results = await asyncio.gather(*(one(i) for i in range(200)))
    # How long this takes is measured by bench/bench_jobs.py (its "naive" peer), not here.
    assert len({r["images"][0]["url"] for r in results}) == 200
    assert {r["seed"] for r in results} == set(range(200))


def test_start_timeout_shorter_than_the_queue_gives_startup_timeout(manual):
    _emu, http, clock = manual
    job = submit(http, headers={"X-Fal-Request-Start-Timeout": "1.5"})
    clock.advance(1.0)
    assert http.get(job["status_url"]).json()["status"] == "IN_QUEUE"
    clock.advance(1.0)
    body = http.get(job["status_url"]).json()
    assert body["status"] == "COMPLETED" and body["error_type"] == "startup_timeout"
    result = http.get(job["response_url"])
    assert result.status_code == 504
    assert result.headers["x-fal-request-timeout-type"] == "user"
    patient = submit(http, headers={"X-Fal-Request-Timeout": "10"})
    clock.advance(10)
    assert "error" not in http.get(patient["status_url"]).json()


def test_time_scale_property_changes_new_timelines(emulator):
    emulator.time_scale = 0.5
    assert emulator.store.tick == 0.5


def test_reset_gives_a_new_emulators_state_on_the_same_socket(emulator, http):
    base_url, default_scale = emulator.base_url, emulator.time_scale
    job = submit(http)
    files = {"file": ("a.txt", b"hello", "text/plain")}
    assert http.post("/api/storage/upload", files=files).status_code == 200
    assert emulator.uploads
    emulator.script_next_jobs("app_error", 3)
    emulator.chaos.fail_next("status", 500, count=5)
    emulator.chaos.latency = 600
    emulator.time_scale = 7.0
    emulator.store.queue_ticks = 99
    emulator.keys.add("extra:key")
    emulator.log_window, emulator.result_ttl, emulator.sse_keepalive = 1, 0.5, 99.0

    emulator.reset()

    assert emulator.base_url == base_url  # still serving, same port
    assert emulator.jobs == {} and emulator.uploads == {} and emulator.files.files == {}
    assert emulator.counters == {} and emulator.webhooks == []
    assert emulator.time_scale == default_scale and emulator.store.queue_ticks == 3
    assert "extra:key" not in emulator.keys
    assert (emulator.log_window, emulator.result_ttl) == (None, None)
    assert emulator.sse_keepalive == Emulator(time_scale=default_scale).sse_keepalive
    # The old request is forgotten; no latency, no scripted failure, no scripted outcome.
    assert http.get(job["status_url"]).status_code == 404
    fresh = submit(http)
    assert emulator.store.jobs[fresh["request_id"]].outcome == "ok"
    assert wait_done(http, fresh["status_url"]).get("error") is None
    assert emulator.counters["submit"] == 1


def test_serve_forever_prints_url_and_key_and_stops_on_ctrl_c():
    code = "from faltui.emulator import serve_forever; serve_forever('127.0.0.1', 0)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        base = first.rsplit(" ", 1)[-1]
        assert base.startswith("http://127.0.0.1:") and not base.endswith(":0")
        assert proc.stdout.readline().strip() == f"FAL_KEY={DEMO_KEY}"
        assert httpx.get(f"{base}/v1/models", params={"limit": 1}).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


#: Attributes that say where and how an emulator serves, or what it restored at start:
#: ``reset()`` keeps them.
SERVING = {
    "host",
    "port",
    "run_port",
    "ssl_certfile",
    "ssl_keyfile",
    "data_dir",
    "journal",
    "restored_jobs",
}


def test_reset_restores_every_plain_setting_a_new_emulator_has(emulator):
    """A knob added to ``Emulator.__init__`` is covered by reset() too (or this fails)."""
    fresh = Emulator(time_scale=emulator.time_scale)
    plain = (type(None), str, int, float, bool, set, dict)
    knobs = {
        name: value
        for name, value in vars(fresh).items()
        if not name.startswith("_")
        and name not in SERVING
        and isinstance(value, plain)
        and isinstance(getattr(emulator, name), plain)  # not a live object (stream feed…)
    }
    assert {"public_url", "public_run_url", "log_window", "keys"} <= set(knobs)
    for name, value in knobs.items():
        if isinstance(value, (set, dict)):
            changed = type(value)(value)
            changed.update({"changed-by-a-test": "x"} if isinstance(value, dict) else {"x"})
            setattr(emulator, name, changed)
        else:
            setattr(emulator, name, "changed-by-a-test")
    emulator.reset()
    for name, value in knobs.items():
        assert getattr(emulator, name) == value, name


def test_reset_forgets_endpoints_added_after_start_but_keeps_the_starting_ones(emulator, http):
    before = set(emulator.catalog.by_id)
    doc = emulator.catalog.openapi("fal-ai/flux/dev")
    emulator.catalog.add("acme/added-by-a-test", doc or {})
    assert "acme/added-by-a-test" in emulator.catalog.by_id
    emulator.reset()
    assert set(emulator.catalog.by_id) == before
