"""ResultsPane with real model outputs from the emulator: the contact sheet, timed transcripts
with SRT/VTT export, audio length and play, video first frame and length, GLB mesh stats, token
usage, gone files."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from job_samples import make_job
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static
from textual_image.widget import HalfcellImage
from waits import until

from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.job import Job
from faltui.core.outputs import Outputs
from faltui.core.outputs.video import VideoTools
from faltui.emulator import Emulator
from faltui.tui.widgets import results as results_mod
from faltui.tui.widgets.contact_sheet import PAGE_CELLS, ContactSheet, Thumb
from faltui.tui.widgets.results import OutputList, ResultsPane

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image getdata


class Host(App[None]):
    """One ResultsPane; notifications remembered."""

    def __init__(self, settings: Settings, tools: VideoTools | None = None) -> None:
        super().__init__()
        self.outputs = Outputs.from_settings(settings)
        self.tools = tools or VideoTools(None, None)
        self.notes: list[str] = []

    def compose(self) -> ComposeResult:
        yield ResultsPane(self.outputs, video_tools=self.tools, id="results")

    async def on_unmount(self) -> None:
        await self.outputs.aclose()

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append(message)
        super().notify(message, **kwargs)


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(ResultsPane, "image_widget", HalfcellImage)
    monkeypatch.setattr(ResultsPane, "preview_images", True)
    for name in ("FALTUI_NO_PREVIEW", "SSH_CONNECTION", "SSH_TTY", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    copied: list[str] = []
    import pyperclip

    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


async def run(settings: Settings, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with FalClient(settings) as fal:
        return await fal.run(endpoint, payload)


def done(job_id: str, result: dict[str, Any], endpoint: str = "fal-ai/flux/dev") -> Job:
    return make_job(job_id, "done", endpoint_id=endpoint, finished=1_767_268_800.0, result=result)


def body(app: App[None]) -> str:
    """The body as plain text (a table rendered the way the pane's width lays it out)."""
    widget = app.query_one("#results-text", Static)
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=widget.content_size.width, file=io.StringIO(), color_system=None)
    console.print(content)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())


