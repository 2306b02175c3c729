"""Conformance: fal's official Python client (``fal_client``) against the emulator over TLS.

fal_client only speaks ``https`` to fixed hosts: the queue and run hosts come from
``FAL_QUEUE_RUN_HOST`` / ``FAL_RUN_HOST`` (read at import), the REST and CDN hosts are the
module constants ``REST_URL`` / ``CDN_URL`` (there is no other setting for them). In-process
tests set the URL formats exactly as those two variables would (``https://host:port/``) and the
two constants to the emulator; one test runs fal_client in a subprocess configured only through
its environment variables. The emulator serves a trustme certificate for 127.0.0.1;
``SSL_CERT_FILE`` makes httpx (and so fal_client) trust its CA. Every URL fal_client requests
is recorded (``followed_urls``) and must stay on the emulator's two origins.

Rerun: ``python -m pytest tests/test_conformance_fal_client.py -v``.
"""

from __future__ import annotations

import hashlib
import json
import os
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import fal_client
import fal_client.client as fal_module
import httpx
import pytest
from conformance_support import make_tls_files, off_origin
from httpx_sse import connect_sse

from faltui.emulator import DEMO_KEY, Emulator

FLUX = "fal-ai/flux/dev"
KLING = "fal-ai/kling-video/v3/pro/text-to-video"
WORKFLOW = "workflows/faltui-demo/sticker-flow"
COMFY = "comfy/faltui-demo/upscale-image"


@pytest.fixture
def followed_urls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every URL requested through httpx's transports while the test runs (observation only:
    the request goes on unchanged)."""
    urls: list[str] = []
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def record(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return sync_send(self, request)

    async def record_async(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        urls.append(str(request.url))
        return await async_send(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", record)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", record_async)
    yield urls


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(tls_files: dict[str, Path]) -> Iterator[Emulator]:
    emu = Emulator(time_scale=0.02, ssl_certfile=tls_files["cert"], ssl_keyfile=tls_files["key"])
    with emu:
        yield emu


@pytest.fixture
def tls_emulator(tls_server: Emulator) -> Emulator:
    """The module's HTTPS emulator, reset for each test."""
    tls_server.reset()
    return tls_server


@pytest.fixture
def fal(
    tls_emulator: Emulator,
    tls_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    followed_urls: list[str],
) -> Iterator[fal_client.SyncClient]:
    """A fal_client SyncClient on the emulator; afterwards, every URL it followed is checked."""
    base, run = tls_emulator.base_url, tls_emulator.run_url
    assert base.startswith("https://127.0.0.1:") and run.startswith("https://127.0.0.1:")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))
    # What FAL_QUEUE_RUN_HOST=127.0.0.1:<port> and FAL_RUN_HOST=127.0.0.1:<run port> produce.
    monkeypatch.setattr(fal_module, "QUEUE_URL_FORMAT", f"https://{base[8:]}/")
    monkeypatch.setattr(fal_module, "RUN_URL_FORMAT", f"https://{run[8:]}/")
    monkeypatch.setattr(fal_module, "REST_URL", base)
    monkeypatch.setattr(fal_module, "CDN_URL", base)
    yield fal_client.SyncClient(key=DEMO_KEY)
    assert followed_urls, "fal_client made no request"
    assert off_origin(followed_urls, base, run) == []


def test_submit_status_with_logs_iter_events_and_result(tls_emulator, fal):
    handle = fal.submit(FLUX, {"prompt": "a lighthouse", "output_format": "png", "seed": 7})
    assert handle.request_id in tls_emulator.jobs
    assert handle.status_url.startswith(tls_emulator.base_url + "/fal-ai/flux/requests/")
    first = handle.status(with_logs=True)
    assert isinstance(first, fal_client.Queued | fal_client.InProgress | fal_client.Completed)
    events = list(handle.iter_events(with_logs=True, interval=0.01))
    final = events[-1]
    assert isinstance(final, fal_client.Completed)
    assert final.error is None and final.metrics["inference_time"] > 0
    assert any(log["message"].startswith("Loading model") for log in final.logs)
    kinds = {type(e).__name__ for e in events}
    assert "Completed" in kinds
    result = handle.get()
    image = result["images"][0]
    assert result["seed"] == 7 and image["content_type"] == "image/png"
    fetched = httpx.get(image["url"], verify=False)
    assert fetched.content.startswith(b"\x89PNG")
    # Re-attach by id: fal_client builds owner/app URLs itself.
    again = fal.get_handle(FLUX, handle.request_id)
    assert again.status_url == handle.status_url
    assert fal.result(FLUX, handle.request_id) == result


