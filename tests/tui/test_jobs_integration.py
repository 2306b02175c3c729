"""The jobs and results panes inside the real app, against the emulator over loopback HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Static
from waits import until

from faltui.core.config import Settings
from faltui.core.job import JobState
from faltui.core.schema.prepare import PreparedInput
from faltui.emulator import Emulator
from faltui.tui.app import FaltuiApp
from faltui.tui.screens.job_detail import JobDetailScreen
from faltui.tui.widgets.job_list import JobList
from faltui.tui.widgets.job_table import JobTable
from faltui.tui.widgets.results import OutputList, ResultsPane


@pytest.fixture(autouse=True)
def no_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResultsPane, "preview_images", False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)


async def test_submitted_jobs_flow_into_table_results_and_detail(emu_settings: Settings) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        assert app.services.jobs is not None
        payload = {
            "prompt": "a tiny red square",
            "image_size": {"width": 64, "height": 48},
            "output_format": "png",
        }
        manager = app.services.jobs
        jobs = [await manager.submit("fal-ai/flux/dev", {**payload, "seed": s}) for s in (1, 2)]
        table = app.query_one(JobTable)
        await until(lambda: all(j.final for j in jobs))
        await until(
            lambda: all(
                j.id in table.rows.texts and table.rows.texts[j.id].state_text == "done"
                for j in jobs
            )
        )
        assert table.shown_ids == [j.id for j in jobs]
        table.job_list.focus()
        await pilot.press("k", "j")
        await pilot.pause()
        results = app.query_one(ResultsPane)
        await until(lambda: results.job is not None and results.job.id == jobs[1].id)
        await until(lambda: app.query_one(OutputList).option_count >= 1)
        item = results.selected_item
        assert item is not None and item.kind == "image" and item.width == 64
        results.query_one(OutputList).focus()
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = list(Path(emu_settings.paths.download_dir).glob("*.png"))
        assert len(saved) == 1 and saved[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "saved" in str(results.query_one("#results-text", Static).render())
        table.job_list.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, JobDetailScreen)
        assert app.screen.job.id == jobs[1].id
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, JobDetailScreen)
        assert isinstance(app.focused, JobList)


async def test_results_follow_the_highlight_while_jobs_update(
    emu_settings: Settings, emulator: Emulator
) -> None:
    """One source of truth: while jobs keep changing, Results shows the highlighted job and
    the keys act on it."""
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        manager = app.services.jobs
        emulator.store.time_scale = 1.0  # slow jobs: running (and logging) while keys move
        emulator.script_next_jobs("slow", 6)
        jobs = await manager.submit_batch(
            "fal-ai/flux/dev", [{"prompt": f"fox {n}", "seed": n} for n in range(6)]
        )
        table = app.query_one(JobTable)
        results = app.query_one(ResultsPane)
        await until(lambda: len(table.shown_ids) == 6)
        await until(lambda: sum(1 for job in jobs if job.logs) >= 3, timeout=30)
        table.job_list.focus()
        await pilot.press("g")
        versions = sum(table.rows.versions.values())
        seen: set[str] = set()
        for key in ("j", "j", "k", "j", "j", "j", "k", "G", "k", "g", "j"):
            await pilot.press(key)
            await pilot.pause()
            selected = table.selected_job_id
            assert selected is not None
            assert results.job is not None and results.job.id == selected, key
            seen.add(selected)
        assert len(seen) >= 4
        assert sum(table.rows.versions.values()) > versions  # rows changed meanwhile
        # x cancels the highlighted job, and only it.
        target = table.selected_job_id
        assert not manager.get(target).final
        await pilot.press("x")
        await until(lambda: manager.get(target).state is JobState.cancelled)
        others = [job for job in jobs if job.id != target]
        assert all(job.state is not JobState.cancelled for job in others)
        await until(lambda: results.job is not None and results.job.id == target)
        await pilot.pause()
        assert results.job.state is JobState.cancelled


async def test_marked_jobs_download_remove_and_stay_archived(emu_settings: Settings) -> None:
    from faltui.core.journal import Journal

    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        manager = app.services.jobs
        jobs = await manager.submit_batch(
            "fal-ai/flux/dev",
            [{"prompt": f"fox {n}", "num_images": 2, "image_size": "square"} for n in range(3)],
        )
        await until(lambda: all(job.final for job in jobs))
        table = app.query_one(JobTable)
        await until(lambda: len(table.shown_ids) == 3)
        table.job_list.focus()
        await pilot.press("g", "space", "space")  # the first two
        assert table.marked_ids == [jobs[0].id, jobs[1].id]
        await pilot.press("d")
        await app.workers.wait_for_complete()
        folder = Path(emu_settings.paths.download_dir)  # files only: the library keeps folders
        saved = [path for path in folder.iterdir() if path.is_file()]
        assert len(saved) == 4  # two images from each marked job
        await pilot.press("delete")
        await until(lambda: table.shown_ids == [jobs[2].id])
        assert [job.id for job in manager.jobs()] == [jobs[2].id]
        assert table.selected_job_id == jobs[2].id
        results = app.query_one(ResultsPane)
        await until(lambda: results.job is not None and results.job.id == jobs[2].id)
    journal = Journal(emu_settings.paths.journal_file)
    try:
        kept = {job.id: job for job in journal.load_all()}
    finally:
        journal.close()
    assert set(kept) == {job.id for job in jobs}  # the journal keeps every job
    assert kept[jobs[0].id].archived and not kept[jobs[2].id].archived
    again = FaltuiApp(emu_settings)
    async with again.run_test(size=(160, 45)) as pilot:
        table = again.query_one(JobTable)
        await until(lambda: len(table.shown_ids) == 1)
        await pilot.pause()
        assert table.shown_ids == [jobs[2].id]  # archived jobs do not come back


async def test_a_batch_does_not_pull_the_cursor_back_once_the_user_moved_it(
    emu_settings: Settings,
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        manager = app.services.jobs
        first = await manager.submit("fal-ai/flux/dev", {"prompt": "an earlier job"})
        await until(lambda: first.final)
        table = app.query_one(JobTable)
        await until(lambda: table.shown_ids == [first.id])
        gate = asyncio.Event()
        submit_many = manager.submit_many

        async def slow_batch(*args, **kwargs):  # the batch returns when the test says so
            jobs = await submit_many(*args, **kwargs)
            await gate.wait()
            return jobs

        manager.submit_many = slow_batch  # type: ignore[method-assign]
        payload = PreparedInput({"prompt": "many foxes"})
        # The cursor is on the last row: the new rows are followed while they arrive.
        app.main._submit("fal-ai/flux/dev", payload, 5)
        await until(lambda: len(table.shown_ids) == 6)
        await pilot.pause(0.2)
        assert table.selected_job_id == table.shown_ids[-1]
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert table.selected_job_id == table.shown_ids[-1]
        # Moved away while a batch is being submitted: the cursor stays where the user put it.
        gate.clear()
        app.main._submit("fal-ai/flux/dev", payload, 5)
        await until(lambda: len(table.shown_ids) == 11)
        table.job_list.focus()
        await pilot.press("g")
        assert table.selected_job_id == first.id
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert table.selected_job_id == first.id
        results = app.query_one(ResultsPane)
        assert results.job is not None and results.job.id == first.id


async def test_a_done_job_without_its_result_fetches_it_once_shown(
    emu_settings: Settings, emulator: Emulator
) -> None:
    """A finished job salvaged from a damaged journal (request id, no result): highlighting it
    fetches the result from fal (a result call, never a resubmit) and Results shows it."""
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        manager = app.services.jobs
        job = await manager.submit("fal-ai/flux/dev", {"prompt": "salvaged", "seed": 5})
        await until(lambda: job.state is JobState.done)
        expected = job.result
        job.result = None  # what a salvaged row holds
        app.main._mark_dirty(job)
        app.main.flush_jobs()
        app.main.job_table.select_job(job.id)
        results = app.query_one(ResultsPane)
        await until(lambda: job.result == expected, what="the result fetched again")
        await until(lambda: app.query_one(OutputList).option_count >= 1)
        assert results.job is job and results.selected_item is not None
        assert emulator.counters["submit"] == 1
        await pilot.pause()


async def test_a_burst_of_moves_shows_only_the_last_job_in_results(
    emu_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FaltuiApp(emu_settings)
    async with app.run_test(size=(160, 45)) as pilot:
        manager = app.services.jobs
        payload = {"prompt": "a dot", "image_size": {"width": 8, "height": 8}}
        jobs = [await manager.submit("fal-ai/flux/dev", {**payload, "seed": s}) for s in range(4)]
        await until(lambda: all(j.final for j in jobs))
        table = app.query_one(JobTable)
        await until(lambda: table.shown_ids == [j.id for j in jobs])
        shown: list[str | None] = []
        show = ResultsPane.show

        def record(pane: ResultsPane, job: object, batch: object = ()) -> None:
            shown.append(getattr(job, "id", None))
            show(pane, job, batch)  # type: ignore[arg-type]

        monkeypatch.setattr(ResultsPane, "show", record)
        table.job_list.focus()
        await pilot.press("g")
        await pilot.pause()
        shown.clear()
        # Four moves queued at once (a held key): Results draws the last job, once.
        for job in jobs:
            app.main.post_message(JobTable.Highlighted(table, job.id))
        await pilot.pause()
        await until(lambda: bool(shown))
        assert shown == [jobs[-1].id]
        # A single move still shows its job (the cursor was left on the first).
        shown.clear()
        await pilot.press("j")
        await until(lambda: shown == [jobs[1].id])
