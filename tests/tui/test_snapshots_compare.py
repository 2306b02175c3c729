"""Snapshots of the compare screen: three fixed jobs (seeds 11/12/13, guidance 3.5/3.5/6), one
with an LLM-style text beside its image; wide, and at 80×24 with the third column chosen.

Fixed jobs, fixed prices, inline images pinned to half-cell blocks: the SVGs are stable.
Regenerate after an intended change with ``pytest tests/tui/test_snapshots_compare.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path

import pytest
from job_samples import NOW, make_job
from PIL import Image
from textual.app import App
from textual_image.widget import HalfcellImage

from faltui.core.job import Job
from faltui.core.outputs import Outputs
from faltui.core.pricing import Price
from faltui.tui.screens.compare import CompareScreen
from faltui.tui.themes import DEFAULT_THEME, JOB_STATE_VARIABLES, builtin_themes

FLUX = "fal-ai/flux/dev"
PRICES = {FLUX: Price(FLUX, 0.025, "image")}


def square_png(colour: tuple[int, int, int]) -> str:
    """A 32×24 PNG of stripes in ``colour``, as a data: URL."""
    image = Image.new("RGB", (32, 24))
    for x in range(32):
        for y in range(24):
            image.putpixel((x, y), colour if (x // 4 + y // 4) % 2 else (250, 250, 240))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def flux_job(n: int, seed: int, guidance: float, colour: tuple[int, int, int]) -> Job:
    result: dict[str, object] = {
        "images": [
            {
                "url": square_png(colour),
                "content_type": "image/png",
                "file_name": f"seed-{seed}.png",
                "width": 32,
                "height": 24,
            }
        ],
        "seed": seed,
    }
    if n == 3:
        result["output"] = "A lighthouse, [b]not markup[/b].\nSecond line of the caption."
    job = make_job(
        f"cmp-{n}",
        "done",
        created=NOW - 60 + n,
        submitted=NOW - 59 + n,
        started=NOW - 57 + n,
        finished=NOW - 50 + n * 1.5,
        result=result,
        billable_units=1.0,
    )
    job.input = {
        "prompt": "a lighthouse at dusk",
        "image_size": {"width": 32, "height": 24},
        "seed": seed,
        "guidance_scale": guidance,
    }
    return job


def jobs() -> list[Job]:
    return [
        flux_job(1, 11, 3.5, (200, 40, 40)),
        flux_job(2, 12, 3.5, (40, 160, 60)),
        flux_job(3, 13, 6.0, (40, 60, 200)),
    ]


class Host(App[None]):
    """The faltui theme and the compare screen on top."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(JOB_STATE_VARIABLES)

    def on_mount(self) -> None:
        for theme in builtin_themes().themes:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME
        # These snapshots save nothing: the folder is never created.
        outputs = Outputs(Path(tempfile.gettempdir()) / "faltui-snapshots-save-nothing")
        self.push_screen(
            CompareScreen(jobs(), prices=PRICES, outputs=outputs, image_widget=HalfcellImage)
        )


@pytest.fixture(autouse=True)
def previews_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FALTUI_NO_PREVIEW", raising=False)


async def _loaded(pilot) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    shown = [n for n in range(3) if screen.query_one(f"#head-{n}").display]
    assert all(screen.query_one(f"#output-{n}").has_class("-preview") for n in shown)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses Image.getdata
def test_compare_three_jobs_wide(snap_compare) -> None:
    assert snap_compare(Host(), terminal_size=(130, 40), run_before=_loaded)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_compare_80x24_third_column_chosen(snap_compare) -> None:
    async def setup(pilot) -> None:
        await pilot.press("right", "right")
        await _loaded(pilot)

    assert snap_compare(Host(), terminal_size=(80, 24), run_before=setup)
