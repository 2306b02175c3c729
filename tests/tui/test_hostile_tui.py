"""The hostile corpus through every pane, screen and dialog of the running app.

The app runs against the emulator with a recording terminal driver (``terminal.py``): every
frame Textual writes is kept as the bytes a terminal would get. For each surface the tests
assert that the app did not crash, that no markup action ran (``[@click=app.quit]`` does not
quit, ``[@click=app.screenshot(…)]`` writes no file), that the literal text is what the
screen shows, and that nothing but Textual's own escape sequences reached the terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import ALL_IN_ONE, BIDI, ESCAPES, HOSTILE_MODEL, MARKUP
from hostile_tui import (
    CATEGORY,
    MESH_EXTENSION,
    hostile_jobs,
    hostile_media_job,
    hostile_mesh,
    hostile_model_openapi,
    journal_hostile_jobs,
    write_hostile_theme,
)
from terminal import assert_output_safe, run_recorded, screen_of
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Collapsible, Select
from textual.widgets._select import SelectOverlay
from waits import search_palette, until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.format import one_line
from faltui.tui.job_cells import row_texts
from faltui.tui.screens.help import HelpScreen
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.screens.quit import QuitScreen
from faltui.tui.widgets.contact_sheet import ContactSheet
from faltui.tui.widgets.job_table import JobSearch
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.results import ResultsPane

#: How the corpus's CSI clear looks once made visible (never obeyed).
SHOWN_CLEAR = "before␛[2J␛[Hafter"


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No inline previews; the system clipboard is a list (no OSC 52 to the terminal)."""
    monkeypatch.setattr(ResultsPane, "preview_images", False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    copied: list[str] = []
    import pyperclip

    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """The folder a parsed ``[@click=app.screenshot(…)]`` would write into."""
    folder = tmp_path / "shots"
    folder.mkdir()
    return folder


@pytest.fixture
def hostile_emulator(emulator: Emulator, shots: Path) -> Emulator:
    """The test's emulator serving the hostile model (reset() forgets it afterwards)."""
    emulator.catalog.add(HOSTILE_MODEL, hostile_model_openapi(shots), tags=[ALL_IN_ONE])
    return emulator


def visible(app: FaltuiApp) -> str:
    """The terminal screen as text."""
    return screen_of(app).text


async def click_text(
    pilot: Pilot[None], app: FaltuiApp, needle: str, within: Widget | None = None
) -> bool:
    """Click the first cell where ``needle`` shows on the terminal (inside ``within`` when
    given); False if it is not shown."""
    found = screen_of(app).find(needle, within.region if within is not None else None)
    if found is None:
        return False
    await pilot.click(offset=found)
    await pilot.pause()
    return True


def assert_unharmed(app: FaltuiApp, shots: Path, where: str) -> None:
    """Still running, no screenshot written, nothing unsafe on the terminal."""
    assert app.is_running, f"{where}: the app stopped"
    assert not list(shots.iterdir()), f"{where}: a markup action wrote {list(shots.iterdir())}"
    assert_output_safe(app, where)


async def test_hostile_model_in_the_browser_palette_and_form(
    hostile_emulator: Emulator, emu_settings: Settings, shots: Path
) -> None:
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        browser = app.query_one(ModelBrowser)
        await until(lambda: any(m.endpoint_id == HOSTILE_MODEL for m in browser.models))
        await pilot.press("slash", *"hostile")
        await until(
            lambda: (
                browser.highlighted_model is not None
                and browser.highlighted_model.endpoint_id == HOSTILE_MODEL
            )
        )
        await pilot.pause()
        shown = visible(app)
        # The list row and the description: markup and escapes shown literally.
        assert "Hostile [@click=app.quit]quit the" in shown
        assert "␛[2J␛[Hafter" in shown
        assert "[/docs]" in shown  # the category
        assert "invoice\\u202egnp.exe" in shown
        assert_unharmed(app, shots, "model browser")
        for target in ("quit the app", "SHOT", "[/docs]"):
            await click_text(pilot, app, target)
            assert_unharmed(app, shots, f"browser click on {target!r}")

        # The category filter: a hostile category is an option, shown literally.
        select = browser.query_one("#browser-category", Select)
        select.value = CATEGORY
        await pilot.pause()
        assert one_line(CATEGORY)[:23] == "zz a lighthouse [/docs]"
        assert "zz a lighthouse [/docs]" in visible(app)  # the select shows the choice
        await pilot.click(select)  # open the overlay: every category option is drawn
        await pilot.pause()
        assert_unharmed(app, shots, "category options")
        await pilot.press("escape")
        select.clear()
        await pilot.pause()

        # The palette: hits and help lines are literal.
        await pilot.press("ctrl+p")
        await until(lambda: isinstance(app.screen, CommandPalette))
        await search_palette(pilot, "hostile", "Hostile")
        shown = visible(app)
        assert "[@click=app.quit]quit the" in shown
        assert_unharmed(app, shots, "palette")
        await pilot.press("enter")  # chooses the model (it must not quit)
        await until(lambda: app.main.current_schema is not None)
        assert app.main.current_model is not None
        assert app.main.current_model.endpoint_id == HOSTILE_MODEL
        await app.main.form.settled()
        await pilot.pause()

        # The form: title, field names, help lines, placeholder, enum options.
        shown = visible(app)
        assert "2 Hostile [@click=app.quit]quit the" in shown  # the pane's title
        assert "e.g. a lighthouse [/docs] at dusk" in shown  # the example, as placeholder
        # The focused prompt's description is shown in full (2,000 characters): scroll down.
        # The first click may take the focus from it (its description shrinks to two lines,
        # the section moves up under the pointer): then the section is clicked where it is now.
        advanced = app.main.form.query_one(Collapsible)
        advanced.scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        assert await click_text(pilot, app, "Advanced (")  # the hostile field is optional
        if advanced.collapsed:
            assert await click_text(pilot, app, "Advanced (")
        await until(lambda: "evil" + SHOWN_CLEAR in visible(app), what="the advanced fields")
        shown = visible(app)
        assert "copy ␛]52;c;ZXZpbCBjb21tYW5k␇ done" in shown  # its help line
        assert "c1\\u009b2Jclearinvoice\\u202egnp.exe" in shown  # its default (an enum)
        assert_unharmed(app, shots, "form")
        for target in ("quit the app", "CLICK", "[/docs]", "c1\\u009b2J"):
            await click_text(pilot, app, target)
            assert_unharmed(app, shots, f"form click on {target!r}")

        # A tooltip (the field's description) on hover.
        evil = next(e for e in app.main.form.editors() if e.field.name.startswith("evil"))
        await pilot.hover(evil.query_one(".field-control"))
        await until(lambda: "ZXZpbCBjb21tYW5k" in visible(app), what="the tooltip shown")
        assert_unharmed(app, shots, "tooltip")

        # Submit: the hostile enum value and example go out exactly as the schema has them.
        for _ in range(3):  # close the option list a click opened, then leave the tooltip
            if not isinstance(app.focused, SelectOverlay):
                break
            await pilot.press("escape")
            await pilot.pause()
        prompt = next(e for e in app.main.form.editors() if e.field.name == "prompt")
        prompt.query_one(".field-control").focus()
        await pilot.pause()
        await pilot.press(*"a fox", "ctrl+s")
        await until(lambda: len(hostile_emulator.jobs) == 1)
        sent = next(iter(hostile_emulator.jobs.values())).input
        evil_name = next(k for k in sent if k.startswith("evil"))
        assert evil_name == "evil" + ESCAPES["csi_clear"]
        assert sent[evil_name] == ESCAPES["c1_csi"] + BIDI["rlo"]
        await until(lambda: any(j.final for j in app.services.jobs.jobs()))
        app.main.flush_jobs()
        await pilot.pause()
        assert_unharmed(app, shots, "after the submit")


async def test_hostile_jobs_in_the_list_results_detail_help_and_notices(
    emulator: Emulator, emu_settings: Settings, shots: Path, quiet: list[str]
) -> None:
    jobs = hostile_jobs(emulator.base_url)
    journal_hostile_jobs(emu_settings, jobs)
    write_hostile_theme(emu_settings)
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        manager = app.services.jobs
        await until(lambda: len(manager.jobs()) == 3, what="the journal's jobs listed")
        # The unknown job is looked up at start: fal has no such request, it stays unknown.
        await until(lambda: not app.main.reconciling and manager.get("hostile-unknown") is not None)
        await pilot.pause()
        app.main.flush_jobs()
        await pilot.press("f4")  # the jobs
        await pilot.pause()
        shown = visible(app)
        assert "Theme skipped" in shown or any("Theme skipped" in p for p in app.problems)
        assert_unharmed(app, shots, "job list")

        for job_id in ("hostile-done", "hostile-failed", "hostile-unknown"):
            assert app.main.job_table.select_job(job_id)
            await pilot.pause()
            app.main.results.show(manager.get(job_id))
            await pilot.pause()
            assert_unharmed(app, shots, f"results of {job_id}")
            for target in ("quit the app", "[/nope]", "[/docs]"):
                await click_text(pilot, app, target)
                assert_unharmed(app, shots, f"click on {target!r} ({job_id})")
            await pilot.press("f4", "enter")  # f4: the jobs (a bare 3 is typed in a text field)
            await until(lambda: isinstance(app.screen, JobDetailScreen), what="job detail")
            await pilot.pause()
            detail = visible(app)
            assert "quit the app" in detail
            assert_unharmed(app, shots, f"detail of {job_id}")
            await click_text(pilot, app, "quit the app")
            assert_unharmed(app, shots, f"detail click ({job_id})")
            await pilot.press("c")  # copy the request id: a notification quotes it
            await pilot.pause()
            assert_unharmed(app, shots, f"copy notice ({job_id})")
            await pilot.press("escape")
            await until(lambda: not isinstance(app.screen, JobDetailScreen))

        done = manager.get("hostile-done")
        assert done is not None and done.state is JobState.done
        assert quiet and quiet[0] == done.request_id  # copied exactly, shown sanitised
        app.main.job_table.select_job("hostile-done")
        await pilot.pause()
        await pilot.press("f5")  # the results
        await pilot.pause()
        shown = visible(app)
        assert "files/evil" + SHOWN_CLEAR + "[b]x[/b]" in shown  # the URL, literally
        await pilot.press("v")  # the raw result JSON: escaped, never raw
        await pilot.pause()
        assert "\\u001b[2J" in visible(app)
        assert_unharmed(app, shots, "raw JSON")

        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        shown = visible(app)
        assert "Problems this session" in shown
        # The theme file's name: markup, escape and bidi override all shown, none obeyed.
        assert "[@click=app.quit]quit the appinvoice\\u202egnp.exe.toml" in shown
        assert_unharmed(app, shots, "help")
        await click_text(pilot, app, "quit the app")
        assert_unharmed(app, shots, "help click")
        await pilot.press("escape")
        await pilot.pause()

        # A submit fal refuses with a hostile message: the notice quotes it literally.
        emulator.chaos.fail_next("submit", 400, body={"detail": ALL_IN_ONE})
        await app.services.jobs.submit("fal-ai/flux/dev", {"prompt": MARKUP["click_quit"]})
        app.notify(ALL_IN_ONE, title=MARKUP["closing_tag"] + ESCAPES["osc0_title"])
        await pilot.pause()
        await until(lambda: "loud[/bold]" in visible(app), what="the notice shown")
        assert_unharmed(app, shots, "notifications")


async def test_hostile_jobs_in_the_job_list_search_contact_sheet_media_facts_and_quit(
    emulator: Emulator, emu_settings: Settings, shots: Path
) -> None:
    emulator.files.put("out/hostile/mesh.glb", hostile_mesh(), "model/gltf-binary")
    jobs = [*hostile_jobs(emulator.base_url), hostile_media_job(emulator.base_url)]
    journal_hostile_jobs(emu_settings, jobs)
    app = FaltuiApp(emu_settings)
    async with run_recorded(app) as pilot:
        manager = app.services.jobs
        await until(lambda: len(manager.jobs()) == 4, what="the journal's jobs listed")
        await until(lambda: not app.main.reconciling, what="the unknown job looked up")
        app.main.flush_jobs()
        await pilot.press("f4")  # the job list
        await pilot.pause()
        table = app.main.job_table

        # The rows: model, prompt, state and cost columns, every string literal (at 160
        # columns the cost column takes the last log's place).
        shown = visible(app)
        assert "evil/[bold]…" in shown  # the model column
        assert "a lighthouse [/docs] at dusk…" in shown  # the prompt column
        assert "[@click=app.quit]quit the ap…" in shown
        # The last log, where a wider list shows it: a lone surrogate as an escape.
        logs = [row_texts(job, "").log for job in manager.jobs()]
        assert any(log.startswith("broken \\udc9b") for log in logs), logs
        assert_unharmed(app, shots, "job list rows")
        for target in ("quit the app", "[/docs]", "loud[/bold]"):
            assert await click_text(pilot, app, target), target
            assert_unharmed(app, shots, f"job list click on {target!r}")

        # The search box: a pasted request id (escapes, bidi, C1 and all) is drawn with
        # visible stand-ins and still finds its job, which the rows show made literal.
        await pilot.press("f4", "slash")
        search = table.query_one(JobSearch)
        await until(lambda: app.focused is search, what="the job search focused")
        done = manager.get("hostile-done")
        assert done is not None and done.request_id is not None
        search.post_message(events.Paste(done.request_id))
        await until(lambda: len(table.rows) == 1, what="the pasted request id matched")
        assert search.value == done.request_id  # what was pasted is what is searched for
        assert table.rows.cursor_id == "hostile-done"
        shown = visible(app)
        assert "req-copy ␛]52;c;ZXZp" in shown  # the box and the bar, never raw
        assert_unharmed(app, shots, "job search")
        search.post_message(events.Paste(ESCAPES["csi_clear"] + MARKUP["click_quit"]))
        await until(lambda: len(table.rows) == 0, what="no job matches")
        assert "No jobs match" in visible(app)
        assert_unharmed(app, shots, "job search, no match")
        await pilot.press("escape")  # clears the search
        await until(lambda: len(table.rows) == 4, what="the search cleared")

        # The contact sheet of the media job: two images, a GLB, a gone audio file, chunks.
        assert table.select_job("hostile-media")
        await pilot.pause()
        app.main.show_result("hostile-media")
        await pilot.press("f5")
        results = app.main.results
        sheet = results.query_one(ContactSheet)
        await until(lambda: sheet.display and sheet.has_focus, what="the contact sheet")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert_unharmed(app, shots, "contact sheet")
        await click_text(pilot, app, "quit the app", results)
        assert_unharmed(app, shots, "contact sheet click")
        kinds = [item.kind for item in results.items]
        assert kinds[:4] == ["image", "image", "mesh", "audio"] and "timed" in kinds
        for index, kind in enumerate(kinds):
            sheet.focus()
            sheet.highlight(index)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = visible(app)
            if kind == "timed":
                assert "[bold]loud[/bold]" in shown  # the speaker
            assert_unharmed(app, shots, f"contact sheet item {index} ({kind})")
            for target in ("quit the app", "[/docs]", "loud[/bold]"):
                await click_text(pilot, app, target, results.query_one("#results-body"))
                assert_unharmed(app, shots, f"click on {target!r} (item {index})")

        # Maximized, on the GLB: its media facts (read from the file's JSON) literal.
        sheet.focus()
        sheet.highlight(kinds.index("mesh"))
        await pilot.press("m")
        await until(lambda: results.is_maximized, what="the results maximized")
        await app.workers.wait_for_complete()
        await until(lambda: "made by" in visible(app), what="the mesh facts shown")
        shown = visible(app)
        assert "made by  a lighthouse [/docs] at dusk" in shown
        assert "compressed  " + one_line(MESH_EXTENSION)[:40] in shown
        assert_unharmed(app, shots, "maximized results")
        await click_text(pilot, app, "[/docs]")
        assert_unharmed(app, shots, "maximized click")
        await pilot.press("m")
        await until(lambda: not results.is_maximized, what="the results restored")

        # The quit dialog over a hostile job still running: nothing runs, escape stays.
        emulator.store.time_scale = 1.0
        emulator.script_next_jobs("slow")
        prompt = ESCAPES["csi_clear"] + MARKUP["click_quit"] + BIDI["rlo"]  # sendable as JSON
        running = await manager.submit("fal-ai/flux/dev", {"prompt": prompt})
        await until(lambda: running.state in (JobState.queued, JobState.running))
        app.main.flush_jobs()
        await pilot.pause()
        await pilot.press("ctrl+q")
        await until(lambda: isinstance(app.screen, QuitScreen), what="the quit dialog")
        await pilot.pause()
        assert "1 job is still running" in visible(app)
        assert_unharmed(app, shots, "quit dialog")
        await click_text(pilot, app, "quit the app")
        assert_unharmed(app, shots, "quit dialog click")
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, QuitScreen))
        assert_unharmed(app, shots, "after the quit dialog")
        await manager.cancel(running.id)
