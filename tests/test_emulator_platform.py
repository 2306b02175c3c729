"""Emulator storage (tokens, uploads, multipart, signed URLs) and platform catalog routes."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from faltui.core.bundled import bundled_models
from faltui.emulator import DEMO_KEY, LOCKED_KEY, Emulator

AUTH = {"Authorization": f"Key {DEMO_KEY}"}


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=10) as client:
        yield client


def cdn_auth(http: httpx.Client) -> dict[str, str]:
    response = http.post("/storage/auth/token", params={"storage_type": "fal-cdn-v3"}, json={})
    assert response.status_code == 200
    token = response.json()
    return {"Authorization": f"{token['token_type']} {token['token']}"}


# --- storage ---------------------------------------------------------------------------------


def test_token_then_one_shot_upload_and_download(emulator, http):
    token = http.post("/storage/auth/token", params={"storage_type": "fal-cdn-v3"}, json={}).json()
    assert token["token_type"] == "Bearer"
    assert token["base_url"] == emulator.base_url
    assert token["expires_at"].endswith("+00:00")
    headers = {
        "Authorization": f"Bearer {token['token']}",
        "Content-Type": "text/plain",
        "X-Fal-File-Name": "my notes.txt",
        "X-Fal-Object-Lifecycle": '{"expiration_duration_seconds": 60}',
    }
    response = httpx.post(f"{emulator.base_url}/files/upload", content=b"hello", headers=headers)
    assert response.status_code == 200
    url = response.json()["access_url"]
    assert url.startswith(f"{emulator.base_url}/files/b/") and url.endswith("_my_notes.txt")
    download = httpx.get(url)
    assert download.content == b"hello"
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-length"] == "5"
    (stored,) = emulator.uploads.values()
    assert stored.lifecycle == '{"expiration_duration_seconds": 60}'
    assert emulator.counters["storage_token"] == 1 and emulator.counters["upload"] == 1
    assert emulator.counters["file"] == 1
    assert emulator.counters["file_with_auth"] == 0
    httpx.get(url, headers=AUTH)
    assert emulator.counters["file_with_auth"] == 1


def test_upload_requires_cdn_token_and_token_requires_key(emulator):
    base = emulator.base_url
    assert httpx.post(f"{base}/files/upload", content=b"x").status_code == 401
    assert httpx.post(f"{base}/files/upload", headers=AUTH, content=b"x").status_code == 401
    assert httpx.post(f"{base}/storage/auth/token", json={}).status_code == 401
    locked = {"Authorization": f"Key {LOCKED_KEY}"}
    assert httpx.post(f"{base}/storage/auth/token", headers=locked, json={}).status_code == 403
    assert emulator.uploads == {}


def test_multipart_upload_assembles_parts_in_order(emulator, http):
    auth = cdn_auth(http)
    start = httpx.post(
        f"{emulator.base_url}/files/upload/multipart",
        headers={**auth, "Content-Type": "application/octet-stream", "X-Fal-File-Name": "big.bin"},
    )
    assert start.status_code == 200
    access_url, upload_id = start.json()["access_url"], start.json()["uploadId"]
    etags = {}
    for number, chunk in ((2, b"world"), (1, b"hello ")):
        put = httpx.put(f"{access_url}/multipart/{upload_id}/{number}", headers=auth, content=chunk)
        assert put.status_code == 200
        etags[number] = put.headers["etag"]
    parts = [{"partNumber": n, "etag": etags[n]} for n in (1, 2)]
    wrong = [{"partNumber": 1, "etag": etags[2]}, {"partNumber": 2, "etag": etags[2]}]
    bad = httpx.post(
        f"{access_url}/multipart/{upload_id}/complete", headers=auth, json={"parts": wrong}
    )
    assert bad.status_code == 400 and "etag" in bad.json()["detail"]
    assert httpx.get(access_url).status_code == 404  # not complete yet
    done = httpx.post(
        f"{access_url}/multipart/{upload_id}/complete", headers=auth, json={"parts": parts}
    )
    assert done.status_code == 200 and done.json()["access_url"] == access_url
    assert httpx.get(access_url).content == b"hello world"
    assert emulator.counters["multipart_initiate"] == 1
    assert emulator.counters["multipart_part"] == 2
    assert emulator.counters["multipart_complete"] == 2


def test_a_part_sent_again_replaces_it_under_a_new_etag(emulator, http):
    auth = cdn_auth(http)
    start = httpx.post(
        f"{emulator.base_url}/files/upload/multipart",
        headers={**auth, "Content-Type": "application/octet-stream", "X-Fal-File-Name": "re.bin"},
    )
    access_url, upload_id = start.json()["access_url"], start.json()["uploadId"]
    part_url = f"{access_url}/multipart/{upload_id}/1"
    first = httpx.put(part_url, headers=auth, content=b"first try").headers["etag"]
    again = httpx.put(part_url, headers=auth, content=b"second try").headers["etag"]
    assert first != again and len(again.strip('"')) == 32  # opaque, MD5-shaped
    complete = f"{access_url}/multipart/{upload_id}/complete"
    stale = httpx.post(complete, headers=auth, json={"parts": [{"partNumber": 1, "etag": first}]})
    assert stale.status_code == 400 and "etag" in stale.json()["detail"]
    done = httpx.post(complete, headers=auth, json={"parts": [{"partNumber": 1, "etag": again}]})
    assert done.status_code == 200
    assert httpx.get(access_url).content == b"second try"


def test_signed_url_fallback_upload(emulator, http):
    start = http.post(
        "/storage/upload/initiate",
        params={"storage_type": "gcs"},
        json={"file_name": "a.png", "content_type": "image/png"},
    )
    assert start.status_code == 200
    body = start.json()
    put = httpx.put(body["upload_url"], content=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert put.status_code == 200
    fetched = httpx.get(body["file_url"])
    assert fetched.content == b"\x89PNG" and fetched.headers["content-type"] == "image/png"
    unsigned = body["upload_url"].split("?")[0]
    assert httpx.put(unsigned, content=b"x").status_code == 403


def test_signed_multipart_fallback_upload(emulator, http):
    body = http.post(
        "/storage/upload/initiate-multipart",
        params={"storage_type": "fal-cdn-v3"},
        json={"file_name": "v.mp4", "content_type": "video/mp4"},
    ).json()
    path, query = body["upload_url"].split("?")
    tags = [httpx.put(f"{path}/{n}?{query}", content=c).headers["etag"] for n, c in ((1, b"ab"),)]
    done = httpx.post(
        f"{path}/complete?{query}", json={"parts": [{"partNumber": 1, "etag": tags[0]}]}
    )
    assert done.status_code == 200
    assert httpx.get(body["file_url"]).content == b"ab"


def test_missing_file_is_404(emulator):
    assert httpx.get(f"{emulator.base_url}/files/b/nothing/here.png").status_code == 404


# --- platform catalog ------------------------------------------------------------------------


def test_models_pages_with_opaque_cursor_cover_the_catalog(emulator):
    ids: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 40, **({"cursor": cursor} if cursor else {})}
        body = httpx.get(f"{emulator.base_url}/v1/models", params=params).json()
        ids.extend(m["endpoint_id"] for m in body["models"])
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
        base64.b64decode(cursor, validate=True)
    namespaced = ["comfy/faltui-demo/upscale-image", "workflows/faltui-demo/sticker-flow"]
    assert ids == [m["endpoint_id"] for m in bundled_models()] + namespaced
    assert pages == -(-len(ids) // 40)
    assert emulator.counters["models"] == pages


def test_models_search_category_status_and_ids(emulator):
    url = f"{emulator.base_url}/v1/models"
    found = httpx.get(url, params={"q": "WHISPER"}).json()["models"]
    assert "fal-ai/whisper" in [m["endpoint_id"] for m in found]
    videos = httpx.get(url, params={"category": "text-to-video", "limit": 100}).json()["models"]
    assert videos and {m["metadata"]["category"] for m in videos} == {"text-to-video"}
    active = httpx.get(url, params={"status": "active", "limit": 100}).json()["models"]
    assert all(m["metadata"]["status"] == "active" for m in active)
    picked = httpx.get(
        url, params=[("endpoint_id", "fal-ai/flux/dev"), ("endpoint_id", "fal-ai/trellis")]
    ).json()["models"]
    assert [m["endpoint_id"] for m in picked] == ["fal-ai/flux/dev", "fal-ai/trellis"]
    assert "openapi" not in picked[0]


def test_models_expand_openapi(emulator):
    body = httpx.get(
        f"{emulator.base_url}/v1/models",
        params={"endpoint_id": "fal-ai/flux/dev", "expand": "openapi-3.0"},
    ).json()
    doc = body["models"][0]["openapi"]
    assert doc["openapi"].startswith("3.0")
    assert "/fal-ai/flux/dev" in doc["paths"]


def test_models_bad_params_use_platform_error_envelope(emulator):
    url = f"{emulator.base_url}/v1/models"
    for params in ({"limit": 0}, {"limit": "x"}, {"cursor": "***"}):
        response = httpx.get(url, params=params)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "validation_error"
    bad_key = httpx.get(url, headers={"Authorization": "Key wrong"})
    assert bad_key.status_code == 401
    assert bad_key.json()["error"]["type"] == "authorization_error"


def test_pricing_requires_auth(emulator, http):
    assert httpx.get(f"{emulator.base_url}/v1/models/pricing?endpoint_id=x/y").status_code == 401
    body = http.get("/v1/models/pricing", params={"endpoint_id": "fal-ai/flux/dev,fal-ai/trellis"})
    prices = {p["endpoint_id"]: p for p in body.json()["prices"]}
    assert prices["fal-ai/flux/dev"] == {
        "endpoint_id": "fal-ai/flux/dev",
        "unit_price": 0.025,
        "unit": "image",
        "currency": "USD",
    }
    assert prices["fal-ai/trellis"]["currency"] == "USD"
    estimate = http.post(
        "/v1/models/pricing/estimate",
        json={
            "estimate_type": "unit_price",
            "endpoints": {"fal-ai/flux/dev": {"unit_quantity": 4}},
        },
    )
    assert estimate.json()["total_cost"] == pytest.approx(0.1)


def test_openapi_document_route(emulator):
    url = f"{emulator.base_url}/api/openapi/queue/openapi.json"
    doc = httpx.get(url, params={"endpoint_id": "fal-ai/flux-2/klein/9b"}).json()
    assert doc["info"]["x-fal-metadata"]["endpointId"] == "fal-ai/flux-2/klein/9b"
    assert httpx.get(url, params={"endpoint_id": "nobody/nothing"}).status_code == 404
    assert httpx.get(url).status_code == 400
    assert emulator.counters["openapi"] == 3


def test_settings_point_at_the_emulator(emulator, emu_settings, tmp_path):
    assert emu_settings.key == DEMO_KEY and emu_settings.demo
    assert emu_settings.urls == emulator.urls
    assert emu_settings.urls["run"] == emulator.run_url != emulator.base_url
    assert emu_settings.paths.data_dir.is_relative_to(tmp_path)
    assert emu_settings.may_send_key(emulator.base_url + "/fal-ai/flux/dev")


def test_form_data_upload_like_the_skill_script(emulator, http):
    files = {"file": ("photo one.png", b"\x89PNG\r\n\x1a\nrest", "image/png")}
    response = http.post("/api/storage/upload", files=files)
    assert response.status_code == 200
    url = response.json()["url"]
    assert url.endswith("_photo_one.png")
    fetched = httpx.get(url)
    assert fetched.content == b"\x89PNG\r\n\x1a\nrest"
    assert fetched.headers["content-type"] == "image/png"
    assert http.post("/api/storage/upload", content=b"x").status_code == 422
    assert httpx.post(f"{emulator.base_url}/api/storage/upload", files=files).status_code == 401