async def settled(app: App[None], pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


# -- the contact sheet -------------------------------------------------------------------------


async def test_four_images_make_a_contact_sheet_the_keys_act_on(
    emulator: Emulator, emu_settings: Settings, quiet: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = {
        "prompt": "x",
        "num_images": 4,
        "output_format": "png",
        "image_size": {"width": 64, "height": 48},
    }
    result = await run(emu_settings, "fal-ai/flux/dev", payload)
    urls = [image["url"] for image in result["images"]]
    opened: list[object] = []
    monkeypatch.setattr(results_mod, "open_target", lambda t: opened.append(t) or True)
    monkeypatch.setenv("DISPLAY", ":0")
    app = Host(emu_settings)
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done("flux4", result))
        await settled(app, pilot)
        sheet = app.query_one(ContactSheet)
        assert sheet.display and not app.query_one(OutputList).display
        assert app.focused is sheet
        thumbs = list(sheet.query(Thumb))
        assert len(thumbs) == 4 and sheet.columns == 4
        assert len({t.region.y for t in thumbs}) == 1  # one row: no image wrapped alone
        await until(lambda: all(t.query_one(".thumb-image").image for t in thumbs))
        sizes = {t.query_one(".thumb-image").image.size for t in thumbs}
        assert sizes == {(64, 48)}  # small images stay as they are (≤ 192 px)
        assert [t.has_class("-highlight") for t in thumbs] == [True, False, False, False]
        await pilot.press("right", "right")
        await settled(app, pilot)
        assert sheet.highlighted == 2 and thumbs[2].has_class("-highlight")
        assert pane.selected_item is not None and pane.selected_item.url == urls[2]
        assert "images_2.png" in body(app)
        preview = app.query_one("#results-image")
        assert preview.image is not None and pane.has_class("-preview")
        await pilot.press("c")
        assert quiet[-1] == urls[2]
        await pilot.press("o")
        assert opened == [urls[2]]
        await pilot.press("d")
        await settled(app, pilot)
        folder = emu_settings.paths.download_dir
        assert sorted(p.name for p in folder.iterdir()) == ["images_2.png"]
        await pilot.press("left", "D")
        await settled(app, pilot)
        assert sorted(p.name for p in folder.iterdir()) == [f"images_{n}.png" for n in range(4)]
        assert app.notes[-1] == f"Saved 4 files to {folder} (1 already there)"
        # one fetch per image although each was wanted as a thumbnail and a preview
        assert emulator.counters["file"] == 4 + 1 + 3  # the sheet, d, D (images_2 reused)
        assert emulator.counters["file_with_auth"] == 0
        await pilot.press("end")
        assert sheet.highlighted == 3
        await pilot.press("right")  # the edge: stays
        assert sheet.highlighted == 3


async def show_batch(app: Any, pilot: Any, count: int) -> tuple[list[Job], ResultsPane]:
    """``count`` finished one-image jobs as one ×N batch, the first highlighted, then the
    keyboard in Results (its contact sheet)."""
    from test_results_layout import png_url

    from faltui.core.job import JobEvent

    jobs = [
        done(f"b{n}", {"images": [{"url": png_url(40 + n, 30), "content_type": "image/png"}]})
        for n in range(count)
    ]
    main = app.main
    for job in jobs:
        app.services.jobs._jobs[job.id] = job
        main._on_job_event(JobEvent(job, "updated"))
    main._batches.update(dict.fromkeys([j.id for j in jobs], tuple(j.id for j in jobs)))
    main.flush_jobs()
    main.job_table.select_job("b0")
    results: ResultsPane = main.results
    await until(lambda: results.job is jobs[0])
    await pilot.press("escape", "4")
    await settled(app, pilot)
    return jobs, results


async def test_a_big_batch_is_shown_a_page_of_cells_at_a_time(tmp_path: Path) -> None:
    """×60: only a page of cells is mounted (a widget per cell would stall the app at ×500);
    moving past its end mounts the next page, and only its thumbnails are fetched."""
    from test_results_layout import make_app

    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        jobs, results = await show_batch(app, pilot, 60)
        sheet = results.query_one(ContactSheet)
        assert [t.index for t in sheet.query(Thumb)] == list(range(PAGE_CELLS))
        assert f"cells 1–{PAGE_CELLS} of 60" in str(results.query_one("#results-head").render())
        await pilot.press("end")
        await settled(app, pilot)
        assert sheet.highlighted == 59 and results.job is jobs[59]
        assert [t.index for t in sheet.query(Thumb)] == list(range(2 * PAGE_CELLS, 60))
        assert "cells 49–60 of 60" in str(results.query_one("#results-head").render())
        await until(lambda: all(t.query_one(".thumb-image").image for t in sheet.query(Thumb)))
        loaded = {
            url
            for url in (j.result["images"][0]["url"] for j in jobs)
            if results.images.cached_thumbnail(url)
        }
        assert len(loaded) <= 2 * PAGE_CELLS  # the first and the last page, not all 60


async def test_the_sheet_wraps_into_rows_and_moves_by_rows(
    emulator: Emulator, emu_settings: Settings
) -> None:
    payload = {"prompt": "y", "num_images": 4, "image_size": {"width": 40, "height": 40}}
    result = await run(emu_settings, "fal-ai/flux/dev", payload)
    app = Host(emu_settings)
    async with app.run_test(size=(40, 40)) as pilot:  # two cells a row
        app.query_one(ResultsPane).show(done("rows", result))
        await settled(app, pilot)
        sheet = app.query_one(ContactSheet)
        assert sheet.columns == 2
        cells = [t.region for t in sheet.query(Thumb)]
        assert cells[0].y == cells[1].y < cells[2].y == cells[3].y
        await pilot.press("down")
        assert sheet.highlighted == 2
        await pilot.press("l", "k")
        assert sheet.highlighted == 1


async def test_a_batch_is_one_sheet_and_the_job_list_follows(tmp_path: Path) -> None:
    from test_results_layout import make_app

    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        jobs, results = await show_batch(app, pilot, 3)
        main = app.main
        sheet = results.query_one(ContactSheet)
        assert app.focused is sheet
        labels = [str(t.query_one(".thumb-label", Static).render()) for t in sheet.query(Thumb)]
        assert [label.split()[0] for label in labels] == ["#1", "#2", "#3"]
        assert "#1 of ×3" in str(results.query_one("#results-head", Static).render())
        await pilot.press("right")
        await until(lambda: main.job_table.selected_job_id == "b1", what="the list following")
        await until(lambda: results.job is jobs[1])
        assert sheet.highlighted == 1 and app.focused is sheet
        assert "#2 of ×3" in str(results.query_one("#results-head", Static).render())


# -- transcripts -------------------------------------------------------------------------------


async def test_whisper_chunks_as_a_table_saved_as_srt_and_vtt(
    emu_settings: Settings, quiet: list[str]
) -> None:
    result = await run(emu_settings, "fal-ai/whisper", {"audio_url": "https://x/a.wav"})
    app = Host(emu_settings)
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done("wsp", result, "fal-ai/whisper"))
        await settled(app, pilot)
        listing = app.query_one(OutputList)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(2)]
        assert prompts[0].startswith("text") and prompts[1].startswith("timed  chunks")
        assert "2 segments · to 0:03.0" in prompts[1]
        await pilot.press("j")
        await settled(app, pilot)
        text = body(app)
        assert text.splitlines()[0] == "2 timed segments"  # a line of its own
        assert "0:00.0  0:01.5  This is an emulated transcription." in text
        assert "0:01.5  0:03.0  No audio was analysed." in text
        folder = emu_settings.paths.download_dir
        folder.mkdir(parents=True)
        (folder / "req-wsp-chunks.srt").write_text("mine", encoding="utf-8")  # never overwritten
        await pilot.press("s")
        await settled(app, pilot)
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["req-wsp-chunks-1.srt", "req-wsp-chunks.srt", "req-wsp-chunks.vtt"]
        assert (folder / "req-wsp-chunks.srt").read_text() == "mine"
        assert (folder / "req-wsp-chunks-1.srt").read_text() == (
            "1\n00:00:00,000 --> 00:00:01,500\nThis is an emulated transcription.\n\n"
            "2\n00:00:01,500 --> 00:00:03,000\nNo audio was analysed.\n"
        )
        assert (
            (folder / "req-wsp-chunks.vtt")
            .read_text()
            .startswith(
                "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nThis is an emulated transcription.\n"
            )
        )
        assert app.notes[-1] == f"Saved 2 files to {folder}"
        await pilot.press("s")  # again: nothing new, nothing overwritten
        await settled(app, pilot)
        assert len(list(folder.iterdir())) == 3
        assert app.notes[-1] == f"Saved 2 files to {folder} (2 already there)"
        await pilot.press("c")
        assert quiet[-1].startswith("1\n00:00:00,000 --> 00:00:01,500\n")
        await pilot.press("k", "s")  # from the text item: the same job's transcript
        await settled(app, pilot)
        assert app.notes[-1].endswith("(2 already there)")


