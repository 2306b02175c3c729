"""The compare screen in the real app, against the emulator over loopback HTTP: marked jobs
side by side, differing inputs highlighted and equal ones folded, costs, pick → fork, and the
80×24 case."""

from __future__ import annotations

import pytest
from textual.widgets import Static
from textual_image.widget import HalfcellImage
from waits import search_palette, until

from faltui.core.config import Settings
from faltui.core.job import Job
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.compare import CompareScreen
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.param_form import ParamForm
from faltui.tui.widgets.results import ResultsPane

FLUX = "fal-ai/flux/dev"
BASE = {"prompt": "a lighthouse at dusk", "image_size": {"width": 64, "height": 48}}
#: (seed, guidance_scale) of the three jobs: seeds all differ, guidance differs in one.
RUNS = ((11, 3.5), (12, 3.5), (13, 6.0))


@pytest.fixture(autouse=True)
def no_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)


async def run_three(app: FaltuiApp) -> list[Job]:
    """Three finished flux dev jobs differing in seed and guidance, shown in the jobs list."""
    manager = app.services.jobs
    jobs = [
        await manager.submit(FLUX, {**BASE, "seed": seed, "guidance_scale": guidance})
        for seed, guidance in RUNS
    ]
    await until(lambda: all(job.final for job in jobs), what="the three jobs finish")
    table = app.query_one(JobTable)
    await until(lambda: table.shown_ids == [job.id for job in jobs], what="rows shown")
    return jobs


