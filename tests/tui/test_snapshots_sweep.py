"""Snapshot of a filled sweep grid: two models × two guidance values × two seeds, thumbnails
pinned to half-cell blocks, fixed jobs (finished ones only, so no clock shows).

Regenerate after an intended change with ``pytest tests/tui/test_snapshots_sweep.py
--snapshot-update`` and look at the SVG before committing it.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import pytest
from job_samples import NOW, make_job
from test_snapshots_jobs import gradient_png
from textual.app import App
from textual_image.widget import HalfcellImage

from faltui.core.job import Job
from faltui.core.outputs import Outputs
from faltui.core.sweep_tag import SweepTag
from faltui.tui.screens.sweep_grid import SweepGridScreen
from faltui.tui.themes import DEFAULT_THEME, JOB_STATE_VARIABLES, builtin_themes
from faltui.tui.widgets.result_images import ImageLoader

SIZE = (110, 32)
AXES = ("seed", "guidance_scale")


def sweep_jobs() -> tuple[list[Job], list[tuple[str, SweepTag]]]:
    """Seven finished jobs of an eight-job sweep; the last was never sent (a cap)."""
    image = "data:image/png;base64," + base64.b64encode(gradient_png()).decode()
    jobs: list[Job] = []
    expected: list[tuple[str, SweepTag]] = []
    index = 0
    for model in ("fal-ai/flux/dev", "fal-ai/flux/schnell"):
        for seed in ("1", "2"):
            for guidance in ("2", "4"):
                tag = SweepTag("5eed5eed5eed", index, 8, AXES, (seed, guidance))
                expected.append((model, tag))
                state = "failed" if index == 5 else "done"
                if index < 7:
                    job = make_job(
                        f"j-{index}",
                        state,
                        endpoint_id=model,
                        started=NOW - 8,
                        finished=NOW - 8 + index * 0.5 + 2,
                        result={"images": [{"url": image, "content_type": "image/png"}]}
                        if state == "done"
                        else None,
                        error="GPU ran out of memory" if state == "failed" else None,
                        sweep=tag,
                    )
                    jobs.append(job)
                index += 1
    return jobs, expected


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.gettempdir()) / "faltui-snapshots-save-nothing"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(JOB_STATE_VARIABLES)

    def on_mount(self) -> None:
        for theme in builtin_themes().themes:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME
        jobs, expected = sweep_jobs()
        self.push_screen(
            SweepGridScreen(
                "5eed5eed5eed",
                lambda: jobs,
                expected=expected,
                cost_of=lambda job: "0.025 USD" if job.state.value == "done" else "not billed",
                images=ImageLoader(Outputs(self.tmp)),
                image_widget=HalfcellImage,
            )
        )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses Image.getdata
def test_sweep_grid_filled(snap_compare) -> None:
    async def setup(pilot) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.press("right")
        await pilot.pause()

    assert snap_compare(Host(), terminal_size=SIZE, run_before=setup)
