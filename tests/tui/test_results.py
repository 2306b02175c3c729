"""ResultsPane in a small host app: outputs list, copy / open / download, raw JSON, previews."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from job_samples import make_job
from PIL import Image
from textual.app import App, ComposeResult
from textual.widgets import ProgressBar, Static

from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.outputs import Outputs
from faltui.emulator import Emulator
from faltui.tui import clipboard
from faltui.tui.widgets import results as results_mod
from faltui.tui.widgets.cell_image import CellImage
from faltui.tui.widgets.result_images import (
    CELL_PREVIEW_MAX_SIDE,
    PREVIEW_MAX_SIDE,
    ImageLoader,
)
from faltui.tui.widgets.results import OutputList, ResultsPane, human_size, items_for


def png_bytes(width: int = 8, height: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class FileServer:
    """A tiny loopback server for one PNG; records the request headers it saw."""

    def __init__(self) -> None:
        self.body = png_bytes(32, 16)
        self.headers: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.path.endswith("missing.png"):
                    self.send_error(404, "no such file")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


@pytest.fixture(autouse=True)
def quiet_env(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No SSH, no real clipboard: pyperclip calls are recorded."""
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.delenv("FALTUI_NO_PREVIEW", raising=False)
    copied: list[str] = []
    import pyperclip

    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


class Host(App[None]):
    """Mounts one ResultsPane; remembers notifications."""

    def __init__(self, download_dir: Path) -> None:
        super().__init__()
        self.outputs = Outputs(download_dir, record_file=download_dir / ".record.jsonl")
        self.notes: list[str] = []
        self.severities: list[str] = []

    def compose(self) -> ComposeResult:
        yield ResultsPane(self.outputs, id="results")

    async def on_unmount(self) -> None:
        await self.outputs.aclose()

    def on_mount(self) -> None:
        self.query_one("#results-body").focus()  # the list takes over once it has items

    def notify(self, message: str, **kwargs: object) -> None:  # type: ignore[override]
        self.notes.append(message)
        self.severities.append(str(kwargs.get("severity", "information")))
        super().notify(message, **kwargs)  # type: ignore[arg-type]


def done_job(base: str = "http://127.0.0.1:9") -> object:
    return make_job(
        "j-done",
        "done",
        finished=1_767_268_800.0,
        result={
            "images": [
                {
                    "url": f"{base}/files/fox.png",
                    "content_type": "image/png",
                    "file_name": "fox.png",
                    "file_size": 123456,
                    "width": 1024,
                    "height": 768,
                }
            ],
            "audio_url": f"{base}/files/voice.wav",
            "output": "Line one [b]not markup[/b]\nLine two\x1b[31m",
            "seed": 7,
        },
    )


def body(app: App) -> str:
    return str(app.query_one("#results-text", Static).render())


@pytest.fixture(autouse=True)
def no_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


def test_helpers() -> None:
    assert human_size(None) == ""
    assert human_size(812) == "812 B"
    assert human_size(123456) == "120.6 KiB"
    assert human_size(5 * 1024**2) == "5.0 MiB"
    items = items_for(done_job().result)  # type: ignore[attr-defined]
    assert [(i.kind, i.title) for i in items] == [
        ("image", "fox.png"),
        ("audio", "voice.wav"),
        ("text", "output"),
    ]


async def test_lists_outputs_and_shows_selection(tmp_path: Path) -> None:
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done_job())  # type: ignore[arg-type]
        await pilot.pause()
        listing = app.query_one(OutputList)
        assert listing.option_count == 3
        assert app.focused is listing  # focus moved from the body to the new list
        first = str(listing.get_option_at_index(0).prompt)
        assert "fox.png" in first and "image/png" in first
        assert "120.6 KiB" in first and "1024×768" in first
        assert "fox.png" in body(app) and "/files/fox.png" in body(app)
        await pilot.press("j", "j")
        assert pane.selected_item is not None and pane.selected_item.kind == "text"
        assert body(app) == "Line one [b]not markup[/b]\nLine two␛[31m"  # shown, not obeyed
        # showing the same job again (10 Hz flush) keeps the selection
        pane.show(pane.job)
        await pilot.pause()
        assert pane.selected_item.kind == "text"


async def test_copy_url_and_text_with_notification(tmp_path: Path, quiet_env: list[str]) -> None:
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done_job())  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("c")
        assert quiet_env == ["http://127.0.0.1:9/files/fox.png"]
        assert "URL of fox.png" in app.notes[-1] and "clipboard" in app.notes[-1]
        await pilot.press("j", "j", "y")
        assert quiet_env[-1].startswith("Line one [b]not markup[/b]")
        assert "text 'output'" in app.notes[-1]


