"""The fal emulator over loopback HTTP: queue routes, errors, chaos, files, uploads, catalog."""

from __future__ import annotations

import io
import json
import struct
import time
import wave
from collections.abc import Iterator
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


def submit(http: httpx.Client, endpoint: str = FLUX, payload: dict | None = None, **kw) -> dict:
    response = http.post(f"/{endpoint}", json=payload or {"prompt": "a red fox"}, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def wait_done(http: httpx.Client, status_url: str, timeout: float = 5.0) -> dict[str, Any]:
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


def test_status_timeline_queue_positions_logs_then_completed(http):
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
        time.sleep(0.003)
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


def test_full_id_status_url_form_is_accepted(emulator, http):
    job = submit(http, "fal-ai/flux-2/klein/9b", {"prompt": "x"})
    rid = job["request_id"]
    response = http.get(f"/fal-ai/flux-2/klein/9b/requests/{rid}/status")
    assert response.status_code == 202
    assert http.get(f"/fal-ai/flux/requests/{rid}/status").status_code == 404


def test_result_before_completion_is_400_then_output(http):
    job = submit(http, payload={"prompt": "a red fox", "output_format": "png", "num_images": 2})
    early = http.get(job["response_url"])
    assert early.status_code == 400
    assert early.json() == {"detail": "Request is still in progress"}
    wait_done(http, job["status_url"])
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
