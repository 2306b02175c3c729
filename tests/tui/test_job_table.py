"""JobTable in a small host app: in-place updates, filters, bindings, messages, elapsed ticks."""

from __future__ import annotations

from dataclasses import replace

from job_samples import NOW, jobs_in_every_state, make_job
from textual.app import App, ComposeResult
from textual.widgets import Static

from faltui.core.job import JobState
from faltui.tui.format import format_duration, prompt_snippet, state_label
from faltui.tui.job_cells import column_widths
from faltui.tui.themes import JOB_STATE_VARIABLES
from faltui.tui.widgets.job_list import JobList
from faltui.tui.widgets.job_table import JobTable


class Clock:
    """A settable clock."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Host(App[None]):
    """Mounts one JobTable and records the messages it posts."""

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or Clock()
        self.messages: list[tuple[str, object]] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(JOB_STATE_VARIABLES)

    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs", clock=self.clock)
        yield Static("other")

    def on_mount(self) -> None:
        self.query_one(JobList).focus()

    def on_job_table_highlighted(self, message: JobTable.Highlighted) -> None:
        self.messages.append(("highlighted", message.job_id))

    def on_job_table_cancel_requested(self, message: JobTable.CancelRequested) -> None:
        self.messages.append(("cancel", message.job_ids))

    def on_job_table_rerun_requested(self, message: JobTable.RerunRequested) -> None:
        self.messages.append(("rerun", message.job_ids))

    def on_job_table_details_requested(self, message: JobTable.DetailsRequested) -> None:
        self.messages.append(("details", message.job_id))


def screen_lines(table: JobTable) -> list[str]:
    listing = table.job_list
    return [listing.render_line(y).text for y in range(listing.size.height)]


def line_of(table: JobTable, job_id: str) -> str:
    """The rendered line of a job's row (which must be on screen)."""
    listing = table.job_list
    row = table.rows.index[job_id]
    return listing.render_line(row - listing.scroll_offset.y + 1).text


def test_helpers() -> None:
    assert format_duration(None) == ""
    assert format_duration(0.25) == "0.2s"
    assert format_duration(42.9) == "42s"
    assert format_duration(184) == "3m04s"
    assert format_duration(7500) == "2h05m"
    queued = make_job("q", "queued", queue_position=3)
    assert state_label(queued) == "queued #4"  # 3 ahead: fourth in line
    assert state_label(replace(queued, queue_position=None)) == "queued"
    assert prompt_snippet(make_job("p", "done", prompt="two\n  lines\x1b[31m")) == "two lines␛[31m"
    assert prompt_snippet(make_job("l", "done", prompt="", label="my label")) == "my label"
    upload = "https://v3.fal.media/files/zebra/Ab3_speech.wav?sig=1"
    whisper = replace(make_job("w", "done"), input={"audio_url": upload, "task": "transcribe"})
    assert prompt_snippet(whisper) == "audio_url: Ab3_speech.wav"
    edit = replace(make_job("e", "done"), input={"image_urls": ["data:image/png;base64,AAAA"]})
    assert prompt_snippet(edit) == "image_urls: image/png"


async def test_rows_for_every_state_and_literal_text() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        assert table.has_class("-empty")
        assert "No jobs yet" in str(table.query_one("#jobs-empty", Static).render())
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        assert not table.has_class("-empty")
        assert table.shown_ids == [j.id for j in jobs]
        texts = table.rows.texts
        assert texts["j-queued"].state_text == "queued #4"
        assert texts["j-done"].prompt == "mountains at night"
        assert texts["j-running"].log == "step 12/28 [b]not markup[/b]"
        assert texts["j-running"].progress == "12/28"
        assert texts["j-failed"].log == "CUDA out of memory [red]x[/red]"
        assert texts["j-lost"].prompt == "meeting.wav"
        assert texts["j-failed"].model == "kling-video/v2"
        assert "3.8s" in line_of(table, "j-done")  # finished - submitted
        assert "step 12/28 [b]not markup[/b]" in line_of(table, "j-running")
        assert "CUDA out of memory [red]x[/red]" in line_of(table, "j-failed")
        header = screen_lines(table)[0]
        for title in ("Model", "Prompt", "State", "Elapsed", "Progress", "Last log"):
            assert title in header
        # The first batch lands with the cursor on its newest row (the list follows the tail).
        assert app.messages[-1] == ("highlighted", "j-lost")
        assert table.selected_job_id == "j-lost"