def cell(screen: CompareScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def opened(app: FaltuiApp) -> CompareScreen:
    """The compare screen, once it is up and filled in."""

    def ready() -> bool:
        screen = app.screen
        return (
            isinstance(screen, CompareScreen)
            and screen.is_mounted
            and bool(screen.query("#compare-title"))
            and cell(screen, "#compare-title").startswith("Compare")
        )

    await until(ready, what="the compare screen")
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def gutters(screen: CompareScreen, selector: str) -> list[str]:
    rows = screen.query(selector)
    return [str(row.query_one(".compare-gutter", Static).render()) for row in rows]


async def test_marked_jobs_compare_diff_costs_and_pick_forks(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        jobs = await run_three(app)
        table = app.query_one(JobTable)
        table.job_list.focus()
        await pilot.press("g", "space", "space", "space")
        assert table.marked_ids == [job.id for job in jobs]
        await pilot.press("C")
        screen = await opened(app)
        assert screen.shown == 3  # all three fit at 160 columns
        # Differing fields, each on a highlighted row; the equal ones folded into one line.
        assert gutters(screen, ".compare-row.-differs") == ["≠ seed", "≠ guidance_scale"]
        assert [cell(screen, f"#diff0-{n}") for n in range(3)] == ["11", "12", "13"]
        assert [cell(screen, f"#diff1-{n}") for n in range(3)] == ["3.5", "3.5", "6.0"]
        assert all(c.has_class("-differs") for c in screen.query("#diff1-0, #diff1-2"))
        equal = screen.query_one("#compare-equal")
        assert not equal.display
        assert cell(screen, "#compare-fold") == "2 equal fields folded (press = to show)"
        # Costs: billed = billable units × unit price, beside the estimate, once prices came.
        price = None

        def priced() -> bool:
            nonlocal price
            price = app.services.prices.get(FLUX)
            return price is not None and cell(screen, "#billed-2") != "no price known"

        await until(priced, what="prices fetched and costs shown")
        assert price is not None
        each = f"{price.unit_price:g} USD"
        assert [cell(screen, f"#billed-{n}") for n in range(3)] == [each] * 3
        assert [cell(screen, f"#estimate-{n}") for n in range(3)] == [f"≈{each}"] * 3
        assert "1 image (64×48)" in cell(screen, "#outtext-0")
        assert cell(screen, "#total-0") not in ("", "—")
        assert " · fal " in cell(screen, "#run-0")  # fal's inference_time, from the status
        title = cell(screen, "#compare-title")
        assert f"billed {price.unit_price * 3:g} USD" in title
        await pilot.press("equals_sign")
        await pilot.pause()
        assert equal.display
        assert gutters(screen, "#compare-equal .compare-row") == ["= prompt", "= image_size"]
        assert cell(screen, "#compare-fold").startswith("2 equal fields (same in every job")
        # Choose the third column and pick it: its inputs land in the form.
        await pilot.press("right", "right")
        assert screen.selected == 2 and screen.query_one("#head-2").has_class("-selected")
        assert cell(screen, "#head-2").startswith("▶ #3")
        await pilot.press("f")
        await until(lambda: not isinstance(app.screen, CompareScreen), what="screen closed")
        await until(lambda: app.main.current_schema is not None, what="the schema loaded")
        form = app.query_one(ParamForm)
        await until(lambda: form.values().get("seed") == 13, what="the fork in the form")
        values = form.values()
        assert values["guidance_scale"] == 6.0 and values["prompt"] == BASE["prompt"]


async def test_fewer_than_two_marked_says_so_and_the_palette_opens_it(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    notes: list[str] = []
    notify = app.notify

    def remember(message: str, **kwargs: object) -> None:
        notes.append(message)
        notify(message, **kwargs)  # type: ignore[arg-type]

    app.notify = remember  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        jobs = await run_three(app)
        table = app.query_one(JobTable)
        table.job_list.focus()
        await pilot.press("C")
        await until(lambda: any("none marked" in n for n in notes), what="the no-marks note")
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("g", "space", "C")
        await until(lambda: any("(1 marked)" in n for n in notes), what="the one-mark note")
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("space")  # the second job
        assert table.marked_ids == [jobs[0].id, jobs[1].id]
        await pilot.press("ctrl+p")
        await search_palette(pilot, "compare marked", "Compare marked jobs")
        await pilot.press("enter")
        screen = await opened(app)
        assert [job.id for job in screen.jobs] == [jobs[0].id, jobs[1].id]
        assert gutters(screen, ".compare-row.-differs") == ["≠ seed"]  # guidance equal
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, CompareScreen), what="closed")
        assert app.main.current_schema is None  # escape forks nothing


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # textual-image uses Image.getdata
async def test_at_80x24_two_columns_show_and_the_view_follows_the_choice(
    emu_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", True)
    monkeypatch.setattr(ResultsPane, "image_widget", HalfcellImage)
    monkeypatch.delenv("FALTUI_NO_PREVIEW", raising=False)
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        jobs = await run_three(app)
        app.main.action_pane("jobs")
        table = app.query_one(JobTable)
        await until(lambda: app.focused is table.job_list, what="the jobs pane focused")
        await pilot.pause()  # the narrow layout's pane switch settles (it refocuses after)
        await until(lambda: app.focused is table.job_list, what="still the jobs pane")
        await pilot.press("a")  # mark every shown job
        assert table.marked_ids == [job.id for job in jobs]
        await pilot.press("C")
        screen = await opened(app)
        assert screen.shown == 2
        shown = [n for n in range(3) if screen.query_one(f"#head-{n}").display]
        assert shown == [0, 1]
        assert "1–2 of 3 ▶" in cell(screen, "#compare-title")
        # Each shown column previews its image (fetched from the emulator, decoded).
        await until(
            lambda: all(screen.query_one(f"#output-{n}").has_class("-preview") for n in (0, 1)),
            what="image previews",
        )
        await pilot.press("right", "right")
        shown = [n for n in range(3) if screen.query_one(f"#head-{n}").display]
        assert shown == [1, 2] and screen.selected == 2
        assert "◀ 2–3 of 3" in cell(screen, "#compare-title")
        await pilot.resize_terminal(160, 48)  # wider: every column shows
        await until(lambda: screen.shown == 3, what="three columns")
        assert all(screen.query_one(f"#head-{n}").display for n in range(3))
        assert "of 3" not in cell(screen, "#compare-title")
        await pilot.resize_terminal(80, 24)
        await until(lambda: screen.shown == 2, what="two columns again")
        assert [n for n in range(3) if screen.query_one(f"#head-{n}").display] == [1, 2]
        # Everything fits at 80×24 with the equal fields folded; unfolded, the costs under
        # them are a scroll away.
        body, billed = screen.body, screen.query_one("#billed-2")
        assert body.region.contains_region(billed.region)
        await pilot.press("equals_sign")
        await until(lambda: body.max_scroll_y > 0, what="more than fits")
        await pilot.press("pagedown")
        await pilot.pause()
        assert screen.body.scroll_y > 0
        assert screen.body.region.contains_region(billed.region)
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, CompareScreen), what="screen closed")
        form = app.query_one(ParamForm)
        await until(lambda: form.values().get("seed") == 13, what="the fork in the form")


