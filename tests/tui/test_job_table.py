"""JobTable in a small host app: in-place updates, filters, bindings, messages, elapsed ticks."""

from __future__ import annotations

from dataclasses import replace

from job_samples import NOW, jobs_in_every_state, make_job
from textual.app import App, ComposeResult
from textual.widgets import Static
from textual.widgets.data_table import ColumnKey

from faltui.core.job import JobState
from faltui.tui.widgets.job_table import (
    JobGrid,
    JobTable,
    format_duration,
    prompt_snippet,
    state_label,
)


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
        self.messages: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs", clock=self.clock)
        yield Static("other")

    def on_mount(self) -> None:
        self.query_one(JobGrid).focus()

    def on_job_table_highlighted(self, message: JobTable.Highlighted) -> None:
        self.messages.append(("highlighted", message.job_id))

    def on_job_table_cancel_requested(self, message: JobTable.CancelRequested) -> None:
        self.messages.append(("cancel", message.job_id))

    def on_job_table_rerun_requested(self, message: JobTable.RerunRequested) -> None:
        self.messages.append(("rerun", message.job_id))

    def on_job_table_details_requested(self, message: JobTable.DetailsRequested) -> None:
        self.messages.append(("details", message.job_id))


def cell(table: JobTable, job_id: str, column: str) -> str:
    return str(table.grid.get_cell(job_id, column))


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
        assert cell(table, "j-queued", "state") == "queued #4"
        assert cell(table, "j-done", "elapsed") == "3.8s"  # finished - submitted
        assert cell(table, "j-done", "prompt") == "mountains at night"
        assert cell(table, "j-running", "log") == "step 12/28 [b]not markup[/b]"
        assert cell(table, "j-failed", "log") == "CUDA out of memory [red]x[/red]"
        assert cell(table, "j-lost", "prompt") == "meeting.wav"
        assert cell(table, "j-failed", "model") == "kling-video/v2"
        # first row highlighted on arrival
        assert ("highlighted", "j-pending") in app.messages


async def test_upsert_updates_in_place_and_keeps_cursor() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        await pilot.press("j", "j")
        assert table.selected_job_id == "j-running"
        grid = table.grid
        rows_before = dict(grid.rows)
        running = jobs[2]
        running.logs.append(replace(running.logs[-1], message="step 20/28"))
        running.state = JobState.done
        running.finished_at = NOW
        newer = make_job("j-new", "queued", created=NOW, queue_position=1)
        table.upsert([running, newer])
        await pilot.pause()
        assert cell(table, "j-running", "state") == "done"
        assert cell(table, "j-running", "log") == "step 20/28"
        assert table.shown_ids[-1] == "j-new"  # newest at the bottom
        assert table.selected_job_id == "j-running"  # cursor did not move
        for key, row in rows_before.items():  # rows kept, not rebuilt
            assert grid.rows[key] is row


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
        await pilot.press("j", "j")
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
        assert table.has_class("-empty")
        assert "No queued jobs" in str(table.query_one("#jobs-empty", Static).render())


async def test_bindings_post_requests_for_the_cursor_job() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        await pilot.press("j", "j", "j", "k")
        await pilot.press("x", "r", "enter")
        await pilot.pause()
        requests = [m for m in app.messages if m[0] != "highlighted"]
        assert requests == [
            ("cancel", "j-running"),
            ("rerun", "j-running"),
            ("details", "j-running"),
        ]
        assert ("highlighted", "j-done") in app.messages
        jobs = jobs_in_every_state()
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_job_id == jobs[-1].id
        await pilot.press("g")
        await pilot.pause()
        assert table.selected_job_id == jobs[0].id


async def test_elapsed_ticks_only_for_active_jobs() -> None:
    clock = Clock(NOW)
    app = Host(clock)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        before_running = cell(table, "j-running", "elapsed")
        before_done = cell(table, "j-done", "elapsed")
        clock.now += 65
        table.tick()
        assert before_running != cell(table, "j-running", "elapsed")
        assert cell(table, "j-running", "elapsed") == format_duration(
            NOW + 65 - jobs[2].submitted_at
        )
        assert cell(table, "j-done", "elapsed") == before_done


async def test_state_colours_follow_the_theme() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        first = table.grid.get_cell("j-failed", "state").style.color
        assert first is not None
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        # re-rendered with the (fallback or themed) colour, still coloured
        assert table.grid.get_cell("j-failed", "state").style.color is not None


