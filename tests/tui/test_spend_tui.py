"""Spend in the TUI, against the emulator: the billed cost in the job row and the detail
screen, today's and the session's spend in the status line, and a budget that stops a ×N
submit until it is confirmed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, Static
from waits import until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.core.pricing import get_prices
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.confirm import ConfirmScreen
from faltui.tui.screens.count import CountScreen
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.model_browser import ModelBrowser
from faltui.tui.widgets.results import ResultsPane
from faltui.tui.widgets.status_bar import StatusBar

FLUX = "fal-ai/flux/dev"


@pytest.fixture(autouse=True)
def no_previews(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


async def _price(settings: Settings) -> float:
    (price,) = await get_prices(None, settings, [FLUX])
    return price.unit_price


async def _choose_flux(pilot, app: FaltuiApp) -> None:
    await pilot.press("slash", *"flux dev")
    browser = app.query_one(ModelBrowser)
    await until(lambda: browser.highlighted_model is not None)
    assert browser.highlighted_model.endpoint_id == FLUX
    await pilot.press("enter")
    await until(lambda: app.main.current_schema is not None)
    await app.main.form.settled()


async def test_a_budget_stops_submit_many_until_confirmed(
    emu_settings: Settings, emulator: Emulator
) -> None:
    each = await _price(emu_settings)
    settings = replace(emu_settings, raw={"budget": {"per_session": 3 * each}})
    app = FaltuiApp(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await _choose_flux(pilot, app)
        await pilot.press(*"budget test", "ctrl+b")
        await until(lambda: isinstance(app.screen, CountScreen))
        count = app.screen
        count.query_one(Input).value = "4"
        await pilot.pause()
        # The ×N dialog says what part of the budget the submit takes.
        shown = str(count.query_one("#count-cost", Static).render())
        assert "budget session: ≈" in shown and "133% of" in shown
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen), what="the budget question")
        question = app.screen.text
        assert f"would pass this session's budget of {3 * each:g} USD" in question
        assert f"≈{4 * each:g} USD for 4 jobs" in question and "133%" in question
        await pilot.press("enter")  # a second enter (meant for the count) is no yes
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and not emulator.jobs
        await pilot.press("n")
        await until(lambda: not isinstance(app.screen, ConfirmScreen))
        await app.workers.wait_for_complete()
        assert not emulator.jobs  # nothing was sent
        await pilot.press("ctrl+b")
        await until(lambda: isinstance(app.screen, CountScreen))
        app.screen.query_one(Input).value = "4"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: len(emulator.jobs) == 4, what="four jobs sent once confirmed")
        # Within the budget now? No: a single submit asks again (4 of 3 spent already).
        await until(lambda: all(j.final for j in app.services.jobs.jobs()))
        app.main.flush_jobs()
        status = app.query_one(StatusBar)
        await until(lambda: f"session {4 * each:g} USD/{3 * each:g} USD" in status.plain)
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert len(emulator.jobs) == 4


async def test_billed_cost_in_the_row_detail_and_status_line(
    emu_settings: Settings, emulator: Emulator
) -> None:
    each = await _price(emu_settings)
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        job = await app.services.jobs.submit(FLUX, {"prompt": "x", "num_images": 2})
        await until(lambda: job.final)
        assert job.state is JobState.done and job.billable_units == 2
        table = app.query_one(JobTable)
        await until(lambda: job.id in table.shown_ids)
        cell = f"${2 * each:.3f}".rstrip("0").rstrip(".")
        await until(lambda: table.rows.texts[job.id].cost == cell, what="the billed cost cell")
        rendered = "\n".join(
            strip.text for strip in (table.job_list.render_line(y) for y in range(3))
        )
        assert "Cost" in rendered and cell in rendered
        status = app.query_one(StatusBar)
        await until(lambda: f"spent today {2 * each:g} USD" in status.plain)
        assert f"session {2 * each:g} USD" in status.plain
        table.select_job(job.id)
        table.job_list.focus()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, JobDetailScreen))
        detail = str(app.screen.query_one("#detail-text", Static).render())
        assert f"cost  {2 * each:g} USD" in detail
        assert f"estimate  ≈{2 * each:.4g} USD" in detail and "billed units  2" in detail


def test_the_cost_cell_never_invents_a_number() -> None:
    from faltui.core.pricing import Price
    from faltui.core.spend import CostKind, JobCost
    from faltui.tui.job_cells import cost_cell

    image = Price(FLUX, 0.025, "images", "USD")
    assert cost_cell(JobCost(CostKind.billed, 0.05, 0.05, 2, image)) == "$0.05"
    assert cost_cell(JobCost(CostKind.pending, None, 0.1, None, image)) == "≈$0.1"
    assert cost_cell(JobCost(CostKind.price_varies, None, None, 3, image)) == "varies"
    assert cost_cell(JobCost(CostKind.not_billed)) == "—"
    assert cost_cell(JobCost(CostKind.not_sent, None, 0.1, None, image)) == "—"
    assert cost_cell(JobCost(CostKind.unknown)) == "?"
    assert cost_cell(JobCost(CostKind.no_price, None, None, 2, None)) == "?"
    assert cost_cell(JobCost(CostKind.pending)) == ""
    euro = Price(FLUX, 0.5, "images", "EUR")
    assert cost_cell(JobCost(CostKind.billed, 1.5, None, 3, euro)) == "1.5 EUR"