async def test_s_without_a_transcript_says_what_it_is_for(emu_settings: Settings) -> None:
    app = Host(emu_settings)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(done("t", {"output": "hello"}))
        await settled(app, pilot)
        await pilot.press("s")
        assert "No timed transcript here" in app.notes[-1]


# -- audio -------------------------------------------------------------------------------------


def fake_player(folder: Path, name: str) -> Path:
    """A stand-in player on PATH: records its arguments, then plays "forever"."""
    log = folder / f"{name}.argv"
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\nimport json, sys, time\n"
        f"open({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\ntime.sleep(60)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


async def test_audio_length_and_play_through_an_installed_player(
    emu_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await run(emu_settings, "fal-ai/kokoro/american-english", {"prompt": "hello"})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = fake_player(bin_dir, "paplay")
    monkeypatch.setenv("PATH", str(bin_dir))
    app = Host(emu_settings)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done("tts", result, "fal-ai/kokoro/american-english"))
        await settled(app, pilot)
        text = body(app)
        assert "duration  0.40 s" in text and "WAV · 16000 Hz · mono · 16-bit" in text
        assert "p play" in text
        await pilot.press("p")
        await settled(app, pilot)
        saved = emu_settings.paths.download_dir / "audio.wav"
        assert app.notes[-1] == "Playing audio.wav with paplay (p again stops it)."
        await until(lambda: log.exists() and log.read_text() != "", what="the player starting")
        assert json.loads(log.read_text()) == [str(saved)]
        player = pane._player
        assert player is not None and player.poll() is None
        await pilot.press("p")
        assert app.notes[-1] == "Stopped playback."
        assert player.poll() is not None