def test_queue_positions_parse_as_queued(tls_emulator, fal):
    tls_emulator.store.queue_ticks = 200  # stays queued for the whole test
    handle = fal.submit(FLUX, {"prompt": "x"})
    status = handle.status()
    assert isinstance(status, fal_client.Queued) and status.position > 0
    fal.cancel(FLUX, handle.request_id)
    final = handle.status(with_logs=True)
    assert isinstance(final, fal_client.Completed)
    assert final.error_type == "client_cancelled"


def test_cancel_after_completion_raises_http_error(fal):
    handle = fal.submit(FLUX, {"prompt": "x"})
    handle.get()
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        handle.cancel()
    assert caught.value.status_code == 400


def test_failed_request_surfaces_detail_and_error_type(tls_emulator, fal):
    tls_emulator.script_next_jobs("app_error")
    handle = fal.submit(FLUX, {"prompt": "x"})
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.status_code == 500
    assert caught.value.error_type == "runner_server_error"
    assert "Emulated model crash" in str(caught.value)

    handle = fal.submit(FLUX, {"num_images": 99})
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.status_code == 422
    locations = [item["loc"] for item in caught.value.response.json()["detail"]]
    assert ["body", "prompt"] in locations and ["body", "num_images"] in locations


def test_unknown_endpoint_and_bad_key(tls_emulator, fal):
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        fal.submit("fal-ai/does-not-exist", {"prompt": "x"})
    assert caught.value.status_code == 404
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        fal_client.SyncClient(key="wrong:key").submit(FLUX, {"prompt": "x"})
    assert caught.value.status_code == 401


def test_fal_client_retries_ingress_errors_and_429(tls_emulator, fal):
    tls_emulator.chaos.fail_next("submit", 429)
    tls_emulator.chaos.fail_next("status", 503, with_request_id=False)
    handle = fal.submit(FLUX, {"prompt": "x"})
    assert tls_emulator.counters["submit"] == 2 and len(tls_emulator.jobs) == 1
    handle.status()
    assert tls_emulator.counters["status"] == 2
    tls_emulator.chaos.fail_next("status", 503)  # from fal itself: not retried
    with pytest.raises(fal_client.FalClientHTTPError):
        handle.status()


def test_sync_run_on_the_run_host_and_stream(tls_emulator, fal, followed_urls):
    result = fal.run("fal-ai/whisper", {"audio_url": "https://example.com/a.wav"})
    assert result["text"] and result["chunks"]
    video = fal.run(KLING, {"prompt": "waves", "duration": "5"})
    assert video["video"]["url"].startswith(tls_emulator.run_url + "/files/")
    events = list(fal.stream("openrouter/router", {"prompt": "tell me", "model": "m"}))
    assert len(events) > 2
    assert events[0]["partial"] is True
    assert events[-1]["output"].endswith("tell me")
    assert tls_emulator.counters["run"] == 3 and tls_emulator.counters["submit"] == 0
    assert all(url.startswith(tls_emulator.run_url + "/") for url in followed_urls)


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [(WORKFLOW, {"prompt": "otter"}), (COMFY, {"image_url": "https://x/y.png"})],
)
def test_namespaced_ids_keep_three_segments(tls_emulator, fal, endpoint, payload):
    handle = fal.submit(endpoint, payload)
    assert handle.status_url.startswith(f"{tls_emulator.base_url}/{endpoint}/requests/")
    result = handle.get()
    assert result
    # Re-attach by id: fal_client builds the ns/owner/alias URLs itself.
    again = fal.get_handle(endpoint, handle.request_id)
    assert again.status_url == handle.status_url
    assert isinstance(fal.status(endpoint, handle.request_id), fal_client.Completed)
    tls_emulator.store.queue_ticks = 200
    queued = fal.submit(endpoint, payload)
    fal.cancel(endpoint, queued.request_id)
    assert fal.status(endpoint, queued.request_id).error_type == "client_cancelled"