async def test_help_lists_the_compare_keys(emu_settings: Settings) -> None:
    from faltui.tui.screens.help import HelpScreen

    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen), what="help")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        rows = {
            row.binding_id: (section.title, row.keys, row.description)
            for section in screen.sections
            for row in section.rows
        }
        assert rows["jobs.compare"][0] == "Jobs" and rows["jobs.compare"][1] == ["C"]
        pick = rows["compare.pick"]
        assert pick[0] == "Compare (C on marked jobs)" and pick[2] == "Pick this one → fork"
        assert pick[1] == ["f", "⏎"] and rows["compare.equal"][1] == ["="]
        assert rows["compare.previous"][1] == ["←", "h"] and rows["compare.next"][1] == ["→", "l"]
        assert rows["compare.close"][1] == ["esc"]


async def test_audio_facts_and_texts_side_by_side(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        manager = app.services.jobs
        speech = [
            await manager.submit("fal-ai/kokoro/american-english", {"prompt": text})
            for text in ("hello there", "good night")
        ]
        answers = [
            await manager.submit("openrouter/router", {"prompt": text, "model": "google/x"})
            for text in ("tell me a story", "tell me a joke")
        ]
        await until(lambda: all(job.final for job in speech + answers), what="jobs finish")
        # From inside the app's loop, as a key or the palette would.
        app.call_later(app.main.compare_jobs, [job.id for job in speech])
        screen = await opened(app)
        await until(
            lambda: all("duration  0.40 s" in cell(screen, f"#outtext-{n}") for n in (0, 1)),
            what="the audio facts of both columns",
        )
        assert "WAV · 16000 Hz · mono · 16-bit" in cell(screen, "#outtext-1")
        assert gutters(screen, ".compare-row.-differs") == ["≠ prompt"]
        assert [cell(screen, f"#diff0-{n}") for n in (0, 1)] == ["hello there", "good night"]
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, CompareScreen), what="closed")
        app.call_later(app.main.compare_jobs, [job.id for job in answers])
        screen = await opened(app)
        await until(lambda: "tell me a story" in cell(screen, "#outtext-0"), what="texts")
        left, right = cell(screen, "#outtext-0"), cell(screen, "#outtext-1")
        assert "You asked: tell me a story" in left and "You asked: tell me a joke" in right
        # An LLM is priced per 1000 tokens: a concrete unit, so a billed figure.
        await until(lambda: cell(screen, "#billed-0").endswith("USD"), what="billed cost")


async def test_a_running_job_fills_in_when_it_finishes() -> None:
    """The screen follows the (live, shared) job objects: a job still running shows as not
    billed yet, then its output, time and billed cost once it is done."""
    from job_samples import NOW, make_job
    from textual.app import App

    from faltui.core.job import JobState
    from faltui.core.pricing import Price

    done = make_job("a", "done", started=NOW - 50, finished=NOW - 40, billable_units=1.0)
    done.result = {"images": [{"url": "https://x/a.png", "width": 8, "height": 8}]}
    running = make_job("b", "running", started=NOW - 30)
    prices = {FLUX: Price(FLUX, 0.025, "image")}
    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = CompareScreen([done, running], prices=prices)
        await app.push_screen(screen)
        await pilot.pause()
        assert cell(screen, "#billed-1") == "not billed yet"
        assert cell(screen, "#estimate-1") == "≈0.025 USD"
        assert cell(screen, "#total-1") == "—"
        running.result = {"images": [{"url": "https://x/b.png", "width": 8, "height": 8}]}
        running.billable_units = 1.0
        running.finished_at = NOW - 20
        running.state = JobState.done
        await until(lambda: cell(screen, "#billed-1") == "0.025 USD", what="the refresh")
        assert cell(screen, "#total-1") == "39s"  # created 60 s ago, submitted 0.5 s later
        assert "1 image (8×8)" in cell(screen, "#outtext-1")
        assert "billed 0.05 USD" in cell(screen, "#compare-title")


