"""The Results pane inside the main screen: maximized, it shows the whole result."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from job_samples import make_job
from PIL import Image
from textual.widgets import Static
from textual_image.widget import HalfcellImage
from waits import until

from faltui.core.config import Paths, Settings
from faltui.core.job import Job, JobEvent
from faltui.tui.app import FaltuiApp
from faltui.tui.widgets.results import ResultsPane

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image getdata


def png_url(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def image_job(count: int = 1) -> Job:
    images = [{"url": png_url(400, 300), "content_type": "image/png"} for _ in range(count)]
    return make_job(
        "img-job",
        "done",
        finished=1_767_268_800.0,
        result={"images": images, "seed": 1},
    )


def make_app(home: Path) -> FaltuiApp:
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return FaltuiApp(Settings(paths=paths))


async def show_job(app: FaltuiApp, job: Job) -> ResultsPane:
    """Put a job into the manager, let the table pick it up and Results show it."""
    app.services.jobs._jobs[job.id] = job
    app.main._on_job_event(JobEvent(job, "updated"))
    app.main.flush_jobs()
    app.main.job_table.select_job(job.id)
    results = app.main.results
    await until(lambda: results.job is job, what="Results showing the job")
    return results


@pytest.fixture(autouse=True)
def halfcell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "image_widget", HalfcellImage)
    monkeypatch.delenv("FALTUI_NO_PREVIEW", raising=False)


async def test_maximized_results_fill_the_screen_with_a_larger_preview(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        results = await show_job(app, image_job())
        await pilot.press("escape", "4")  # to the results pane, as a user would
        await pilot.pause()
        assert results.has_focus_within
        image = results.query_one("#results-image")
        await until(lambda: image.region.height > 0, what="the preview")
        before = image.region
        app.screen.action_maximize()  # what the palette's "Maximize" runs
        await pilot.pause()
        assert app.screen.maximized is results
        screen = app.screen.region
        footer = 1
        assert results.region.width == screen.width
        assert results.region.height == screen.height - footer
        await until(lambda: image.region.height > before.height, what="a larger preview")
        after = image.region
        assert after.width > before.width
        assert after.height >= screen.height // 2
        text = results.query_one("#results-text", Static)
        assert text.region.height > 0 and "image/png" in str(text.render())
        app.screen.action_minimize()
        await pilot.pause()
        assert app.screen.maximized is None
        await until(lambda: image.region.height == before.height, what="the normal preview")