async def test_upsert_into_many_rows_touches_only_the_changed_cells() -> None:
    # How long such an upsert takes is measured by bench/bench_job_table.py.
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
        touched: list[tuple[str, str]] = []
        set_cells = table.grid.set_cells

        def recording(updates):  # type: ignore[no-untyped-def]
            updates = list(updates)
            touched.extend((row, column) for row, column, _text in updates)
            set_cells(updates)

        table.grid.set_cells = recording  # type: ignore[method-assign]
        batch = jobs[::8]
        for job in batch:
            job.logs.append(make_job("x", "running", logs=["step 2"]).logs[0])
        table.upsert(batch)
        assert sorted(touched) == sorted((job.id, "log") for job in batch)
        touched.clear()
        table.upsert(batch)  # nothing changed since: no cell is touched
        assert touched == []
        await pilot.pause()
        assert cell(table, "job-0008", "log") == "step 2"
        assert cell(table, "job-0009", "log") != "step 2"


def test_column_widths_fit_narrow_terminals() -> None:
    from faltui.tui.widgets.job_table import column_widths

    wide = column_widths(160, 12)
    assert wide["model"] == 22 and wide["prompt"] == 26 and sum(wide.values()) + 12 == 160
    narrow = column_widths(80, 12)
    assert sum(narrow.values()) + 12 == 80 and narrow["log"] >= 12
    pane = column_widths(62, 12)  # the jobs pane beside the others at 160 columns
    assert sum(pane.values()) + 12 == 62
    medium = column_widths(54, 12)  # the jobs pane beside the others at 120 columns
    assert sum(medium.values()) + 12 == 54 and medium["log"] == 4
    tiny = column_widths(40, 12)  # nothing fits: the smallest widths, scrolled
    assert tiny["model"] == 12 and tiny["prompt"] == 8 and tiny["log"] == 4


async def test_table_fills_its_width_without_horizontal_scroll() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        columns = table.grid.columns
        assert table.grid.virtual_size.width <= 80
        assert columns[ColumnKey("prompt")].width < 26
        await pilot.resize_terminal(160, 20)
        await pilot.pause()
        assert columns[ColumnKey("prompt")].width == 26
        assert columns[ColumnKey("log")].width > 60
        assert table.grid.virtual_size.width <= 160


def screen_lines(grid: JobGrid) -> list[str]:
    return [grid.render_line(y).text for y in range(grid.size.height)]


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
        grid = table.grid
        await pilot.press("j", "j", "j")  # the cursor row is cached with its highlight
        before = screen_lines(grid)
        # change visible rows (one under the cursor), an off-screen row, and tick elapsed
        for job in (jobs[0], jobs[3], jobs[50]):
            job.logs.append(make_job("x", "running", logs=[f"new log of {job.id}"]).logs[0])
        jobs[5].state = JobState.failed
        jobs[5].error = "boom"
        table.upsert([jobs[0], jobs[3], jobs[5], jobs[50]])
        clock.now += 30
        table.tick()
        partial = screen_lines(grid)
        assert partial != before
        assert any("new log of job-003" in line for line in partial)
        assert any("boom" in line for line in partial)
        grid._clear_caches()  # what DataTable.update_cell would amount to
        assert screen_lines(grid) == partial
        grid.move_cursor(row=50)
        await pilot.pause()
        assert any("new log of job-050" in line for line in screen_lines(grid))


async def test_appended_rows_render_the_same_as_a_full_repaint() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        grid = table.grid
        first = [make_job(f"a-{i}", "queued", created=NOW - 100 + i) for i in range(5)]
        table.upsert(first)
        await pilot.pause()
        await pilot.press("j")
        screen_lines(grid)  # warm the caches
        more = [make_job(f"b-{i}", "running", created=NOW - 50 + i) for i in range(30)]
        table.upsert(more)
        await pilot.pause()
        appended = screen_lines(grid)
        assert sum("b-" in line or "running" in line for line in appended) >= 10
        grid._clear_caches()
        assert screen_lines(grid) == appended
        assert table.selected_job_id == "a-1"
        await pilot.press("end")
        grid.move_cursor(row=34)
        await pilot.pause()
        assert table.selected_job_id == "b-29"
        bottom = screen_lines(grid)
        grid._clear_caches()
        assert screen_lines(grid) == bottom
