"""storage.py: CDN token, one-shot and multipart uploads, memory bound, local-file payloads."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest

from faltui.core import storage
from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.errors import UnauthorizedError, ValidationFailed
from faltui.core.storage import (
    find_local_files,
    missing_local_files,
    upload_bytes,
    upload_file,
    upload_local_files,
)

KEY = "kid:ksecret"
REST = "https://rest.fal.ai"
CDN = "https://v3b.fal.media"


class FakeCdn(httpx.AsyncBaseTransport):
    """fal's REST token call + CDN upload API, draining bodies without keeping them.

    Keeps per-part (size, sha256), every request's auth header and the most parts in flight.
    """

    def __init__(self) -> None:
        self.auth: list[tuple[str, str | None]] = []
        self.parts: dict[int, tuple[int, str]] = {}
        self.simple: list[tuple[int, str, dict[str, str]]] = []
        self.completed: list[dict[str, Any]] = []
        self.tokens = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def _drain(self, request: httpx.Request) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.stream:
            digest.update(chunk)
            size += len(chunk)
            await asyncio.sleep(0)
        return size, digest.hexdigest()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        path = request.url.path
        self.auth.append((f"{request.method} {path}", request.headers.get("authorization")))
        if url.startswith(REST) and path == "/storage/auth/token":
            self.tokens += 1
            body = {
                "token": f"tok{self.tokens}",
                "token_type": "Bearer",
                "base_url": CDN,
                "expires_at": "2999-01-01T00:00:00+00:00",
            }
            return httpx.Response(200, json=body)
        if path == "/files/upload":
            size, digest = await self._drain(request)
            self.simple.append((size, digest, dict(request.headers)))
            return httpx.Response(200, json={"access_url": f"{CDN}/files/b/1/simple.bin"})
        if path == "/files/upload/multipart":
            name = request.headers.get("x-fal-file-name")
            return httpx.Response(
                200, json={"access_url": f"{CDN}/files/b/2/{name}", "uploadId": "up1"}
            )
        if path.endswith("/complete"):
            self.completed.append(json.loads(await request.aread()))
            return httpx.Response(200, json={})
        if "/multipart/up1/" in path:
            number = int(path.rsplit("/", 1)[1])
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                self.parts[number] = await self._drain(request)
            finally:
                self.in_flight -= 1
            return httpx.Response(200, headers={"ETag": f'"etag{number}"'})
        return httpx.Response(404, json={"detail": "nope"})


def fake_client(cdn: FakeCdn) -> FalClient:
    return FalClient(Settings(key=KEY), httpx.AsyncClient(transport=cdn))


def write_pattern(path: Path, size: int) -> None:
    """A file of ``size`` bytes whose content differs per position (catches part mix-ups)."""
    block = hashlib.sha256(b"seed").digest() * 4096  # 128 KiB
    with path.open("wb") as out:
        written = 0
        counter = 0
        while written < size:
            piece = (counter.to_bytes(8, "big") + block)[: size - written]
            out.write(piece)
            written += len(piece)
            counter += 1


def part_hashes(path: Path, part_size: int) -> dict[int, tuple[int, str]]:
    out: dict[int, tuple[int, str]] = {}
    with path.open("rb") as source:
        number = 1
        while chunk := source.read(part_size):
            out[number] = (len(chunk), hashlib.sha256(chunk).hexdigest())
            number += 1
    return out


async def test_multipart_upload_memory_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 64 * 1024**2
    big = tmp_path / "big.bin"
    with big.open("wb") as out:  # sparse: instant to create, still 64 MiB to read
        out.truncate(size)
    monkeypatch.setattr(storage, "PART_SIZE", 4 * 1024**2)
    monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 8 * 1024**2)
    cdn = FakeCdn()
    client = fake_client(cdn)
    seen: list[tuple[int, int]] = []
    tracemalloc.start()
    try:
        url = await upload_file(client, big, progress=lambda a, b: seen.append((a, b)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert url == f"{CDN}/files/b/2/big.bin"
    assert peak < 8 * 1024**2, f"peak {peak / 1024**2:.1f} MiB"
    assert sorted(cdn.parts) == list(range(1, 17))
    assert all(n == 4 * 1024**2 for n, _ in cdn.parts.values())
    assert 1 < cdn.max_in_flight <= storage.PARALLEL_PARTS
    assert seen[-1] == (size, size)
    assert all(b == size for _, b in seen)
    assert [a for a, _ in seen] == sorted(a for a, _ in seen)


async def test_multipart_parts_carry_the_right_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = 256 * 1024
    monkeypatch.setattr(storage, "PART_SIZE", part)
    monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", part)
    monkeypatch.setattr(storage, "CHUNK_SIZE", 100_000)  # chunks straddle part edges
    src = tmp_path / "clip.mp4"
    write_pattern(src, 5 * part + 12345)
    cdn = FakeCdn()
    client = fake_client(cdn)
    await upload_file(client, src, lifecycle_seconds=60)
    assert cdn.parts == part_hashes(src, part)
    assert cdn.completed == [
        {"parts": [{"partNumber": n, "etag": f'"etag{n}"'} for n in range(1, 7)]}
    ]
    # The key went only to the REST token call; the CDN saw only the token.
    for what, auth in cdn.auth:
        if what.endswith("/storage/auth/token"):
            assert auth == f"Key {KEY}"
        else:
            assert auth == "Bearer tok1", what


@pytest.mark.parametrize("cache", ["holds all", "holds half", "holds nothing", "cannot say"])
async def test_parts_carry_the_right_bytes_whatever_the_page_cache_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    part = 256 * 1024
    monkeypatch.setattr(storage, "PART_SIZE", part)
    monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", part)
    monkeypatch.setattr(storage, "CHUNK_SIZE", 100_000)
    monkeypatch.setattr(storage, "_NOWAIT", getattr(os, "RWF_NOWAIT", 8))
    threads: list[int] = []
    real_pread = os.pread

    def preadv(fd: int, buffers: list[bytearray], offset: int, flags: int = 0) -> int:
        if cache == "holds nothing":
            raise BlockingIOError("not cached")
        if cache == "cannot say":
            raise OSError(95, "Operation not supported")
        data = real_pread(fd, len(buffers[0]), offset)
        if cache == "holds half":
            data = data[: max(1, len(data) // 2)]
        buffers[0][: len(data)] = data
        return len(data)

    def pread(fd: int, size: int, offset: int) -> bytes:
        threads.append(size)
        return real_pread(fd, size, offset)

    monkeypatch.setattr(os, "preadv", preadv)
    monkeypatch.setattr(os, "pread", pread)
    src = tmp_path / "clip.mp4"
    write_pattern(src, 5 * part + 12345)
    cdn = FakeCdn()
    await upload_file(fake_client(cdn), src)
    assert cdn.parts == part_hashes(src, part)
    if cache in ("holds all", "holds half"):
        assert threads == []  # read on the loop, no thread hop
    else:
        assert threads  # read in threads
    if cache == "cannot say":
        assert storage._NOWAIT is None  # asked once, not again


async def test_one_shot_upload_headers_and_token_cache(tmp_path: Path) -> None:
    src = tmp_path / "photo one.png"
    write_pattern(src, 300_000)
    cdn = FakeCdn()
    client = fake_client(cdn)
    await upload_file(client, src, lifecycle_seconds=3600)
    await upload_bytes(client, b"hello", file_name="note.txt")
    assert cdn.tokens == 1
    (size, digest, headers), (size2, _, headers2) = cdn.simple
    assert size == 300_000 and digest == hashlib.sha256(src.read_bytes()).hexdigest()
    assert headers["content-type"] == "image/png"
    assert headers["content-length"] == "300000"
    assert headers["x-fal-file-name"] == "photo one.png"
    assert json.loads(headers["x-fal-object-lifecycle"]) == {"expiration_duration_seconds": 3600}
    assert size2 == 5 and headers2["content-type"] == "text/plain"
    assert {auth for _, auth in cdn.auth[1:]} == {"Bearer tok1"}


async def test_token_renewed_near_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cdn = FakeCdn()
    client = fake_client(cdn)
    await upload_bytes(client, b"a", file_name="a.bin")
    monkeypatch.setattr(storage, "_now", lambda: 32503680000.0 - 30)  # 2999-12-31 - 30 s
    await upload_bytes(client, b"b", file_name="b.bin")
    assert cdn.tokens == 2


# -- local files inside a payload -----


def test_find_local_files_kinds_of_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(b"a")
    (tmp_path / "b c.wav").write_bytes(b"b")
    payload = {
        "image_url": "~/a.png",
        "audio_url": (tmp_path / "b c.wav").as_uri(),
        "mask_url": "https://example.com/m.png",
        "control_url": "data:image/png;base64,AAAA",
        "reference_image_urls": ["a.png", "https://example.com/x.png"],
        "prompt": "a.png",
        "nested": {"loras": [{"weights_url": str(tmp_path / "a.png")}]},
    }
    found = {where: path for where, path in find_local_files(payload)}
    assert found == {
        ("image_url",): tmp_path / "a.png",
        ("audio_url",): tmp_path / "b c.wav",
        ("reference_image_urls", 0): Path("a.png"),
        ("nested", "loras", 0, "weights_url"): tmp_path / "a.png",
    }
    assert missing_local_files(payload) == []


def test_missing_local_file_is_a_clear_error(tmp_path: Path) -> None:
    payload = {
        "image_url": str(tmp_path / "nope.png"),
        "video_urls": ["./missing.mp4"],
        "audio_url": "ftp://example.com/a.wav",
    }
    errors = missing_local_files(payload)
    assert [e.dotted for e in errors] == ["image_url", "video_urls[0]", "audio_url"]
    assert "no such local file" in errors[0].message and "nope.png" in errors[0].message
    # fal fetches http(s) and data: URLs only: another scheme is named, not "missing"
    assert errors[2].message.startswith("ftp:// URLs are not supported")
    with pytest.raises(ValidationFailed) as info:
        find_local_files(payload)
    assert info.value.errors == errors
    assert find_local_files(payload, strict=False) == []


async def test_upload_local_files_replaces_paths(tmp_path: Path) -> None:
    img = tmp_path / "in.png"
    img.write_bytes(b"x" * 1000)
    payload = {"image_url": str(img), "image_urls": [str(img)], "prompt": "p"}
    cdn = FakeCdn()
    client = fake_client(cdn)
    progress: list[tuple[int, int]] = []
    out = await upload_local_files(client, payload, progress=lambda a, b: progress.append((a, b)))
    assert out["image_url"].startswith(CDN)
    assert out["image_urls"] == [out["image_url"]]
    assert payload["image_url"] == str(img)  # the original is untouched
    assert len(cdn.simple) == 1  # one upload for the same file named twice
    assert progress[-1] == (1000, 1000)
    with pytest.raises(ValidationFailed) as info:
        await upload_local_files(client, {"image_url": str(tmp_path / "gone.png")})
    assert info.value.errors[0].path == ("image_url",)
    assert len(cdn.simple) == 1


# -- against the emulator -----


async def test_emulator_one_shot_and_multipart_round_trip(
    emulator: Any, emu_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "small.png"
    write_pattern(small, 70_000)
    big = tmp_path / "big.bin"
    write_pattern(big, 3 * 200_000 + 777)
    monkeypatch.setattr(storage, "PART_SIZE", 200_000)
    monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 500_000)
    client = FalClient(emu_settings)
    try:
        small_url = await upload_file(client, small)
        big_url = await upload_file(client, big)
        assert emulator.counters["storage_token"] == 1
        assert emulator.counters["multipart_part"] == 4
        async with httpx.AsyncClient() as http:
            assert (await http.get(small_url)).content == small.read_bytes()
            got = await http.get(big_url)
            assert got.content == big.read_bytes()
    finally:
        await client.aclose()


async def test_emulator_upload_local_files(emu_settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "in.wav"
    src.write_bytes(os.urandom(5000))
    client = FalClient(emu_settings)
    try:
        out = await upload_local_files(client, {"audio_url": str(src)})
        async with httpx.AsyncClient() as http:
            answer = await http.get(out["audio_url"])
        assert answer.content == src.read_bytes()
        assert answer.headers["content-type"].startswith("audio/")
    finally:
        await client.aclose()


async def test_emulator_retries_parts_and_renews_rejected_token(
    emulator: Any, emu_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "PART_SIZE", 100_000)
    monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 150_000)
    big = tmp_path / "big.bin"
    write_pattern(big, 450_000)
    small = tmp_path / "small.txt"
    small.write_text("hello")
    emulator.chaos.fail_next("multipart_part", 503, with_request_id=False)
    emulator.chaos.drop_next("multipart_part")
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = FalClient(emu_settings, sleep=sleep)
    try:
        url = await upload_file(client, big)
        assert emulator.counters["multipart_part"] == 5 + 2
        assert len(sleeps) == 2
        emulator.chaos.fail_next("upload", 401)
        small_url = await upload_file(client, small)
        assert emulator.counters["storage_token"] == 2
        async with httpx.AsyncClient() as http:
            assert (await http.get(url)).content == big.read_bytes()
            assert (await http.get(small_url)).text == "hello"
    finally:
        await client.aclose()


async def test_upload_falls_back_to_a_signed_url_when_the_cdn_path_fails(
    emulator: Any, emu_settings: Settings, tmp_path: Path
) -> None:
    small = tmp_path / "voice.wav"
    small.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    emulator.chaos.fail_next("storage_token", 500, count=20)  # the CDN path stays down

    async def no_wait(seconds: float) -> None:
        return None

    client = FalClient(emu_settings, sleep=no_wait)
    try:
        url = await upload_file(client, small)
        assert emulator.counters["upload_initiate"] == 1
        async with httpx.AsyncClient() as http:
            assert (await http.get(url)).content == small.read_bytes()
        emulator.chaos.reset()
        emulator.chaos.fail_next("storage_token", 401, count=20)
        with pytest.raises(UnauthorizedError):  # a refused key is not worked around
            await upload_file(client, small)
        assert emulator.counters["upload_initiate"] == 1
    finally:
        await client.aclose()


async def test_upload_cache_forgets_failures_and_shares_work(tmp_path: Path) -> None:
    from faltui.core.storage import UploadCache

    file = tmp_path / "a.bin"
    file.write_bytes(b"x")
    cache = UploadCache()
    calls: list[str] = []

    async def failing() -> str:
        calls.append("fail")
        raise OSError("network down")

    with pytest.raises(OSError):
        await cache.url_for(file, None, failing)

    async def working() -> str:
        calls.append("ok")
        await asyncio.sleep(0.01)
        return "https://cdn.example/a.bin"

    first, second = await asyncio.gather(
        cache.url_for(file, None, working), cache.url_for(file, None, working)
    )
    assert first == ("https://cdn.example/a.bin", True)
    assert second == ("https://cdn.example/a.bin", False)
    assert calls == ["fail", "ok"]
