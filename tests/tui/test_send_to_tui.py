"""Send to another model in the TUI, against the emulator: from an image result into an
image-to-video model (the form filled and saying from where, the new job's input holding the
image URL, its parent recorded and the chain on the detail screen), from the palette, and
nothing offered for a job without outputs."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static
from waits import until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.core.journal import Journal
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.screens.send_to import SendToScreen
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.param_form import ParamForm
from faltui.tui.widgets.results import ResultsPane

FLUX = "fal-ai/flux/dev"
KLING = "fal-ai/kling-video/v1/standard/image-to-video"
FINAL = {JobState.done, JobState.failed, JobState.cancelled, JobState.lost}


@pytest.fixture(autouse=True)
def no_previews(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


async def test_an_image_result_goes_to_an_image_to_video_model_with_its_parent(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        parent = await app.services.jobs.submit(FLUX, {"prompt": "a red fox"})
        await until(lambda: parent.state in FINAL)
        assert parent.state is JobState.done
        url = parent.result["images"][0]["url"]
        table = app.query_one(JobTable)
        await until(lambda: parent.id in table.shown_ids)
        table.select_job(parent.id)
        await pilot.press("f4")  # the results pane
        await until(lambda: app.query_one(ResultsPane).job is parent)
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, SendToScreen), what="the model picker")
        picker = app.screen
        assert isinstance(picker, SendToScreen)
        await until(lambda: bool(picker.shown()))
        shown = picker.shown()
        assert FLUX not in shown  # its own model is not offered
        assert KLING in shown
        # Only models that take an image: no text-to-video or speech model.
        assert not any("text-to-video" in m or "speech" in m or "whisper" in m for m in shown), (
            shown
        )
        await pilot.press(*"kling v1 standard image")
        await until(lambda: picker.shown()[:1] == [KLING])
        await pilot.press("enter")
        form = app.query_one(ParamForm)
        await until(lambda: form.endpoint_id == KLING and form.values().get("image_url") == url)
        origin = str(form.query_one("#form-origin", Static).render())
        assert "images[0] → image_url" in origin and parent.id[:8] in origin
        prompt = form.editor("prompt")
        assert prompt is not None
        prompt.set_value("the fox runs")  # the model's prompt is required
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(lambda: any(j.endpoint_id == KLING for j in app.services.jobs.jobs()))
        child = next(j for j in app.services.jobs.jobs() if j.endpoint_id == KLING)
        await until(lambda: child.state in FINAL)
        assert child.state is JobState.done, child.error
        assert child.input["image_url"] == url and child.parent_id == parent.id
        sent = next(j for j in emulator.jobs.values() if j.endpoint_id == KLING)
        assert sent.input["image_url"] == url
        # The detail screen shows the chain; enter on the parent opens the parent's.
        app.main.flush_jobs()
        await until(lambda: child.id in table.shown_ids)
        table.select_job(child.id)
        table.job_list.focus()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        chain = app.screen.query_one("#detail-chain", OptionList)
        lines = [str(chain.get_option_at_index(i).prompt) for i in range(chain.option_count)]
        assert lines[0].split()[:2] == ["parent", parent.id] and FLUX in lines[0]
        assert lines[1].split()[:3] == ["this", "→", child.id]
        chain.focus()
        chain.highlighted = 0
        await pilot.press("enter")
        await until(
            lambda: isinstance(app.screen, JobDetailScreen) and app.screen.job is parent,
            what="the parent's detail screen",
        )
        chain = app.screen.query_one("#detail-chain", OptionList)
        assert child.id in str(chain.get_option_at_index(1).prompt)
    stored = {job.id: job for job in Journal(emu_settings.paths.journal_file).load_all()}
    assert stored[child.id].parent_id == parent.id


async def test_the_palette_sends_the_highlighted_job_and_a_job_without_outputs_says_so(
    emu_settings: Settings,
) -> None:
    notes: list[str] = []
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        original = app.notify

        def record(message: str, **kwargs: object) -> None:
            notes.append(message)
            original(message, **kwargs)  # type: ignore[arg-type]

        app.notify = record  # type: ignore[method-assign]
        bad = await app.services.jobs.submit(FLUX, {"prompt": "x", "num_images": -1})
        await until(lambda: bad.state in FINAL)
        table = app.query_one(JobTable)
        await until(lambda: bad.id in table.shown_ids)
        table.select_job(bad.id)
        app.main.send_highlighted()
        await until(lambda: any("Nothing to send" in n for n in notes), what="the refusal")
        assert not isinstance(app.screen, SendToScreen)
        good = await app.services.jobs.submit(FLUX, {"prompt": "y"})
        await until(lambda: good.state in FINAL)
        await until(lambda: good.id in table.shown_ids)
        table.select_job(good.id)
        await pilot.press("ctrl+p")
        await pilot.press(*"send result")
        await until(lambda: "Send result" in _highlight(app))
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, SendToScreen))


def _highlight(app: FaltuiApp) -> str:
    from waits import palette_highlight

    return palette_highlight(app)