async def test_copy_falls_back_to_osc52(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyperclip

    def broken(text: str) -> None:
        raise pyperclip.PyperclipException("no clipboard")

    monkeypatch.setattr(pyperclip, "copy", broken)
    app = Host(tmp_path)
    sent: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", sent.append)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(done_job())  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("c")
        assert sent == ["http://127.0.0.1:9/files/fox.png"]
        assert "via OSC 52" in app.notes[-1]


async def test_open_copies_over_ssh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet_env: list[str]
) -> None:
    opened: list[object] = []
    monkeypatch.setattr(results_mod, "open_target", lambda target: opened.append(target) or True)
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(done_job())  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("o")
        assert opened == ["http://127.0.0.1:9/files/fox.png"]
        assert app.notes[-1] == "Opening fox.png…"
        monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 1 10.0.0.2 22")
        await pilot.press("o")
        assert len(opened) == 1
        assert "Over SSH" in app.notes[-1] and "via OSC 52" in app.notes[-1]
        assert clipboard.is_ssh()


async def test_raw_json_toggle_is_literal(tmp_path: Path, quiet_env: list[str]) -> None:
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done_job())  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("v")
        text = body(app)
        assert '"seed": 7' in text and "[b]not markup[/b]" in text
        await pilot.press("c")
        assert '"file_name": "fox.png"' in quiet_env[-1]
        await pilot.press("v")
        assert "fox.png" in body(app) and '"seed"' not in body(app)


async def test_not_done_jobs_show_state_logs_and_errors(tmp_path: Path) -> None:
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        queued = make_job("q", "queued", queue_position=4, logs=["[i]waiting[/i]"])
        pane.show(queued)
        await pilot.pause()
        assert "queued #5" in body(app) and "Requests ahead in fal's queue: 4" in body(app)
        assert "[i]waiting[/i]" in body(app)
        assert app.query_one(OutputList).option_count == 0
        assert not app.query_one(OutputList).can_focus  # hidden while empty
        from faltui.core.errors import FieldError

        failed = make_job(
            "f",
            "failed",
            error="Bad [b]input[/b]\nsecond line",
            error_type="validation",
            field_errors=[FieldError(("image_size", "width"), "must be <= 2048", "range")],
        )
        pane.show(failed)
        await pilot.pause()
        text = body(app)
        assert "Error (validation):" in text
        assert "Bad [b]input[/b]\nsecond line" in text
        assert "image_size.width: must be <= 2048" in text
        # logs of a running job update on the next show of the same job
        running = make_job("r", "running", logs=["step 1"])
        pane.show(running)
        await pilot.pause()
        running.logs.append(make_job("x", "running", logs=["step 2"]).logs[0])
        pane.show(running)
        await pilot.pause()
        assert "step 2" in body(app)
        pane.show(None)
        await pilot.pause()
        assert "Select a job" in str(app.query_one("#results-head", Static).render())


