"""JobTable under load: appending rows under a shown scrollbar needs no whole-screen layout."""

from __future__ import annotations

from job_samples import NOW, make_job
from textual.app import App, ComposeResult
from textual.screen import Screen
from waits import until

from faltui.tui.widgets.job_table import JobGrid, JobTable


class Host(App[None]):
    """One JobTable, 20 rows high."""

    CSS = "JobTable { height: 20; }"

    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs", clock=lambda: NOW)


def _jobs(start: int, stop: int) -> list:
    return [
        make_job(f"job-{i:03d}", "running", created=NOW - 300 + i, prompt=f"prompt {i}")
        for i in range(start, stop)
    ]


def _screen_text(grid: JobGrid) -> str:
    return "\n".join(grid.render_line(y).text for y in range(grid.size.height))


async def test_rows_appended_under_a_scrollbar_cost_no_layout_and_scroll_right() -> None:
    app = Host()
    layouts = 0
    original = Screen._refresh_layout

    def counting(screen: Screen, *args: object, **kwargs: object) -> None:
        nonlocal layouts
        # Count the layouts the table asked for. Textual may still restyle the scrollbar that
        # just appeared (a deferred style pass that lays out the scrollbar): not what appending
        # rows costs, and whether it lands before or after the first append is timing.
        if any(grid in widgets for widgets in screen._layout_widgets.values()):
            layouts += 1
        original(screen, *args, **kwargs)

    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(JobTable)
        grid = app.query_one(JobGrid)
        table.upsert(_jobs(0, 40))  # more rows than fit: the scrollbar appears (a layout)
        # The layout the new rows asked for is done once the scrollbar spans all 40 of them.
        await until(
            lambda: grid.vertical_scrollbar.window_virtual_size == 40 + grid.header_height,
            what="the scrollbar laid out",
        )
        await pilot.pause()
        Screen._refresh_layout = counting  # type: ignore[method-assign]
        try:
            for start in range(40, 200, 20):
                table.upsert(_jobs(start, start + 20))
                await pilot.pause()
        finally:
            Screen._refresh_layout = original  # type: ignore[method-assign]
        assert layouts == 0
        header = grid.header_height
        assert grid.virtual_size.height == 200 + header
        assert grid.vertical_scrollbar.window_virtual_size == 200 + header
        assert grid.max_scroll_y == 200 + header - grid.scrollable_content_region.height
        grid.focus()
        grid.move_cursor(row=199, animate=False)
        await pilot.pause()
        assert grid.scroll_y == grid.max_scroll_y
        assert table.selected_job_id == "job-199"
        assert "prompt 199" in _screen_text(grid)


async def test_rows_that_bring_the_scrollbar_still_lay_out() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(JobTable)
        grid = app.query_one(JobGrid)
        table.upsert(_jobs(0, 5))
        await pilot.pause()
        assert not grid.show_vertical_scrollbar
        table.upsert(_jobs(5, 60))
        await pilot.pause()
        assert grid.show_vertical_scrollbar
        assert grid.vertical_scrollbar.window_virtual_size == 60 + grid.header_height