async def test_upsert_updates_in_place_and_keeps_cursor() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        await pilot.press("g", "j", "j")
        assert table.selected_job_id == "j-running"
        listing = table.job_list
        renders = listing.renders
        running = jobs[2]
        running.logs.append(replace(running.logs[-1], message="step 20/28"))
        running.state = JobState.done
        running.finished_at = NOW
        newer = make_job("j-new", "queued", created=NOW, queue_position=1)
        table.upsert([running, newer])
        await pilot.pause()
        assert table.rows.texts["j-running"].state_text == "done"
        assert "step 20/28" in line_of(table, "j-running")
        assert table.shown_ids[-1] == "j-new"  # newest at the bottom
        assert table.selected_job_id == "j-running"  # the cursor did not move
        # Two lines drawn again (the changed row and the new one), not the whole list.
        assert listing.renders - renders == 2


async def test_filter_cycle_and_removal_keeps_cursor() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        await pilot.press("f")
        assert table.filter_name == "active"
        assert table.shown_ids == ["j-pending", "j-queued", "j-running"]
        assert "active · 3 of 7" in str(table.query_one("#jobs-bar", Static).render())
        await pilot.press("g", "j", "j")
        assert table.selected_job_id == "j-running"
        # a job above the cursor finishes: it leaves the view, the cursor stays on its job
        jobs[0].state = JobState.failed
        table.upsert([jobs[0]])
        await pilot.pause()
        assert table.shown_ids == ["j-queued", "j-running"]
        assert table.selected_job_id == "j-running"
        await pilot.press("f")
        assert table.filter_name == "done"
        assert table.shown_ids == ["j-done"]
        await pilot.press("f")
        assert table.shown_ids == ["j-pending", "j-failed"]
        await pilot.press("f")
        assert table.filter_name == "unknown"  # submits fal may have taken: none here
        assert table.shown_ids == []
        await pilot.press("f")
        assert table.filter_name == "all"
        assert len(table.shown_ids) == 7
        table.set_filter("cancelled")
        assert table.shown_ids == ["j-cancelled"]
        table.set_filter(["running", JobState.lost])
        assert table.shown_ids == ["j-running", "j-lost"]
        table.set_filter("queued")
        jobs[1].state = JobState.running
        table.upsert([jobs[1]])
        await pilot.pause()
        assert table.shown_ids == []
        assert table.selected_job_id is None
        assert app.messages[-1] == ("highlighted", None)
        assert table.has_class("-empty")
        assert "No queued jobs" in str(table.query_one("#jobs-empty", Static).render())


async def test_bindings_post_requests_for_the_cursor_job() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        await pilot.press("g", "j", "j", "j", "k")
        await pilot.press("x", "r", "enter")
        await pilot.pause()
        requests = [m for m in app.messages if m[0] != "highlighted"]
        assert requests == [
            ("cancel", ("j-running",)),
            ("rerun", ("j-running",)),
            ("details", "j-running"),
        ]
        assert ("highlighted", "j-done") in app.messages
        jobs = jobs_in_every_state()
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_job_id == jobs[-1].id
        await pilot.press("home")
        assert table.selected_job_id == jobs[0].id
        await pilot.press("G")
        assert table.selected_job_id == jobs[-1].id
        await pilot.press("g", "down", "down", "up")
        assert table.selected_job_id == jobs[1].id


async def test_elapsed_ticks_only_for_active_jobs() -> None:
    clock = Clock(NOW)
    app = Host(clock)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        before_done = line_of(table, "j-done")
        clock.now += 65
        renders = table.job_list.renders
        table.tick()
        await pilot.pause()
        expected = format_duration(NOW + 65 - jobs[2].submitted_at)
        assert expected in line_of(table, "j-running")
        assert line_of(table, "j-done") == before_done
        # pending, queued and running lines were drawn again; the finished ones were not.
        assert table.job_list.renders - renders == 3


def state_colour(table: JobTable, job_id: str) -> object:
    listing = table.job_list
    row = table.rows.index[job_id]
    strip = listing.render_line(row - listing.scroll_offset.y + 1)
    label = table.rows.texts[job_id].state_text
    for segment in strip:
        if label in segment.text and segment.style is not None:
            return segment.style.color
    raise AssertionError(f"no segment with {label!r}")


async def test_state_colours_follow_the_theme() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        failed = state_colour(table, "j-failed")
        done = state_colour(table, "j-done")
        assert failed is not None and done is not None and failed != done
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        # re-rendered with the (fallback or themed) colour, still coloured
        assert state_colour(table, "j-failed") is not None


