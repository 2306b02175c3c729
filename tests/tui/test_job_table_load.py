"""JobTable under load: appending rows under a shown scrollbar needs no whole-screen layout,
and moving the cursor or updating a row draws only the lines that changed."""

from __future__ import annotations

from job_samples import NOW, make_job
from textual.app import App, ComposeResult
from textual.screen import Screen
from waits import until

from faltui.tui.widgets.job_list import JobList
from faltui.tui.widgets.job_table import JobTable


class Host(App[None]):
    """One JobTable, 20 rows high."""

    CSS = "JobTable { height: 20; }"

    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs", clock=lambda: NOW)

    def on_mount(self) -> None:
        self.query_one(JobList).focus()


def _jobs(start: int, stop: int) -> list:
    return [
        make_job(f"job-{i:03d}", "running", created=NOW - 300 + i, prompt=f"prompt {i}")
        for i in range(start, stop)
    ]


def _screen_text(listing: JobList) -> str:
    return "\n".join(listing.render_line(y).text for y in range(listing.size.height))


class LayoutCounter:
    """Counts whole-screen layout passes while installed."""

    def __init__(self) -> None:
        self.count = 0
        self._original = Screen._refresh_layout

    def __enter__(self) -> LayoutCounter:
        original = self._original

        def counting(screen: Screen, *args: object, **kwargs: object) -> None:
            # Count the layouts the job list asked for. Textual may still restyle a scrollbar
            # that just appeared (a deferred style pass that lays it out): not what appending
            # rows or moving the cursor costs, and whether it lands in the window is timing.
            if any(isinstance(w, JobList) for ws in screen._layout_widgets.values() for w in ws):
                self.count += 1
            original(screen, *args, **kwargs)

        Screen._refresh_layout = counting  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Screen._refresh_layout = self._original  # type: ignore[method-assign]


async def test_rows_appended_under_a_scrollbar_cost_no_layout_and_scroll_right() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(JobTable)
        listing = app.query_one(JobList)
        table.upsert(_jobs(0, 40))  # more rows than fit: the scrollbar appears (a layout)
        # The layout the new rows asked for is done once the scrollbar spans all 40 of them.
        await until(
            lambda: listing.vertical_scrollbar.window_virtual_size == 40 + 1,
            what="the scrollbar laid out",
        )
        await pilot.press("g")  # off the last row: new rows do not move the cursor
        await pilot.pause()
        with LayoutCounter() as layouts:
            for start in range(40, 200, 20):
                table.upsert(_jobs(start, start + 20))
                await pilot.pause()
        assert layouts.count == 0
        assert listing.virtual_size.height == 200 + 1  # the rows and the header
        assert listing.vertical_scrollbar.window_virtual_size == 200 + 1
        assert listing.max_scroll_y == 200 + 1 - listing.scrollable_content_region.height
        assert listing.scroll_offset.y == 0 and table.selected_job_id == "job-000"
        await pilot.press("end")
        await pilot.pause()
        assert listing.scroll_offset.y == listing.max_scroll_y
        assert table.selected_job_id == "job-199"
        assert "prompt 199" in _screen_text(listing)


async def test_rows_that_bring_the_scrollbar_still_lay_out() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(JobTable)
        listing = app.query_one(JobList)
        table.upsert(_jobs(0, 5))
        await pilot.pause()
        assert not listing.show_vertical_scrollbar
        table.upsert(_jobs(5, 60))
        await until(lambda: listing.show_vertical_scrollbar, what="the scrollbar")
        assert listing.vertical_scrollbar.window_virtual_size == 60 + 1


async def test_moving_the_cursor_draws_two_lines_and_no_layout() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(JobTable)
        listing = app.query_one(JobList)
        table.upsert(_jobs(0, 1000))
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        with LayoutCounter() as layouts:
            for key in ("j", "j", "k", "down", "up", "j"):
                drawn = listing.lines_drawn
                await pilot.press(key)
                await pilot.pause()
                assert listing.lines_drawn - drawn == 2, key  # the old and the new cursor line
        assert layouts.count == 0
        assert table.selected_job_id == "job-002"


async def test_updates_follow_the_cursor_only_from_the_last_row() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(JobTable)
        listing = app.query_one(JobList)
        table.upsert(_jobs(0, 10))
        await pilot.pause()
        assert table.selected_job_id == "job-009"  # first batch: the newest row
        table.upsert(_jobs(10, 50))
        await pilot.pause()
        assert table.selected_job_id == "job-049"  # on the last row: follows
        assert listing.scroll_offset.y == listing.max_scroll_y
        await pilot.press("k")
        top = listing.scroll_offset.y
        table.upsert(_jobs(50, 80))
        await pilot.pause()
        assert table.selected_job_id == "job-048"  # not on the last row: stays put
        assert listing.scroll_offset.y == top  # and nothing jumps
        await pilot.press("G")
        table.upsert(_jobs(80, 81))
        await pilot.pause()
        assert table.selected_job_id == "job-080"
