"""Sweeps in the app against the emulator: the dialog, the budget, the grid filling in live."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Input, Static, TextArea
from waits import until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.screens.sweep import SweepScreen
from faltui.tui.screens.sweep_grid import GridCell, SweepGridScreen
from faltui.tui.widgets.param_form import ParamForm
from faltui.tui.widgets.results import ResultsPane

DEV, SCHNELL = "fal-ai/flux/dev", "fal-ai/flux/schnell"


@pytest.fixture(autouse=True)
def no_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


async def choose(app: FaltuiApp, endpoint_id: str, prompt: str) -> ParamForm:
    model = next(m for m in app.services.catalog.local_models() if m.endpoint_id == endpoint_id)
    app.main.choose_model(model)
    await app.workers.wait_for_complete()
    form = app.query_one("#form", ParamForm)
    await until(lambda: form.endpoint_id == endpoint_id and bool(form.editors()))
    await form.settled()
    editor = form.editor("prompt")
    assert editor is not None
    editor.set_value(prompt)
    return form


def text_of(screen: SweepScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_dialog(app: FaltuiApp, pilot, spec: str, models: str) -> SweepScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f6")
    await until(lambda: isinstance(app.screen, SweepScreen))
    screen = app.screen
    assert isinstance(screen, SweepScreen)
    screen.query_one("#sweep-spec", TextArea).text = spec
    screen.query_one("#sweep-models", Input).value = models
    await until(lambda: screen._outcome_for == screen._inputs(), what="the plan")
    await pilot.pause()
    return screen


async def test_a_3x2_sweep_across_two_models_fills_the_grid(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(app, DEV, "a red fox in the snow")
        dialog = await open_dialog(app, pilot, "seed=1..3\nguidance_scale=2,4", f"{DEV}, {SCHNELL}")
        summary = text_of(dialog, "#sweep-summary")
        assert "seed 3 values × guidance_scale 2 values × 2 models = 12 jobs" in summary
        assert "estimate: ≈0.3 USD for 12 jobs" in summary
        # the form's 28 steps are flux/dev's default: schnell runs with its own
        assert "num_inference_steps: its default 4" in summary
        assert text_of(dialog, "#sweep-problems") == ""
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, SweepGridScreen))
        grid_screen = app.screen
        assert isinstance(grid_screen, SweepGridScreen)

        def filled() -> bool:
            grid = grid_screen.grid
            return (
                grid is not None
                and grid.finished == 12
                and all("✓ done" in cell.caption for cell in grid_screen.query(GridCell))
            )

        await until(filled, what="the grid filled")
        grid = grid_screen.grid
        assert grid is not None
        assert grid.rows.name == "seed" and grid.rows.values == ("1", "2", "3")
        assert [grid.column_label(c) for c in grid.columns] == [
            "flux/dev · 2", "flux/dev · 4", "flux/schnell · 2", "flux/schnell · 4",
        ]  # fmt: skip
        head = str(grid_screen.query_one("#grid-head", Static).render())
        assert "seed × model · guidance_scale · 12 of 12 finished" in head
        sent = list(emulator.jobs.values())
        assert len(sent) == 12
        assert {job.headers["x-fal-queue-priority"] for job in sent} == {"low"}
        schnell = [job for job in sent if job.endpoint_id == SCHNELL]
        assert all("num_inference_steps" not in job.input for job in schnell)  # its default
        assert {j.input["num_inference_steps"] for j in sent if j.endpoint_id == DEV} == {28}
        assert {(job.input["seed"], job.input["guidance_scale"]) for job in schnell} == {
            (s, g) for s in (1, 2, 3) for g in (2, 4)
        }
        # move to seed 2 × flux/schnell · 4 and open its job
        await pilot.press("down", "right", "right", "right")
        job = grid_screen.highlighted_job
        assert job is not None and job.endpoint_id == SCHNELL
        assert (job.input["seed"], job.input["guidance_scale"]) == (2, 4)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        assert app.screen.job.id == job.id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(lambda: app.screen is grid_screen)
        await pilot.press("escape")
        await until(lambda: app.screen is app.main)


async def test_a_value_a_field_cannot_take_is_named_and_nothing_is_sent(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(app, DEV, "a red fox")
        dialog = await open_dialog(app, pilot, "guidance_scale=2,50\nseed=x..3", DEV)
        problems = text_of(dialog, "#sweep-problems")
        assert "seed: the start of the range" in problems
        dialog.query_one("#sweep-spec", TextArea).text = "guidance_scale=2,50"
        await until(lambda: dialog._outcome_for == dialog._inputs())
        await pilot.pause()
        problems = text_of(dialog, "#sweep-problems")
        assert "guidance_scale (fal-ai/flux/dev): must be ≤ 20, got 50" in problems
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and not emulator.jobs


async def test_a_sweep_passing_the_budget_asks_again_before_sending(
    emu_settings: Settings, emulator: Emulator
) -> None:
    settings = dataclasses.replace(emu_settings, raw={"budget": {"per_day": 0.05}})
    app = FaltuiApp(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(app, DEV, "a red fox")
        dialog = await open_dialog(app, pilot, "seed=1..4", DEV)
        summary = text_of(dialog, "#sweep-summary")
        assert "budget today: ≈0.1 USD is 200% of 0.05 USD" in summary
        assert "would pass today's budget" in summary
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and not emulator.jobs
        assert "ctrl+s again sends it anyway" in text_of(dialog, "#sweep-summary")
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, SweepGridScreen))
        await app.workers.wait_for_complete()
        await until(lambda: len(emulator.jobs) == 4)


async def test_the_grid_is_rebuilt_from_the_journal_after_a_restart(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(app, DEV, "a red fox")
        await open_dialog(app, pilot, "seed=1,2\nguidance_scale=3,5", DEV)
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, SweepGridScreen))
        await until(
            lambda: (
                all(j.final for j in app.services.jobs.jobs())
                and len(app.services.jobs.jobs()) == 4
            )
        )
        sweep_id = app.screen.sweep_id  # type: ignore[attr-defined]
    again = FaltuiApp(emu_settings)
    async with again.run_test(size=(160, 48)) as pilot:
        await until(lambda: len(again.services.jobs.jobs()) == 4, what="history loaded")
        again.main.show_highlighted_sweep()
        await until(lambda: isinstance(again.screen, SweepGridScreen))
        screen = again.screen
        assert isinstance(screen, SweepGridScreen) and screen.sweep_id == sweep_id
        await until(lambda: screen.grid is not None and screen.grid.finished == 4)
        grid = screen.grid
        assert grid is not None
        assert grid.rows.values == ("1", "2")
        assert [grid.column_label(c) for c in grid.columns] == ["3", "5"]
        cell = grid.job_at("2", ("5",))
        assert cell is not None and cell.state is JobState.done
        assert (cell.input["seed"], cell.input["guidance_scale"]) == (2, 5)


async def test_help_lists_the_sweep_key_and_its_screens(emu_settings: Settings) -> None:
    from faltui.tui.screens.help import HelpScreen

    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen))
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        rows = {row.binding_id: row for section in screen.sections for row in section.rows}
        assert rows["sweep"].keys == ["f6"]
        titles = [section.title for section in screen.sections]
        assert "Sweep dialog (f6)" in titles and "Sweep grid" in titles
        assert rows["sweep_grid.open"].keys == ["⏎"]


async def test_x_in_the_grid_sends_no_more_of_a_capped_sweep(
    emu_settings: Settings, emulator: Emulator
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await choose(app, DEV, "a red fox")
        dialog = await open_dialog(app, pilot, "seed=1..4", DEV)
        dialog.query_one("#sweep-cap", Input).value = "1"
        await until(lambda: dialog._outcome_for == dialog._inputs())
        emulator.time_scale = 5.0  # the first job stays in flight while we look
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, SweepGridScreen))
        screen = app.screen
        assert isinstance(screen, SweepGridScreen)
        await until(lambda: len(emulator.jobs) == 1)
        await pilot.press("x")
        await until(
            lambda: not [w for w in app.workers if w.group == "sweep" and not w.is_finished],
            what="the sweep stopped",
        )
        assert len(emulator.jobs) == 1  # held back by the cap, then stopped
        cells = [c.caption for c in screen.query(GridCell)]
        assert sum("waiting" in text for text in cells) == 3
        await app.services.jobs.cancel(app.services.jobs.jobs()[0].id)


def test_schema_text_in_the_dialog_is_made_safe() -> None:
    from faltui.core.schema import EndpointSchema, Field
    from faltui.tui.screens.sweep import field_hint

    hostile = Field(
        "style\x1b[31m", ("style\x1b[31m",), kind="enum", enum=["[b]bold[/b]", "a\u202eb"]
    )
    schema = EndpointSchema("x/y", [hostile], [], {}, {}, {})
    hint = field_hint(schema)
    assert "\x1b" not in hint and "\u202e" not in hint
    assert "[b]bold[/b]" in hint  # shown as text (the dialog wraps it in Text), not markup