async def test_many_rows_updating_redraw_only_the_visible_changed_lines() -> None:
    app = Host()
    async with app.run_test(size=(140, 30)) as pilot:
        table = app.query_one(JobTable)
        jobs = [
            make_job(f"job-{i:04d}", "running", created=NOW - 1000 + i, started=NOW - 10)
            for i in range(800)
        ]
        table.upsert(jobs)
        await pilot.pause()
        assert len(table.shown_ids) == 800
        await pilot.press("g")
        await pilot.pause()
        visible = table.job_list.visible_rows()
        assert len(visible) == table.job_list.page_rows
        batch = jobs[::8]  # 100 jobs, of which only those on screen are drawn again
        for job in batch:
            job.logs.append(make_job("x", "running", logs=["step 2"]).logs[0])
        renders = table.job_list.renders
        table.upsert(batch)
        await pilot.pause()
        on_screen = sum(1 for i in range(0, 800, 8) if i in visible)
        assert table.job_list.renders - renders == on_screen
        assert "step 2" in line_of(table, "job-0008")


def test_column_widths_fit_narrow_terminals() -> None:
    def total(widths: dict[str, int]) -> int:
        return 2 + sum(width + 1 for width in widths.values() if width)

    wide = column_widths(158)  # the jobs pane alone at 160 columns
    assert wide["model"] == 22 and wide["prompt"] > 40 and total(wide) == 158
    assert wide["progress"] > 0 and wide["log"] > 40
    pane = column_widths(71)  # the jobs pane beside the others at 160 columns
    # The cost stays; the log yields (its latest line is in Results).
    assert total(pane) == 71 and pane["prompt"] >= 20 and pane["cost"] == 7
    assert pane["log"] == 0
    costless = column_widths(71, cost=False)  # a list told no costs keeps the log
    assert total(costless) == 71 and costless["prompt"] >= 20 and costless["log"] >= 14
    narrow = column_widths(54)  # beside the others at 120 columns: the log column yields
    assert total(narrow) == 54 and narrow["prompt"] >= 20 and narrow["log"] == 0
    for width in range(40, 200):
        widths = column_widths(width)
        assert total(widths) == width, width
        assert widths["prompt"] >= 6 and widths["state"] == 10


async def test_list_fills_its_width_without_horizontal_scroll() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        listing = table.job_list
        assert not listing.show_horizontal_scrollbar
        assert all(
            len(line) == listing.scrollable_content_region.width for line in screen_lines(table)
        )
        narrow_prompt = listing._widths["prompt"]
        await pilot.resize_terminal(160, 20)
        await pilot.pause()
        screen_lines(table)
        assert listing._widths["prompt"] > narrow_prompt
        assert listing._widths["log"] > 40
        assert not listing.show_horizontal_scrollbar


async def test_partial_invalidation_renders_the_same_as_a_full_repaint() -> None:
    clock = Clock(NOW)
    app = Host(clock)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = [
            make_job(f"job-{i:03d}", "running", created=NOW - 500 + i, started=NOW - 30)
            for i in range(60)
        ]
        table.upsert(jobs)
        await pilot.pause()
        await pilot.press("g", "j", "j", "j")  # the cursor row is cached with its highlight
        before = screen_lines(table)
        # change visible rows (one under the cursor), an off-screen row, and tick elapsed
        for job in (jobs[0], jobs[3], jobs[50]):
            job.logs.append(make_job("x", "running", logs=[f"new log of {job.id}"]).logs[0])
        jobs[5].state = JobState.failed
        jobs[5].error = "boom"
        table.upsert([jobs[0], jobs[3], jobs[5], jobs[50]])
        clock.now += 30
        table.tick()
        partial = screen_lines(table)
        assert partial != before
        assert any("new log of job-003" in line for line in partial)
        assert any("boom" in line for line in partial)
        table.job_list.restyle()  # forget every cached line
        assert screen_lines(table) == partial
        table.move_cursor(50)
        await pilot.pause()
        assert any("new log of job-050" in line for line in screen_lines(table))


async def test_appended_rows_render_the_same_as_a_full_repaint() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        first = [make_job(f"a-{i}", "queued", created=NOW - 100 + i) for i in range(5)]
        table.upsert(first)
        await pilot.pause()
        await pilot.press("g", "j")
        screen_lines(table)  # warm the caches
        more = [make_job(f"b-{i}", "running", created=NOW - 50 + i) for i in range(30)]
        table.upsert(more)
        await pilot.pause()
        appended = screen_lines(table)
        assert sum("running" in line for line in appended) >= 10
        table.job_list.restyle()
        assert screen_lines(table) == appended
        assert table.selected_job_id == "a-1"
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_job_id == "b-29"
        bottom = screen_lines(table)
        assert "b-29" not in "".join(bottom)  # ids are not shown, prompts and states are
        table.job_list.restyle()
        assert screen_lines(table) == bottom
