"""Snapshots of the job table (a job in every state) and the results pane (image + text).

Fixed clock, fixed jobs, image preview pinned to half-cell blocks: the SVGs are stable.
Regenerate after an intended change with ``pytest tests/tui/test_snapshots_jobs.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path

import pytest
from job_samples import NOW, jobs_in_every_state, make_job
from PIL import Image
from textual.app import App, ComposeResult
from textual.widgets import Footer
from textual_image.widget import HalfcellImage

from faltui.core.outputs import Outputs
from faltui.tui.themes import DEFAULT_THEME, JOB_STATE_VARIABLES, builtin_themes
from faltui.tui.widgets.job_list import JobList
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.results import OutputList, ResultsPane

SIZE = (120, 30)


def gradient_png(width: int = 48, height: int = 24) -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(width):
        for y in range(height):
            image.putpixel((x, y), (x * 5 % 256, y * 10 % 256, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class Host(App[None]):
    """The faltui theme and one pane (plus the footer)."""

    def __init__(self, pane: str) -> None:
        super().__init__()
        self.pane = pane
        # These snapshots save nothing: the folder is never created.
        self.tmp = Path(tempfile.gettempdir()) / "faltui-snapshots-save-nothing"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(JOB_STATE_VARIABLES)

    def compose(self) -> ComposeResult:
        if self.pane == "jobs":
            yield JobTable(id="jobs", clock=lambda: NOW)
        else:
            yield ResultsPane(Outputs(self.tmp), id="results")
        yield Footer()

    def on_mount(self) -> None:
        for theme in builtin_themes().themes:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME


@pytest.fixture(autouse=True)
def stable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "image_widget", HalfcellImage)
    monkeypatch.setattr(ResultsPane, "preview_images", True)
    monkeypatch.delenv("FALTUI_NO_PREVIEW", raising=False)


def test_job_table_every_state(snap_compare) -> None:
    async def setup(pilot) -> None:
        table = pilot.app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        pilot.app.query_one(JobList).focus()
        await pilot.press("g", "j", "j")
        await pilot.pause()

    assert snap_compare(Host("jobs"), terminal_size=SIZE, run_before=setup)


def test_job_table_empty(snap_compare) -> None:
    assert snap_compare(Host("jobs"), terminal_size=SIZE)


def image_and_text_job():
    data_url = "data:image/png;base64," + base64.b64encode(gradient_png()).decode()
    return make_job(
        "j-img",
        "done",
        started=NOW - 8,
        finished=NOW - 5,
        result={
            "images": [
                {
                    "url": data_url,
                    "content_type": "image/png",
                    "file_name": "gradient.png",
                    "file_size": 2048,
                    "width": 48,
                    "height": 24,
                }
            ],
            "output": "A gradient of [b]colours[/b].\nSecond line of the answer.",
        },
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses Image.getdata
def test_results_image_preview(snap_compare) -> None:
    async def setup(pilot) -> None:
        pilot.app.query_one(ResultsPane).show(image_and_text_job())
        pilot.app.query_one(OutputList).focus()
        assert pilot.app.focused is pilot.app.query_one(OutputList)
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(Host("results"), terminal_size=SIZE, run_before=setup)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses Image.getdata
def test_results_text_output(snap_compare) -> None:
    async def setup(pilot) -> None:
        pilot.app.query_one(ResultsPane).show(image_and_text_job())
        pilot.app.query_one(OutputList).focus()
        assert pilot.app.focused is pilot.app.query_one(OutputList)
        await pilot.press("j")
        await pilot.pause()

    assert snap_compare(Host("results"), terminal_size=SIZE, run_before=setup)