def test_status_stream_over_tls(tls_emulator, fal, tls_files):
    handle = fal.submit(FLUX, {"prompt": "x"})
    headers = {"Authorization": f"Key {DEMO_KEY}"}
    with (
        httpx.Client(
            verify=ssl.create_default_context(cafile=tls_files["ca"]), headers=headers
        ) as http,
        connect_sse(http, "GET", handle.status_url + "/stream", params={"logs": 1}) as source,
    ):
        statuses = [json.loads(event.data)["status"] for event in source.iter_sse()]
    assert statuses[-1] == "COMPLETED"


def test_upload_one_shot_multipart_and_fallback(tls_emulator, fal, tmp_path):
    url = fal.upload(b"hello fal", "text/plain", file_name="hello.txt")
    assert url.startswith(tls_emulator.base_url + "/files/b/") and url.endswith("hello.txt")
    stored = next(iter(tls_emulator.uploads.values()))
    assert stored.data == b"hello fal" and stored.content_type == "text/plain"

    # Over 100 MiB: fal_client's own multipart path (10 MiB parts), nothing patched.
    big = tmp_path / "big.bin"
    size = fal_module.MULTIPART_THRESHOLD + 5 * 1024 * 1024 + 123
    block = os.urandom(1024 * 1024)
    with big.open("wb") as handle:
        for offset in range(0, size, len(block)):
            handle.write(block[: min(len(block), size - offset)])
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    big_url = fal.upload_file(big)
    assert tls_emulator.counters["multipart_part"] == 11
    assert tls_emulator.counters["multipart_complete"] == 1
    downloaded = httpx.get(big_url, verify=False).content
    assert len(downloaded) == size and hashlib.sha256(downloaded).hexdigest() == digest

    fallback = fal.upload(b"gcs path", "text/plain", file_name="f.txt", repository="fal")
    assert httpx.get(fallback, verify=False).content == b"gcs path"
    assert tls_emulator.counters["storage_token"] == 1  # the CDN token is cached


async def test_async_client_submit_upload_and_result(tls_emulator, fal):
    client = fal_client.AsyncClient(key=DEMO_KEY)
    handle = await client.submit("fal-ai/trellis", {"image_url": "https://x/y.png"})
    result = await handle.get()
    assert result["model_mesh"]["content_type"] == "model/gltf-binary"
    url = await client.upload(b"async bytes", "application/octet-stream", file_name="a.bin")
    assert any(f.data == b"async bytes" for f in tls_emulator.uploads.values())
    assert url.endswith("a.bin")
    ran = await client.run(FLUX, {"prompt": "async run"})
    assert ran["images"][0]["url"].startswith(tls_emulator.run_url)


def test_environment_variables_route_fal_client_to_the_emulator(tls_emulator, tls_files):
    """Configured only through its environment: FAL_QUEUE_RUN_HOST and FAL_RUN_HOST."""
    script = textwrap.dedent(
        """
        import json, httpx, fal_client
        followed = []
        send = httpx.HTTPTransport.handle_request
        def record(self, request):
            followed.append(str(request.url))
            return send(self, request)
        httpx.HTTPTransport.handle_request = record  # observes only
        handle = fal_client.submit("fal-ai/flux/dev", {"prompt": "env"})
        result = handle.get()
        run = fal_client.run("fal-ai/flux/dev", {"prompt": "env", "num_images": 2})
        flow = fal_client.submit("workflows/faltui-demo/sticker-flow", {"prompt": "env"}).get()
        print(json.dumps({"rid": handle.request_id, "images": len(run["images"]),
                          "prompt": result["prompt"], "flow": len(flow["images"]),
                          "followed": followed}))
        """
    )
    env = {
        **os.environ,
        "FAL_KEY": DEMO_KEY,
        "FAL_QUEUE_RUN_HOST": tls_emulator.base_url.removeprefix("https://"),
        "FAL_RUN_HOST": tls_emulator.run_url.removeprefix("https://"),
        "SSL_CERT_FILE": str(tls_files["ca"]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["rid"] in tls_emulator.jobs
    assert (out["images"], out["prompt"], out["flow"]) == (2, "env", 1)
    assert tls_emulator.counters["run"] == 1 and tls_emulator.counters["submit"] == 2
    assert off_origin(out["followed"], tls_emulator.base_url, tls_emulator.run_url) == []
    assert any(url.startswith(tls_emulator.run_url + "/") for url in out["followed"])