async def test_text_from_jobs_is_shown_literally() -> None:
    """Endpoint ids, request ids, field names, values and outputs are data: markup shows as
    typed, control and bidi characters never reach the terminal."""
    from job_samples import NOW, make_job
    from textual.app import App

    hostile = "[bold red]boom[/] \x1b[2J\u202egnp.exe"
    jobs = []
    for n in (1, 2):
        job = make_job(f"h{n}", "done", started=NOW - 9, finished=NOW - 1)
        job.endpoint_id = "fal-ai/[b]evil[/b]"
        job.request_id = f"req-\x1b]52;c;QUFB\x07-{n}"
        job.input = {"[i]field[/i]": f"{hostile} {n}", "same": hostile}
        job.result = {"output": f"{hostile}\nline two {n}"}
        jobs.append(job)
    app: App[None] = App()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = CompareScreen(jobs, prices={})
        await app.push_screen(screen)
        await pilot.press("equals_sign")
        await pilot.pause()
        shown = [
            str(widget.render())
            for widget in screen.query(Static)
            if widget.display and widget.parent is not None and widget.parent.display
        ]
        everything = "\n".join(shown)
        assert "[i]field[/i]" in everything and "evil" in everything
        assert "[bold red]boom[/]" in everything
        assert "\x1b" not in everything and "\u202e" not in everything and "\x07" not in everything
        assert gutters(screen, ".compare-row.-differs") == ["≠ [i]field[/i]"]
        assert cell(screen, "#head-0").startswith("▶ #1 [b]evil[/b]")


async def test_more_marked_jobs_than_a_comparison_holds_says_so(emu_settings: Settings) -> None:
    from faltui.tui.screens.compare import MAX_JOBS

    app = FaltuiApp(emu_settings)
    notes: list[str] = []
    notify = app.notify

    def remember(message: str, **kwargs: object) -> None:
        notes.append(message)
        notify(message, **kwargs)  # type: ignore[arg-type]

    app.notify = remember  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)):
        payloads = [{**BASE, "seed": n} for n in range(MAX_JOBS + 2)]
        jobs = await app.services.jobs.submit_batch(FLUX, payloads)
        await until(lambda: all(job.final for job in jobs), what="the jobs finish")
        app.call_later(app.main.compare_jobs, [job.id for job in jobs])
        screen = await opened(app)
        assert [job.id for job in screen.jobs] == [job.id for job in jobs[:MAX_JOBS]]
        assert f"Comparing the first {MAX_JOBS} of the {MAX_JOBS + 2} marked jobs." in notes


async def test_jobs_of_two_models_say_so_first() -> None:
    from job_samples import NOW, make_job
    from textual.app import App

    dev = make_job("d", "done", started=NOW - 9, finished=NOW - 1)
    schnell = make_job("s", "done", started=NOW - 9, finished=NOW - 1)
    schnell.endpoint_id = "fal-ai/flux/schnell"
    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = CompareScreen([dev, schnell], prices={})
        await app.push_screen(screen)
        await pilot.pause()
        assert gutters(screen, ".compare-row.-differs") == ["≠ model"]  # inputs are equal
        assert [cell(screen, f"#model-{n}") for n in (0, 1)] == [FLUX, "fal-ai/flux/schnell"]
        assert cell(screen, "#estimate-1") == "no price known"