async def test_play_without_any_player_or_desktop_says_why(
    emu_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await run(emu_settings, "fal-ai/kokoro/american-english", {"prompt": "hi"})
    monkeypatch.setenv("PATH", str(tmp_path))  # no player at all
    app = Host(emu_settings)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(done("tts2", result, "fal-ai/kokoro/american-english"))
        await settled(app, pilot)
        await pilot.press("p")
        await settled(app, pilot)
        saved = emu_settings.paths.download_dir / "audio.wav"
        assert app.notes[-1] == (
            "Cannot play audio.wav here: none of ffplay, afplay, paplay is installed, and there "
            f"is no desktop to open it on. It is saved at {saved}."
        )
        assert saved.is_file()


# -- video, meshes, LLM text --------------------------------------------------------------------


async def test_video_first_frame_and_length(emu_settings: Settings) -> None:
    result = await run(emu_settings, "fal-ai/ltx-video", {"prompt": "waves"})
    app = Host(emu_settings)
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ResultsPane)
        pane.show(done("vid", result, "fal-ai/ltx-video"))
        await settled(app, pilot)
        text = body(app)
        assert "duration  0.96 s" in text
        assert "video  8 frames · 160×90 · read as animated WEBP" in text
        image = app.query_one("#results-image")
        assert pane.has_class("-preview") and image.image.size == (160, 90)


async def test_an_mp4_without_ffmpeg_says_so(emu_settings: Settings) -> None:
    mp4 = {"video": {"url": "https://v3.fal.media/files/x/clip.mp4", "content_type": "video/mp4"}}
    app = Host(emu_settings, VideoTools(None, None))
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(done("mp4", mp4, "fal-ai/veo3"))
        await settled(app, pilot)
        assert (
            "note  no first frame or duration: ffprobe and ffmpeg are not installed (not on PATH)"
            in body(app)
        )


async def test_glb_mesh_statistics(emu_settings: Settings) -> None:
    result = await run(emu_settings, "fal-ai/trellis", {"image_url": "https://x/y.png"})
    app = Host(emu_settings)
    async with app.run_test(size=(100, 40)) as pilot:
        app.query_one(ResultsPane).show(done("glb", result, "fal-ai/trellis"))
        await settled(app, pilot)
        text = body(app)
        for line in (
            "vertices  8",
            "triangles  12",
            "meshes  1 (1 primitive)",
            "bounds  x -0.5 … 0.5 · y -0.5 … 0.5 · z -0.5 … 0.5",
            "size  1 × 1 × 1",
            "made by  faltui emulator",
        ):
            assert line in text, line


async def test_llm_text_with_token_usage(emu_settings: Settings) -> None:
    payload = {"prompt": "tell me a story", "model": "google/gemini-2.5-flash"}
    result = await run(emu_settings, "openrouter/router", payload)
    app = Host(emu_settings)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsPane).show(done("llm", result, "openrouter/router"))
        await settled(app, pilot)
        usage = result["usage"]
        assert body(app) == (
            "[emulated openrouter/router] You asked: tell me a story\n\n"
            f"tokens  {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion"
            f" = {usage['total_tokens']} tokens · cost {usage['cost']:.8f}".rstrip("0")
        )


# -- gone files ---------------------------------------------------------------------------------


async def test_gone_files_say_what_it_means_and_use_a_saved_copy(
    emulator: Emulator, emu_settings: Settings
) -> None:
    payload = {"prompt": "z", "num_images": 2, "image_size": {"width": 32, "height": 24}}
    result = await run(emu_settings, "fal-ai/flux/dev", payload)
    kept, lost = (image["url"] for image in result["images"])
    app = Host(emu_settings)
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ResultsPane)
        await pane.outputs.download(next(i.output for i in _items(result) if i.url == kept))
        for url in (kept, lost):
            del emulator.files.files[url.split("/files/", 1)[1]]
        pane.show(done("gone", result))
        await settled(app, pilot)
        sheet = app.query_one(ContactSheet)
        thumbs = list(sheet.query(Thumb))
        assert thumbs[0].query_one(".thumb-image").image is not None  # from the saved copy
        assert "gone" in str(thumbs[1].query_one(".thumb-kind", Static).render())
        assert "saved  " in body(app) and "no longer served" not in body(app)
        await pilot.press("right")
        await settled(app, pilot)
        text = body(app)
        assert "no preview: the file is no longer served — fal keeps results for a limited" in text
        assert "No copy was saved here, so it cannot be previewed, opened or downloaded" in text


def _items(result: dict[str, Any]) -> list[Any]:
    from faltui.tui.widgets.result_items import items_for

    return items_for(result)
