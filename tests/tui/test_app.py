"""FaltuiApp without the network: start-up without a key, help, keymap, themes, layouts."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from job_samples import make_job
from textual.widgets import Input
from textual.worker import WorkerFailed
from waits import search_palette

from faltui.core.config import Paths, Settings
from faltui.core.job import Job, JobEvent, JobState
from faltui.core.schema import prepare
from faltui.core.state import AppState
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.help import HelpScreen
from faltui.tui.widgets.status_bar import StatusBar


def make_settings(home: Path, **kwargs: Any) -> Settings:
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return Settings(paths=paths, **kwargs)


class Recorder:
    """Wraps ``app.notify`` to keep every message shown."""

    def __init__(self, app: FaltuiApp) -> None:
        self.messages: list[str] = []
        self._notify = app.notify
        app.notify = self  # type: ignore[method-assign]

    def __call__(self, message: str, **kwargs: Any) -> None:
        self.messages.append(f"{kwargs.get('title', '')}: {message}")
        self._notify(message, **kwargs)

    def text(self) -> str:
        return "\n".join(self.messages)


async def test_starts_without_key_and_submit_explains(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path, key=None))
    async with app.run_test(size=(160, 48)) as pilot:
        recorder = Recorder(app)
        status = app.query_one(StatusBar).plain
        assert "no key" in status and "FAL_KEY" in status
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "FAL_KEY" in recorder.text() and "--demo" in recorder.text()
        assert app.is_running  # nothing crashed


async def test_status_bar_masks_the_key(tmp_path: Path) -> None:
    key = "abcd1234:secretsecretsecret99"
    app = FaltuiApp(make_settings(tmp_path, key=key, key_source="FAL_KEY"))
    async with app.run_test(size=(160, 48)):
        status = app.query_one(StatusBar).plain
        assert "abcd…99" in status and "(FAL_KEY)" in status
        assert "secret" not in status


async def test_help_lists_real_bindings_with_remaps(tmp_path: Path) -> None:
    keymap = {"help": "f12", "browser.favourite": "ctrl+f", "no.such.binding": "f9"}
    app = FaltuiApp(make_settings(tmp_path, keymap=keymap))
    async with app.run_test(size=(160, 48)) as pilot:
        assert any("no.such.binding" in p for p in app.problems)
        await pilot.press("f1")  # remapped away
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f12")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        rows = {row.binding_id: row for section in screen.sections for row in section.rows}
        assert rows["help"].keys == ["f12"]
        assert rows["browser.favourite"].keys == ["^f"]
        assert rows["submit"].keys == ["^s", "^j"]
        titles = [section.title for section in screen.sections]
        assert titles[0] == "Everywhere" and "Models" in titles
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_remapped_key_works(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path, keymap={"pane.jobs": "f7"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape", "3")  # the old key does nothing now
        await pilot.pause()
        assert app.main.active_pane == "models"
        await pilot.press("f7")
        await pilot.pause()
        assert app.main.active_pane == "jobs"
        assert app.main.pane_widget("jobs").display and not app.main.pane_widget("models").display


async def test_themes_builtin_user_and_broken(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    themes = settings.paths.user_themes_dir
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#336699"\n', encoding="utf-8")
    (themes / "bad.toml").write_text('name = "bad"\nprimary = "chartreuse-ish"\n', "utf-8")
    app = FaltuiApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "faltui-dark"
        assert {"faltui-dark", "faltui-light", "faltui-fjord", "faltui-ember", "mine"} <= set(
            app.available_themes
        )
        assert any("bad.toml" in p for p in app.problems)
        app.switch_theme("faltui-ember")
        await pilot.pause()
    assert AppState.load(settings.paths.state_file).theme == "faltui-ember"
    app = FaltuiApp(settings)
    async with app.run_test(size=(120, 40)):
        assert app.theme == "faltui-ember"


async def test_unknown_configured_theme_falls_back(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path, theme="does-not-exist"))
    async with app.run_test(size=(120, 40)):
        assert app.theme == "faltui-dark"
        assert any("does-not-exist" in p for p in app.problems)


async def test_every_pane_reachable_at_80x24(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.main.narrow
        await pilot.press("escape")  # leave the search box for the list
        for key, pane in [("3", "jobs"), ("4", "results"), ("2", "form"), ("1", "models")]:
            await pilot.press(key)
            await pilot.pause()
            assert app.main.active_pane == pane
            region = app.main.pane_widget(pane).region
            assert region.width == 80 and region.height >= 15, (pane, region)
            hidden = [p for p in app.main.PANE_TITLES if p != pane]
            assert not any(app.main.pane_widget(p).display for p in hidden)
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "browser-search"


async def test_the_tab_bar_follows_the_pane_shown_wide_to_narrow_and_back(tmp_path: Path) -> None:
    from textual.widgets import Tabs

    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("f4")  # the jobs pane, while no tab bar is shown
        await pilot.pause()
        assert app.main.active_pane == "jobs"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        tabs = app.query_one("#pane-tabs", Tabs)
        assert tabs.display and tabs.active == "tab-jobs" and app.main.active_pane == "jobs"
        assert app.main.pane_widget("jobs").display and not app.main.pane_widget("form").display
        await pilot.click("#tab-form")
        await pilot.pause()
        assert app.main.active_pane == "form" and tabs.active == "tab-form"
        await pilot.press("f4")
        await pilot.pause()
        assert app.main.active_pane == "jobs" and tabs.active == "tab-jobs"
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert not tabs.display and all(app.main.pane_widget(p).display for p in ("jobs", "form"))


async def test_function_keys_switch_panes_from_inside_a_text_field(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        search = app.query_one("#browser-search", Input)
        search.focus()
        await pilot.press("3")  # a bare digit is text here
        assert search.value == "3" and app.main.active_pane == "models"
        await pilot.press("f4")
        await pilot.pause()
        assert app.main.active_pane == "jobs" and search.value == "3"
        await pilot.press("f2")
        await pilot.pause()
        assert app.main.active_pane == "models"
        await pilot.press("escape", "question_mark")  # a screen on top: pane keys wait
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f4", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.main.active_pane == "models"


async def test_wide_layout_shows_all_panes(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(200, 60)):
        assert not app.main.narrow
        regions = {p: app.main.pane_widget(p).region for p in app.main.PANE_TITLES}
        assert all(r.width >= 40 and r.height >= 20 for r in regions.values()), regions
        assert regions["models"].x < regions["form"].x < regions["jobs"].x
        assert regions["jobs"].y < regions["results"].y
        assert not any(tabs.display for tabs in app.query("#pane-tabs"))  # no tab bar


async def test_status_bar_keeps_what_matters_on_a_narrow_terminal(tmp_path: Path) -> None:
    from faltui.tui.widgets.status_bar import StatusBar as Bar

    settings = make_settings(tmp_path, key="abcd1234:secretsecretsecret99", key_source="FAL_KEY")
    app = FaltuiApp(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()  # the live catalog fetch (no network) is over
        bar = app.query_one(Bar)
        bar.set_model("fal-ai/kling-video/v3/pro/text-to-video")
        bar.set_price("0.1 USD per video_second")
        bar.set_counts({"running": 12, "done": 40, "failed": 2})
        wide = bar.plain
        assert "12 running" in wide and "spent today 0 USD" in wide
        # With a model id this long, the key's source and the price yield to the spend; with
        # a short one all of them fit.
        bar.set_model("fal-ai/flux/dev")
        assert "(FAL_KEY)" in bar.plain and "0.1 USD" in bar.plain and "spent today" in bar.plain
        bar.set_model("fal-ai/kling-video/v3/pro/text-to-video")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        narrow = bar.plain
        assert len(narrow) <= 78 and "(FAL_KEY)" not in narrow
        assert "jobs 12 running · 40 done · 2 failed" in narrow and "abcd…99" in narrow
        assert "secret" not in narrow


async def test_job_events_are_batched_into_counts(tmp_path: Path) -> None:
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        upserts: list[int] = []
        table = app.query_one("#jobs")
        table.upsert = lambda jobs: upserts.append(len(list(jobs)))  # type: ignore[attr-defined]
        jobs = [make_job(f"job-{n}", "queued") for n in range(3)]
        app.services.jobs._jobs.update({job.id: job for job in jobs})  # as if submitted
        for i in range(50):  # many events for three jobs between two timer ticks
            job = jobs[i % 3]
            job.state = JobState.running if i % 3 else JobState.queued
            app.main._on_job_event(JobEvent(job, "updated"))
        app.main.flush_jobs()
        assert upserts == [3]
        assert "2 running" in app.query_one(StatusBar).plain
        assert "1 queued" in app.query_one(StatusBar).plain
        app.main.flush_jobs()  # nothing changed: no update
        assert upserts == [3]
        await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_palette_opens_and_runs_an_action(tmp_path: Path, size: tuple[int, int]) -> None:
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=size) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await search_palette(pilot, "go to jobs", "go to: jobs")
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.active_pane == "jobs"


async def test_palette_switches_theme_and_remembers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = FaltuiApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await search_palette(pilot, "theme: faltui-light", "faltui-light")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "faltui-light"
    assert AppState.load(settings.paths.state_file).theme == "faltui-light"


async def test_unexpected_worker_error_is_a_notification(tmp_path: Path) -> None:
    async def broken_submit(endpoint_id: str, payload: Any, **kwargs: Any) -> Job:
        raise RuntimeError("a bug in the job manager")

    app = FaltuiApp(make_settings(tmp_path, key="demo-key:secret"))
    async with app.run_test(size=(160, 48)) as pilot:
        app.services.jobs.submit = broken_submit  # type: ignore[method-assign]
        worker = app.main._submit("fal-ai/flux/dev", prepare(None, {"prompt": "x"}), 1)
        with contextlib.suppress(WorkerFailed):
            await worker.wait()
        await pilot.pause()
        assert app.is_running
        assert any("failed" in p and "RuntimeError" in p for p in app.problems)


# -- with the real catalog (bundled snapshot; no key, so no network) ---------------------


def _needs_catalog() -> None:
    pytest.importorskip("faltui.core.catalog", reason="needs the catalog")


async def test_browser_lists_bundled_catalog_and_choosing_loads_the_form(tmp_path: Path) -> None:
    _needs_catalog()
    settings = make_settings(tmp_path)
    app = FaltuiApp(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        browser = app.query_one("#browser")
        assert len(browser.models) >= 50  # every model of the bundled snapshot
        await pilot.press(*"flux/dev")
        await pilot.pause()
        assert browser.shown[0].endpoint_id == "fal-ai/flux/dev"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.main.current_model.endpoint_id == "fal-ai/flux/dev"
        assert app.main.current_schema is not None
        assert any(f.name == "prompt" for f in app.main.current_schema.input)
    state = AppState.load(settings.paths.state_file)
    assert state.recents[0] == "fal-ai/flux/dev"
    # Recently used floats to the top on the next start.
    app = FaltuiApp(settings)
    async with app.run_test(size=(160, 48)):
        assert app.query_one("#browser").shown[0].endpoint_id == "fal-ai/flux/dev"


async def test_palette_chooses_a_model(tmp_path: Path) -> None:
    _needs_catalog()
    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await search_palette(pilot, "fal-ai/flux/schnell")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.main.current_model is not None
        assert app.main.current_model.endpoint_id == "fal-ai/flux/schnell"


async def test_unknown_schema_is_a_clear_notification(tmp_path: Path) -> None:
    _needs_catalog()
    from faltui.core.catalog import ModelInfo

    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        recorder = Recorder(app)
        model = ModelInfo.from_api(
            {"endpoint_id": "nobody/nothing", "metadata": {"display_name": "Nothing"}}
        )
        app.main.choose_model(model)
        await app.workers.wait_for_complete()
        await pilot.pause()
        # No schema anywhere: the model stays usable through the raw JSON editor.
        assert app.is_running and app.main.current_schema.input == []
        assert "nobody/nothing" in recorder.text() and "JSON" in recorder.text()


JOB_LIST_IDS = {
    "jobs.details",
    "jobs.cancel",
    "jobs.rerun",
    "jobs.reconcile",
    "jobs.search",
    "jobs.mark",
    "jobs.mark_all",
    "jobs.sort",
    "jobs.sort_reverse",
    "jobs.filter",
    "jobs.copy",
    "jobs.open",
    "jobs.download",
    "jobs.download_all",
    "jobs.remove",
    "jobs.export",
    "jobs.compare",
    "jobs.clear",
    "jobs.down",
    "jobs.up",
    "jobs.page_down",
    "jobs.page_up",
    "jobs.first",
    "jobs.last",
}


async def test_job_list_keys_are_in_help_and_remappable(tmp_path: Path) -> None:
    from job_samples import jobs_in_every_state

    from faltui.tui.widgets.job_list import JobList
    from faltui.tui.widgets.job_table import JobSearch

    keymap = {"jobs.mark": "m", "jobs.search": "ctrl+g"}
    app = FaltuiApp(make_settings(tmp_path, keymap=keymap))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        jobs = next(section for section in screen.sections if section.title == "Jobs")
        rows = {row.binding_id: row for row in jobs.rows}
        assert set(rows) == JOB_LIST_IDS
        assert rows["jobs.mark"].keys == ["m"]
        assert rows["jobs.search"].keys == ["^g"]
        await pilot.press("escape")
        table = app.main.job_table
        table.upsert(jobs_in_every_state())
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.focused, JobList)
        await pilot.press("g", "space")
        assert table.marked_ids == []  # the old key no longer marks
        await pilot.press("m")
        assert table.marked_ids == [table.shown_ids[0]]
        await pilot.press("ctrl+g", *"cat")
        assert isinstance(app.focused, JobSearch)
        assert table.shown_ids == ["j-running"]


async def test_slash_in_the_jobs_pane_searches_the_jobs(tmp_path: Path) -> None:
    from job_samples import jobs_in_every_state
    from textual import events

    from faltui.tui.widgets.job_list import JobList
    from faltui.tui.widgets.job_table import JobSearch

    app = FaltuiApp(make_settings(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.main.job_table
        table.upsert(jobs_in_every_state())
        await pilot.press("f4")
        assert isinstance(app.focused, JobList)
        for char in "/astro":  # typed fast, as a terminal delivers a burst
            app.post_message(events.Key("slash" if char == "/" else char, char))
        await pilot.pause()
        assert isinstance(app.focused, JobSearch)
        assert table.shown_ids == ["j-running"]
        assert app.main.browser.query_one("#browser-search", Input).value == ""  # not models
        await pilot.press("escape", "escape")  # clear the search, then back to the models
        await pilot.press("slash")  # elsewhere / is the model search
        assert app.focused is not None and app.focused.id == "browser-search"
