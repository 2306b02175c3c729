"""The core outputs service against the emulator over loopback HTTP.

Exact ``data:`` decoding, ``O_EXCL`` saves under concurrency, ``download_all`` going past a
dead file and reporting it, progress figures, the keyless guarantee, the preview cap, and the
record of what was saved where.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.outputs import (
    DownloadProgress,
    FileGone,
    OutputFile,
    Outputs,
    PreviewTooLarge,
    TextOutput,
    decode_data_url,
    find_outputs,
    find_saveables,
    save_bytes,
)
from faltui.emulator import DEMO_KEY, Emulator

ALL_BYTES = bytes(range(256))


async def flux(settings: Settings, count: int = 3, **extra: Any) -> dict[str, Any]:
    """A flux/dev result with ``count`` PNG images (files on the emulator)."""
    payload = {
        "prompt": "a fox",
        "num_images": count,
        "output_format": "png",
        "image_size": {"width": 64, "height": 48},
        **extra,
    }
    async with FalClient(settings) as fal:
        return await fal.run("fal-ai/flux/dev", payload)


def expire(emulator: Emulator, url: str) -> None:
    """Make the emulator forget a file, as fal's CDN does once a result's time is up."""
    path = url.split("/files/", 1)[1]
    del emulator.files.files[path]


def served(emulator: Emulator, url: str) -> bytes:
    return emulator.files.get(url.split("/files/", 1)[1]).data  # type: ignore[union-attr]


# -- data: URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("data:application/octet-stream,%FF%FE%00%80", b"\xff\xfe\x00\x80"),
        ("data:,%ff", b"\xff"),
        ("data:text/plain;charset=utf-8,caf%C3%A9%20ok", "café ok".encode()),
        ("data:;base64," + base64.b64encode(ALL_BYTES).decode(), ALL_BYTES),
        # base64 that was percent-encoded and wrapped, and unpadded: all seen in the wild
        ("data:image/png;base64,%2F%2F8%3D", b"\xff\xff"),
        ("data:image/png;base64,//8\n", b"\xff\xff"),
        ("data:image/png;base64,__8", b"\xff\xff"),
    ],
)
def test_data_url_bytes_are_exact(url: str, expected: bytes) -> None:
    assert decode_data_url(url) == expected


async def test_percent_encoded_binary_data_url_saves_byte_exact(tmp_path: Path) -> None:
    """The old core decoder wrote %FF as EF BF BD (U+FFFD): a corrupt file."""
    url = "data:application/octet-stream," + "".join(f"%{b:02X}" for b in ALL_BYTES)
    output = find_outputs({"file": {"url": url, "file_name": "blob.bin"}})[0]
    async with Outputs(tmp_path) as outputs:
        saved = await outputs.download(output)
        preview = await outputs.preview_bytes(url)
    assert saved.path.read_bytes() == ALL_BYTES
    assert preview == ALL_BYTES


# -- O_EXCL: never overwrite, even when savers race -----------------------------------------


def test_concurrent_saves_of_one_name_keep_every_file(tmp_path: Path) -> None:
    """Threads saving ``x.png`` at the same instant each get their own file, none is lost."""
    savers = 16
    rounds = 10
    for round_ in range(rounds):
        folder = tmp_path / f"round{round_}"
        start = threading.Barrier(savers)
        paths: list[Path] = []

        def save(
            n: int, folder: Path = folder, start: threading.Barrier = start, paths=paths
        ) -> None:
            start.wait()
            paths.append(save_bytes(folder, "x.png", f"saver {n}".encode()))

        threads = [threading.Thread(target=save, args=(n,)) for n in range(savers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(["x.png", *(f"x-{n}.png" for n in range(1, savers))])
        contents = sorted(p.read_bytes() for p in folder.iterdir())
        assert contents == sorted(f"saver {n}".encode() for n in range(savers))
        assert len(set(paths)) == savers


async def test_concurrent_downloads_of_one_file_name(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    result = await flux(emu_settings, count=1)
    output = find_outputs(result)[0]
    async with Outputs(tmp_path) as outputs:
        saved = await asyncio.gather(
            *(outputs.download(output, reuse=False) for _ in range(8)),
            outputs.download_all([output] * 4, reuse=False),
        )
    files = sorted(tmp_path.glob("*.png"))
    assert len(files) == 12
    assert {p.read_bytes() for p in files} == {served(emulator, output.url)}
    assert len({s.path for s in saved[:8]}) == 8


# -- download_all -----------------------------------------------------------------------------


async def test_download_all_goes_past_a_dead_file_and_reports_it(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    result = await flux(emu_settings, count=3)
    outputs_found = find_outputs(result)
    dead = outputs_found[1]
    expire(emulator, dead.url)
    seen: list[DownloadProgress] = []
    folder = tmp_path / "dl"
    async with Outputs.from_settings(emu_settings) as outputs:
        report = await outputs.download_all(outputs_found, folder, on_progress=seen.append)
    assert [s.item for s in report.saved] == [outputs_found[0], outputs_found[2]]
    for saved in report.saved:
        assert saved.path.read_bytes() == served(emulator, saved.item.url)  # type: ignore[union-attr]
    [failure] = report.failed
    assert failure.url == dead.url and failure.status == 404
    assert isinstance(failure.error, FileGone)
    assert failure.reason == (
        "the file is no longer served — fal keeps results for a limited time (HTTP 404 Not Found)"
    )
    assert str(failure).startswith("images[1] (")
    assert report.headline() == f"Saved 2 of 3 files to {folder}; 1 failed"
    assert len(list(folder.iterdir())) == 2  # nothing left behind for the dead file
    # progress: file counts only grow, and the end adds up to what is on disk
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)
    sizes = sum(s.size for s in report.saved)
    assert seen[-1] == DownloadProgress(3, 3, 1, sizes, sizes)
    assert sizes == sum(p.stat().st_size for p in folder.iterdir())


async def test_progress_reports_bytes_while_a_file_streams(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    big = 3 * 256 * 1024 + 17  # four chunks
    emulator.files.put("out/big/blob.bin", ALL_BYTES * (big // 256) + ALL_BYTES[: big % 256], "x")
    blob = OutputFile(f"{emulator.base_url}/files/out/big/blob.bin", ("file",), "file")
    text = TextOutput("output", "héllo", "req-output.txt")
    seen: list[DownloadProgress] = []
    async with Outputs(tmp_path, concurrency=1) as outputs:
        report = await outputs.download_all([blob, text], on_progress=seen.append)
    assert report.complete and report.total == 2
    total = big + len("héllo".encode())
    assert seen[0] == DownloadProgress(2, 0, 0, 0, None)  # nothing known yet
    streaming = [p for p in seen if p.files_done == 0 and 0 < p.bytes_done < big]
    assert len(streaming) >= 3  # chunk by chunk, not only at the end
    assert all(p.bytes_total is None for p in streaming)  # the text's size is not known yet
    assert seen[-1] == DownloadProgress(2, 2, 0, total, total)
    assert (tmp_path / "req-output.txt").read_text(encoding="utf-8") == "héllo"


async def test_text_outputs_are_saved_like_files(emu_settings: Settings, tmp_path: Path) -> None:
    async with FalClient(emu_settings) as fal:
        result = await fal.run("fal-ai/whisper", {"audio_url": "https://example.com/a.wav"})
    items = find_saveables(result, "0123456789abcdef-more")
    assert [type(i).__name__ for i in items] == ["TextOutput"]
    async with Outputs(tmp_path) as outputs:
        report = await outputs.download_all(items)
    [saved] = report.saved
    assert saved.path.name == "0123456789abcdef-text.txt"
    assert saved.path.read_text(encoding="utf-8") == result["text"]


async def test_a_folder_that_cannot_be_made_fails_every_item(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    item = TextOutput("output", "x", "x.txt")
    async with Outputs(tmp_path) as outputs:
        report = await outputs.download_all([item, item], tmp_path / "taken" / "sub")
    assert len(report.failed) == 2 and not report.saved
    assert report.failed[0].reason.startswith(f"cannot create the folder {tmp_path / 'taken'}")
    assert report.headline() == "Could not save any of the 2 files"


async def test_file_host_errors_read_as_words(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    output = find_outputs(await flux(emu_settings, count=1))[0]
    async with Outputs(tmp_path) as outputs:
        emulator.chaos.fail_next("file", 503)
        report = await outputs.download_all([output])
        assert report.failed[0].reason == (
            "the file host failed (HTTP 503 Service Unavailable); try again later"
        )
        emulator.chaos.drop_next("file")
        report = await outputs.download_all([output])
        host = output.url.split("/")[2]
        assert report.failed[0].reason == (
            f"{host} closed the connection without answering; try again"
        )
        with socket.socket() as probe:  # a port nothing listens on: a stopped demo emulator
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        gone_host = OutputFile(f"http://127.0.0.1:{port}/files/x.png", ("image",), "image")
        report = await outputs.download_all([gone_host])
    reason = report.failed[0].reason
    assert reason == (
        f"127.0.0.1:{port} does not answer: the file is no longer served — fal keeps results "
        "for a limited time, or the host cannot be reached from here"
    )
    assert "All connection attempts failed" not in reason
    assert list(tmp_path.iterdir()) == []


# -- keyless ----------------------------------------------------------------------------------


async def test_file_requests_never_carry_the_key(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    assert emu_settings.key == DEMO_KEY
    items = find_outputs(await flux(emu_settings, count=2))
    before = emulator.counters["file"]
    async with Outputs.from_settings(emu_settings) as outputs:
        await outputs.preview_bytes(items[0].url)  # previews first: once saved, read from disk
        await outputs.download_all(items, tmp_path / "a")
    # a client that would send the key by default does not send it either
    keyed = httpx.AsyncClient(headers={"Authorization": f"Key {DEMO_KEY}", "Cookie": "s=1"})
    async with keyed, Outputs(tmp_path / "b", http=keyed) as outputs:
        await outputs.preview_bytes(items[1].url)
        await outputs.download_all(items)
    assert emulator.counters["file"] - before == 6
    assert emulator.counters["file_with_auth"] == 0
    # the emulator does count a keyed file request (the guard above is not vacuous)
    async with httpx.AsyncClient() as plain:
        await plain.get(items[0].url, headers={"Authorization": f"Key {DEMO_KEY}"})
    assert emulator.counters["file_with_auth"] == 1


# -- previews -----------------------------------------------------------------------------------


async def test_preview_is_capped(emulator: Emulator, emu_settings: Settings) -> None:
    output = find_outputs(await flux(emu_settings, count=1))[0]
    data = served(emulator, output.url)
    async with Outputs.from_settings(emu_settings) as outputs:
        assert await outputs.preview_bytes(output.url, cap=len(data)) == data
        with pytest.raises(PreviewTooLarge, match="over the preview limit"):
            await outputs.preview_bytes(output.url, cap=len(data) - 1)
        big = "data:image/png;base64," + base64.b64encode(b"\0" * 5000).decode()
        with pytest.raises(PreviewTooLarge, match=r"over the preview limit of 1\.0 KiB"):
            await outputs.preview_bytes(big, cap=1024)


class EndlessServer:
    """Serves one file that never ends (chunked, no length): only a cap can stop a reader."""

    def __init__(self) -> None:
        self.sent = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"\0" * 65536
                try:
                    while True:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        owner.sent += len(chunk)
                except OSError:
                    return  # the reader hung up

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/files/endless.png"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def endless() -> Iterator[EndlessServer]:
    server = EndlessServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


async def test_preview_of_an_endless_file_stops_at_the_cap(
    endless: EndlessServer, tmp_path: Path
) -> None:
    async with Outputs(tmp_path) as outputs:
        with pytest.raises(PreviewTooLarge, match=r"more than 1\.0 MiB"):
            await outputs.preview_bytes(endless.url, cap=1024 * 1024)


# -- the record of what was saved where ---------------------------------------------------------


async def test_a_saved_output_is_pointed_at_not_fetched_again(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    items = find_outputs(await flux(emu_settings, count=2))
    async with Outputs.from_settings(emu_settings) as outputs:
        first = await outputs.download_all(items)
        assert outputs.local_copy(items[0]) == first.saved[0].path.resolve()
    fetched = emulator.counters["file"]
    # another session (a new service on the same record) sees them too
    async with Outputs.from_settings(emu_settings) as outputs:
        again = await outputs.download_all(items)
        assert [s.reused for s in again.saved] == [True, True]
        assert again.headline() == (
            f"Saved 2 files to {emu_settings.paths.download_dir} (2 already there)"
        )
        assert emulator.counters["file"] == fetched
        # a preview of a saved file reads the local copy, even once the CDN forgot it
        expire(emulator, items[0].url)
        assert await outputs.preview_bytes(items[0].url) == first.saved[0].path.read_bytes()
        # a deleted (or changed) local copy does not count: the file is fetched anew
        first.saved[1].path.unlink()
        third = await outputs.download_all([items[1]])
        assert not third.saved[0].reused and third.saved[0].path.exists()
        # another folder gets its own copy
        elsewhere = await outputs.download_all([items[1]], tmp_path / "other")
        assert not elsewhere.saved[0].reused
    record = emu_settings.paths.data_dir / "downloads.jsonl"
    assert items[0].url in record.read_text()


async def test_inline_outputs_are_recorded_by_digest(tmp_path: Path) -> None:
    url = "data:image/png;base64," + base64.b64encode(ALL_BYTES * 20).decode()
    item = find_outputs({"image": {"url": url}})[0]
    record = tmp_path / "record.jsonl"
    async with Outputs(tmp_path / "dl", record_file=record) as outputs:
        saved = await outputs.download(item)
    async with Outputs(tmp_path / "dl", record_file=record) as outputs:
        assert outputs.local_copy(url) == saved.path.resolve()
        assert (await outputs.download(item)).reused
    text = record.read_text()
    assert "sha256:" + hashlib.sha256(url.encode()).hexdigest() in text and url not in text