async def test_download_over_loopback_without_auth(tmp_path: Path, file_server: FileServer) -> None:
    app = Host(tmp_path / "downloads")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done_job(file_server.base))  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = tmp_path / "downloads" / "fox.png"
        assert saved.read_bytes() == file_server.body
        assert app.notes[-1] == f"Saved {saved}"
        assert "authorization" not in file_server.headers[-1]
        assert not pane.has_class("-downloading")
        assert app.query_one(ProgressBar).progress == len(file_server.body)
        assert f"saved  {saved}" in body(app)
        # a text output is saved as a .txt file
        await pilot.press("j", "j", "d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        texts = list((tmp_path / "downloads").glob("*.txt"))
        assert len(texts) == 1 and texts[0].read_text().startswith("Line one")


async def test_download_error_is_a_notification(tmp_path: Path, file_server: FileServer) -> None:
    app = Host(tmp_path)
    job = done_job(file_server.base)
    job.result["images"][0]["url"] = f"{file_server.base}/files/missing.png"  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(job)  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.notes[-1] == (
            "Could not download fox.png: the file is no longer served — "
            "fal keeps results for a limited time (HTTP 404 Not Found)"
        )
        assert not list(tmp_path.glob("*.png"))


async def flux_result(settings: Settings, count: int) -> dict:
    payload = {
        "prompt": "x",
        "num_images": count,
        "output_format": "png",
        "image_size": {"width": 32, "height": 24},
    }
    async with FalClient(settings) as fal:
        return await fal.run("fal-ai/flux/dev", payload)


async def test_download_all_names_each_failure_in_one_notice(
    tmp_path: Path, emulator: Emulator, emu_settings: Settings
) -> None:
    result = await flux_result(emu_settings, 3)
    dead = result["images"][1]["url"]
    del emulator.files.files[dead.split("/files/", 1)[1]]  # fal's retention ran out
    folder = tmp_path / "downloads"
    app = Host(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(make_job("j3", "done", result=result))
        await pilot.pause()
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.notes[-1] == (
            f"Saved 2 of 3 files to {folder}; 1 failed:\n"
            "images[1] (images_1.png): the file is no longer served — fal keeps results for a "
            "limited time (HTTP 404 Not Found)"
        )
        assert app.severities[-1] == "warning"
        assert len(app.notes) == 1  # one notice for the run, not one per file
        assert sorted(p.name for p in folder.glob("*.png")) == ["images_0.png", "images_2.png"]
        bar = app.query_one(ProgressBar)
        on_disk = sum(p.stat().st_size for p in folder.glob("*.png"))
        assert (bar.total, bar.progress) == (on_disk, on_disk)
        assert emulator.counters["file_with_auth"] == 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses getdata
async def test_previews_are_fetched_once_per_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, emu_settings: Settings
) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", True)
    result = await flux_result(emu_settings, 2)
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(make_job("jp", "done", result=result))
        await app.workers.wait_for_complete()
        await pilot.pause()
        image = app.query_one("#results-image")
        assert image.image.size == (32, 24)  # type: ignore[attr-defined]
        await pilot.press("right")
        await app.workers.wait_for_complete()
        await pilot.press("left")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.has_class("-preview") and image.image.size == (32, 24)  # type: ignore[attr-defined]
        assert emulator.counters["file"] == 2  # back on the first image: from the cache
        assert emulator.counters["file_with_auth"] == 0


async def test_copy_of_an_inline_text_file_is_its_text(
    tmp_path: Path, quiet_env: list[str]
) -> None:
    text = "naïve\tsubtitles\n"
    url = "data:text/plain;charset=utf-8," + "".join(f"%{b:02X}" for b in text.encode())
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(make_job("t", "done", result={"file": {"url": url}}))
        await pilot.pause()
        await pilot.press("c")
        assert quiet_env == [text]
        assert "the text of" in app.notes[-1]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses getdata
async def test_image_preview_from_data_url_and_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_server: FileServer
) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", True)
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    job = make_job(
        "img",
        "done",
        result={"images": [{"url": data_url}, {"url": f"{file_server.base}/files/b.png"}]},
    )
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(job)
        await app.workers.wait_for_complete()
        await pilot.pause()
        image = app.query_one("#results-image")
        assert pane.has_class("-preview")
        assert image.image.size == (8, 6)  # type: ignore[attr-defined]
        await pilot.press("right")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert image.image.size == (32, 16)  # type: ignore[attr-defined]
        assert "authorization" not in file_server.headers[-1]
        monkeypatch.setenv("FALTUI_NO_PREVIEW", "1")
        assert not pane.previews_enabled


def test_open_image_scales_down_for_display() -> None:
    assert results_mod.open_image(png_bytes(32, 16)).size == (32, 16)
    assert results_mod.open_image(png_bytes(3000, 1500)).size == (1024, 512)
    assert results_mod.open_image(png_bytes(3000, 1500), max_side=320).size == (320, 160)
    with pytest.raises(OSError):
        results_mod.open_image(b"not an image")


def test_previews_drawn_with_cells_are_decoded_smaller(tmp_path: Path) -> None:
    from textual_image import widget as image_widgets

    loader = ImageLoader(Outputs(tmp_path))
    loader.sized_for(image_widgets.HalfcellImage)
    assert loader.preview_max_side == CELL_PREVIEW_MAX_SIDE
    loader.sized_for(image_widgets.SixelImage)  # terminal graphics: every pixel counts
    assert loader.preview_max_side == PREVIEW_MAX_SIDE
    loader.sized_for(None)
    assert loader.preview_max_side == PREVIEW_MAX_SIDE
    loader.sized_for(CellImage)
    assert loader.preview_max_side == CELL_PREVIEW_MAX_SIDE


async def test_done_job_without_result_or_files(tmp_path: Path) -> None:
    app = Host(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(make_job("n", "done", result=None))
        await pilot.pause()
        assert "has not been fetched" in body(app)
        pane.show(make_job("m", "done", result={"seed": 3, "has_nsfw_concepts": [False]}))
        await pilot.pause()
        assert "no files or texts" in body(app) and '"seed": 3' in body(app)
        await pilot.press("c")
        assert app.notes[-1] == "Nothing to copy yet: the job has no outputs."
