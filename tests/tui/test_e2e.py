"""The whole app against the emulator, driven only by keys, as a user would."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input
from waits import PATIENCE, Budget, search_palette, until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.results import ResultsPane

FINAL = {JobState.done, JobState.failed, JobState.cancelled, JobState.lost}


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No inline previews (deterministic); the system clipboard is a list we can read."""
    monkeypatch.setattr(ResultsPane, "preview_images", False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    copied: list[str] = []
    import pyperclip

    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


async def choose(
    pilot, app: FaltuiApp, query: str, endpoint_id: str, timeout: float | Budget = PATIENCE
) -> None:
    await pilot.press("slash")
    await pilot.press(*query)
    await pilot.pause()
    browser = app.query_one(ModelBrowser)
    await until(lambda: browser.highlighted_model is not None, timeout)
    assert browser.highlighted_model.endpoint_id == endpoint_id
    await pilot.press("enter")
    await until(lambda: app.main.current_schema is not None, timeout)


async def test_search_choose_fill_submit_complete_copy(
    emu_settings: Settings, emulator: Emulator, quiet: list[str]
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(pilot, app, "flux dev", "fal-ai/flux/dev")
        await pilot.pause()
        await pilot.press(*"a lighthouse at dusk")
        await pilot.press("ctrl+s")
        await until(lambda: len(emulator.jobs) == 1)
        job_input = next(iter(emulator.jobs.values())).input
        assert job_input["prompt"] == "a lighthouse at dusk"
        await until(lambda: any(j.state is JobState.done for j in app.services.jobs.jobs()))
        app.main.flush_jobs()  # show the finished job now rather than on the next 10 Hz tick
        await pilot.pause()
        await pilot.press("escape", "4")  # leave the form, go to the results pane
        await pilot.pause()
        assert app.focused is not None and app.query_one(ResultsPane) in app.focused.ancestors
        await pilot.press("c")
        await pilot.pause()
        job = app.services.jobs.jobs()[0]
        url = job.result["images"][0]["url"]
        assert quiet == [url]


async def test_two_hundred_jobs_finish_and_keys_still_work(
    emu_settings: Settings, emulator: Emulator
) -> None:
    emulator.time_scale = 0.25  # jobs take ~2 s, so keys land while they run
    # Every wait below shares one budget that ends well before the 120 s test timeout.
    budget = Budget(100)
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(pilot, app, "flux schnell", "fal-ai/flux/schnell", budget)
        await pilot.pause()
        await pilot.press(*"many lighthouses")
        await pilot.press("ctrl+b")
        await pilot.pause()
        count = app.screen.query_one(Input)
        count.value = ""
        await pilot.press(*"200", "enter")
        await until(lambda: len(app.services.jobs.jobs()) >= 20, budget, "20 jobs submitted")

        # While jobs are being submitted and run: leave the form, search for another model.
        assert any(j.state not in FINAL for j in app.services.jobs.jobs()), "keys after the jobs"
        await pilot.press("escape", "slash", *"whisper")
        browser = app.query_one(ModelBrowser)
        await until(
            lambda: (
                browser.highlighted_model is not None
                and browser.highlighted_model.endpoint_id == "fal-ai/whisper"
            ),
            budget,
            "whisper highlighted",
        )
        await until(lambda: len(app.services.jobs.jobs()) == 200, budget, "200 jobs created")
        await until(
            lambda: all(j.state in FINAL for j in app.services.jobs.jobs()),
            budget,
            "200 jobs final",
        )
        assert {j.state for j in app.services.jobs.jobs()} == {JobState.done}
        seeds = {j.input["seed"] for j in app.services.jobs.jobs()}
        assert len(seeds) == 200
        table = app.query_one(JobTable)
        await until(lambda: len(table.shown_ids) == 200, budget, "200 rows shown")


async def test_model_without_schema_runs_from_raw_json(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(pilot, app, "kling v3 text-to-image", "fal-ai/kling-image/v3/text-to-image")
        assert app.main.current_schema.input == []  # no published schema: free-form input
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("right", *'"prompt": "a red fox"', "ctrl+s")
        await until(lambda: len(emulator.jobs) == 1)
        assert next(iter(emulator.jobs.values())).input == {"prompt": "a red fox"}


async def test_earlier_jobs_come_back_from_the_journal(
    emu_settings: Settings, emulator: Emulator
) -> None:
    first = FaltuiApp(emu_settings)
    async with first.run_test(size=(160, 48)):
        job = await first.services.jobs.submit("fal-ai/flux/dev", {"prompt": "remember me"})
        await until(lambda: job.state in FINAL)
    emulator.script_next_jobs("slow")
    unfinished = None
    second = FaltuiApp(emu_settings)
    async with second.run_test(size=(160, 48)) as pilot:
        unfinished = await second.services.jobs.submit("fal-ai/flux/dev", {"prompt": "still going"})
    assert not unfinished.final
    # A third session shows the finished job and re-attaches to the unfinished one.
    third = FaltuiApp(emu_settings)
    async with third.run_test(size=(160, 48)) as pilot:
        table = third.query_one(JobTable)
        await until(lambda: len(table.shown_ids) == 2)
        assert set(table.shown_ids) == {job.id, unfinished.id}
        assert third.services.jobs.get(job.id).result["images"]
        # Re-attached: tracked again until fal reports it done, result and all.
        resumed = third.services.jobs.get(unfinished.id)
        await until(lambda: resumed.state is JobState.done)
        assert resumed.result["images"]
        await pilot.pause()


async def test_detail_copies_commands_and_forks_into_the_form(
    emu_settings: Settings, quiet: list[str]
) -> None:
    from faltui.tui.screens.job_detail import JobDetailScreen
    from faltui.tui.widgets.param_form import ParamForm

    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        payload = {"prompt": "fork me", "num_images": 2}
        job = await app.services.jobs.submit("fal-ai/flux/dev", payload)
        await until(lambda: job.state in FINAL)
        table = app.query_one(JobTable)
        await until(lambda: table.shown_ids == [job.id])
        table.select_job(job.id)
        table.job_list.focus()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.press("l")
        assert "faltui --demo run -m fal-ai/flux/dev -w" in quiet[-1]  # runs as is
        assert "fork me" in quiet[-1] and emu_settings.key not in quiet[-1]
        await pilot.press("u")
        assert "curl" in quiet[-1] and "$FAL_KEY" in quiet[-1]
        await pilot.press("e")
        await until(lambda: app.main.current_schema is not None)
        form = app.query_one(ParamForm)
        await until(lambda: form.values().get("prompt") == "fork me")
        assert form.values()["num_images"] == 2


async def test_price_shows_and_submit_many_estimates_the_cost(emu_settings: Settings) -> None:
    from textual.widgets import Static

    from faltui.tui.screens.count import CountScreen
    from faltui.tui.widgets.status_bar import StatusBar

    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(pilot, app, "flux dev", "fal-ai/flux/dev")
        status = app.query_one(StatusBar)
        await until(lambda: "per image" in status.plain)
        await pilot.press(*"x", "ctrl+b")
        await until(lambda: isinstance(app.screen, CountScreen))
        await pilot.pause()
        cost = str(app.screen.query_one("#count-cost", Static).render())
        price = app.main.current_price.unit_price
        assert f"≈ {price * 4:.4g} USD for 4 jobs" in cost
        app.screen.query_one(Input).value = "10"
        await pilot.pause()
        cost = str(app.screen.query_one("#count-cost", Static).render())
        assert f"≈ {price * 10:.4g} USD for 10 jobs" in cost


async def test_at_80x24_choosing_a_model_puts_the_cursor_in_its_first_field(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.main.narrow
        await choose(pilot, app, "schnell", "fal-ai/flux/schnell")
        await until(lambda: app.focused is not None and app.focused.id != "browser-search")
        await pilot.press(*"a red fox")
        await pilot.pause()
        assert app.main.active_pane == "form"
        assert app.query_one("#form").values().get("prompt") == "a red fox"


async def test_jobs_pane_copies_and_downloads_the_highlighted_jobs_outputs(
    emu_settings: Settings, quiet: list[str]
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        payload = {"prompt": "two foxes", "num_images": 2, "image_size": "square"}
        job = await app.services.jobs.submit("fal-ai/flux/dev", payload)
        await until(lambda: job.state in FINAL)
        table = app.query_one(JobTable)
        await until(lambda: table.shown_ids == [job.id])
        await pilot.press("f4")  # the jobs pane (the cursor is on the only job)
        await pilot.press("c")
        await until(lambda: bool(quiet))
        assert quiet[-1] == job.result["images"][0]["url"]
        await pilot.press("D")
        await app.workers.wait_for_complete()
        # Files only: with --demo settings the library (auto-download) keeps dated folders here.
        saved = sorted(p for p in Path(emu_settings.paths.download_dir).iterdir() if p.is_file())
        assert len(saved) == 2 and all(p.stat().st_size > 0 for p in saved)


async def test_palette_downloads_every_finished_jobs_outputs(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        jobs = await app.services.jobs.submit_batch(
            "fal-ai/flux/dev",
            [{"prompt": f"fox {n}", "num_images": 2, "image_size": "square"} for n in range(3)],
        )
        await until(lambda: all(job.state in FINAL for job in jobs))
        table = app.query_one(JobTable)
        await until(lambda: len(table.shown_ids) == 3)
        await pilot.press("ctrl+p")
        await search_palette(pilot, "download all outputs")
        await pilot.press("enter")
        folder = Path(emu_settings.paths.download_dir)  # files only: the library keeps folders
        await until(lambda: len([p for p in folder.glob("*") if p.is_file()]) == 6)
        await app.workers.wait_for_complete()
        assert "downloading" not in app.query_one("#status").plain


async def test_palette_download_goes_past_a_dead_file_and_names_it(
    emu_settings: Settings, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the library's auto-download: a copy saved earlier would stand in for the dead
    # file (tests/test_outputs_media.py), and this is about naming the failure.
    quiet = replace(emu_settings, raw={"library": {"auto_download": False}})
    app = FaltuiApp(quiet)
    notes: list[tuple[str, object]] = []
    notify = app.notify

    def record(message: str, **kwargs: object) -> None:
        notes.append((message, kwargs.get("severity")))
        notify(message, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "notify", record)
    async with app.run_test(size=(160, 48)) as pilot:
        payload = {"num_images": 2, "image_size": "square", "output_format": "png"}
        jobs = await app.services.jobs.submit_batch(
            "fal-ai/flux/dev", [{"prompt": f"fox {n}", **payload} for n in range(2)]
        )
        await until(lambda: all(job.state in FINAL for job in jobs))
        dead = jobs[1].result["images"][1]["url"]
        del emulator.files.files[dead.split("/files/", 1)[1]]  # its time on the CDN ran out
        table = app.query_one(JobTable)
        await until(lambda: len(table.shown_ids) == 2)
        await pilot.press("ctrl+p")
        await pilot.press(*"download all outputs")
        await until(lambda: app.screen.query("CommandList").first().option_count > 0)
        await pilot.press("enter")
        folder = Path(emu_settings.paths.download_dir)
        await until(lambda: any(message.startswith("Saved") for message, _ in notes))
        await app.workers.wait_for_complete()
        message, severity = next(n for n in notes if n[0].startswith("Saved"))
        assert message == (
            f"Saved 3 of 4 files to {folder}; 1 failed:\n"
            "images[1] (images_1.png): the file is no longer served — fal keeps results for a "
            "limited time (HTTP 404 Not Found)"
        )
        assert severity == "warning"
        assert len(list(folder.glob("*.png"))) == 3
        assert "downloading" not in app.query_one("#status").plain
        assert emulator.counters["file_with_auth"] == 0
