"""The job list's own features in a small host: search, sort, marks and bulk requests, what
tells ×N siblings apart, progress, and hostile text shown literally."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from job_samples import NOW, jobs_in_every_state, make_job
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from faltui.core.job import Job, JobState
from faltui.tui.job_cells import fit, fit_end, progress_of
from faltui.tui.job_rows import JobRows
from faltui.tui.themes import JOB_STATE_VARIABLES
from faltui.tui.widgets.job_list import JobList
from faltui.tui.widgets.job_table import JobSearch, JobTable


class Host(App[None]):
    """One JobTable; records what it posts and what it notifies."""

    def __init__(self, export_dir: Path | None = None) -> None:
        super().__init__()
        self.export_dir = export_dir
        self.messages: list[tuple[str, object]] = []
        self.notes: list[str] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(JOB_STATE_VARIABLES)

    def compose(self) -> ComposeResult:
        yield JobTable(id="jobs", clock=lambda: NOW, export_dir=self.export_dir)

    def on_mount(self) -> None:
        self.query_one(JobList).focus()

    def notify(self, message: str, **kwargs: object) -> None:  # type: ignore[override]
        self.notes.append(message)
        super().notify(message, **kwargs)  # type: ignore[arg-type]

    def on_job_table_highlighted(self, message: JobTable.Highlighted) -> None:
        self.messages.append(("highlighted", message.job_id))

    def on_job_table_cancel_requested(self, message: JobTable.CancelRequested) -> None:
        self.messages.append(("cancel", message.job_ids))

    def on_job_table_rerun_requested(self, message: JobTable.RerunRequested) -> None:
        self.messages.append(("rerun", message.job_ids))

    def on_job_table_details_requested(self, message: JobTable.DetailsRequested) -> None:
        self.messages.append(("details", message.job_id))

    def on_job_table_download_requested(self, message: JobTable.DownloadRequested) -> None:
        self.messages.append(("download", message.job_ids))

    def on_job_table_remove_requested(self, message: JobTable.RemoveRequested) -> None:
        self.messages.append(("remove", message.job_ids))

    def on_job_table_result_requested(self, message: JobTable.ResultRequested) -> None:
        self.messages.append(("result", (message.job_id, message.action)))


def requests(app: Host) -> list[tuple[str, object]]:
    return [m for m in app.messages if m[0] != "highlighted"]


def screen_text(table: JobTable) -> str:
    listing = table.job_list
    return "\n".join(listing.render_line(y).text for y in range(listing.size.height))


def bar(table: JobTable) -> str:
    return str(table.query_one("#jobs-bar", Static).render())


# -- pure helpers -----------------------------------------------------------------------------


def test_fit_cuts_with_an_ellipsis_and_counts_cells() -> None:
    assert fit("a lighthouse", 20) == "a lighthouse"
    assert fit("a lighthouse at dusk", 10) == "a lightho…"
    assert fit("日本語のプロンプト", 7) == "日本語…"  # wide characters: 2 cells each
    assert fit("日本語のプロンプト", 8) == "日本語 …"  # never half a character
    assert fit_end("seed 1234567890", 8) == "…4567890"


def test_progress_comes_from_step_counters_and_percentages() -> None:
    def job(message: str, state: str = "running") -> Job:
        return make_job("p", state, logs=["loading", message])

    assert progress_of(job("Step 2/4: denoising")) == ("2/4", 0.5)
    assert progress_of(job(" 45%|████▌     | 9/20 [00:01<00:02]")) == ("9/20", 0.45)
    assert progress_of(job("Uploaded 75% (3 of 4 bytes)", "pending")) == ("75%", 0.75)
    assert progress_of(job("saved to 2026/01/01/out.png")) is None  # a path, not steps
    assert progress_of(job("ratio 5/4 is too high")) is None  # more done than total
    assert progress_of(job("Step 4/4", "done")) is None  # finished: the state says it


def test_siblings_show_what_differs() -> None:
    rows = JobRows(now=NOW)
    seeds = [
        replace(make_job(f"s{i}", "done"), input={"prompt": "a fox", "seed": 1000 + i})
        for i in range(3)
    ]
    same = [
        make_job(f"n{i}", "done", endpoint_id="fal-ai/recraft", prompt="a cat") for i in range(3)
    ]
    for job in same:
        job.input = {"prompt": "a cat"}
    sweep = [
        replace(make_job(f"g{i}", "done"), input={"prompt": "a owl", "guidance_scale": g})
        for i, g in enumerate((2.5, 3.5))
    ]
    alone = make_job("solo", "done", prompt="only one")
    rows.upsert([*seeds, *same, *sweep, alone])
    tags = {job_id: texts.tag for job_id, texts in rows.texts.items()}
    assert [tags[f"s{i}"] for i in range(3)] == ["seed 1000", "seed 1001", "seed 1002"]
    assert [tags[f"n{i}"] for i in range(3)] == ["#1/3", "#2/3", "#3/3"]
    assert [tags["g0"], tags["g1"]] == ["guidance_scale 2.5", "guidance_scale 3.5"]
    assert tags["solo"] == ""
    # A new sibling renumbers the group; leaving it does too.
    fourth = make_job("n3", "done", endpoint_id="fal-ai/recraft", prompt="a cat")
    fourth.input = {"prompt": "a cat"}
    rows.upsert([fourth])
    assert rows.texts["n0"].tag == "#1/4" and rows.texts["n3"].tag == "#4/4"
    rows.remove(["n0"])
    assert rows.texts["n1"].tag == "#1/3"


async def test_siblings_tags_are_on_screen() -> None:
    app = Host()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = []
        for i in range(8):
            job = make_job(f"b{i}", "queued", created=NOW - 10 + i, prompt="a lighthouse")
            job.input["seed"] = 1234 + i
            jobs.append(job)
        table.upsert(jobs)
        await pilot.pause()
        text = screen_text(table)
        for i in range(8):
            assert f"seed {1234 + i}" in text
        await pilot.resize_terminal(60, 20)  # narrow: the tag wins over the prompt
        await pilot.pause()
        text = screen_text(table)
        for i in range(8):
            assert f"{1234 + i}" in text


# -- search -----------------------------------------------------------------------------------


def typed_burst(app: App, text: str) -> None:
    """Keys posted at once, the way a terminal delivers a fast burst (no waiting between)."""
    for char in text:
        key = {"/": "slash", " ": "space"}.get(char, char)
        app.post_message(events.Key(key, char))


async def test_search_filters_as_you_type_and_esc_clears() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        typed_burst(app, "/astro")  # typed fast: no key lost, none taken as a command
        await pilot.pause()
        assert isinstance(app.focused, JobSearch)
        assert table.search_text == "astro"
        await pilot.press(*"naut")  # typing on adds to what the burst put in the box
        assert table.search_text == "astronaut"
        assert table.shown_ids == ["j-running"]
        assert table.selected_job_id == "j-running"
        assert ("highlighted", "j-running") in app.messages
        assert "search 'astronaut'" in bar(table) and "1 of 7" in bar(table)
        assert requests(app) == []
        await pilot.press("escape")
        assert table.search_text == "" and len(table.shown_ids) == 7
        assert isinstance(app.focused, JobList)
        assert not table.search_box.display  # the box is gone
        assert table.selected_job_id == "j-running"  # the cursor stayed on its job
        # Request id, state and model are searched too; several words must all match.
        await pilot.press("ctrl+f", *"req-j-done")
        assert table.shown_ids == ["j-done"]
        await pilot.press("ctrl+u", *"kling failed")
        assert table.shown_ids == ["j-failed"]
        await pilot.press("ctrl+u", *"queued")
        assert table.shown_ids == ["j-queued"]
        await pilot.press("ctrl+u", *"nothing like it")
        assert table.shown_ids == [] and table.selected_job_id is None
        assert "No jobs match" in str(table.query_one("#jobs-empty", Static).render())
        await pilot.press("ctrl+u", *"fox", "enter")  # enter keeps the search, back to the list
        assert isinstance(app.focused, JobList)
        assert table.search_text == "fox" and table.shown_ids == []
        assert table.search_box.display  # kept open, showing the search
        await pilot.press("escape")
        assert table.search_text == "" and len(table.shown_ids) == 7
        assert not table.search_box.display


async def test_keys_typed_right_after_enter_or_esc_reach_the_list() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        typed_burst(app, "/a")
        app.post_message(events.Key("enter", "\r"))
        typed_burst(app, "g ")  # first row, then mark it
        await pilot.pause()
        assert table.search_text == "a" and isinstance(app.focused, JobList)
        first = table.shown_ids[0]
        assert table.marked_ids == [first]
        typed_burst(app, "/")
        app.post_message(events.Key("escape", "\x1b"))
        typed_burst(app, "G")
        await pilot.pause()
        assert table.search_text == "" and isinstance(app.focused, JobList)
        assert table.selected_job_id == table.shown_ids[-1]
        # Keys already handed to the box when enter moves the focus go to the list too.
        await pilot.press("slash", *"fal")
        assert isinstance(app.focused, JobSearch) and len(table.shown_ids) == 7
        app.post_message(events.Key("enter", "\r"))
        typed_burst(app, "k")
        await pilot.pause()
        assert table.search_text == "fal" and isinstance(app.focused, JobList)
        assert table.selected_job_id == table.shown_ids[-2]


async def test_search_keys_move_the_cursor_while_typing() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        await pilot.press("slash", *"a ")
        shown = table.shown_ids
        assert len(shown) > 2
        await pilot.press("home")  # in the box: its own cursor, not the list's
        await pilot.press("up", "up")
        assert table.selected_job_id == shown[-3]
        assert isinstance(app.focused, JobSearch)


async def test_matches_are_highlighted() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        table.set_query("cat")
        await pilot.pause()
        listing = table.job_list
        strip = listing.render_line(1)
        matched = [s.text for s in strip if s.style is not None and s.style.underline]
        assert matched == ["cat"]


# -- sort -------------------------------------------------------------------------------------


async def test_sort_cycles_by_key_and_by_header_click() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        await pilot.pause()
        await pilot.press("g", "j")
        assert table.selected_job_id == "j-queued"
        await pilot.press("s")  # model
        models = [table.rows.texts[j].model for j in table.shown_ids]
        assert models == sorted(models, key=str.casefold)
        assert "Model ▲" in screen_text(table).splitlines()[0]
        assert table.selected_job_id == "j-queued"  # the cursor stays on its job
        await pilot.press("s", "s")  # prompt, then state
        ranks = [table.rows.texts[j].state for j in table.shown_ids]
        assert ranks[0] is JobState.running and ranks[-1] is JobState.done
        assert "sort state ▲" in bar(table)
        await pilot.press("S")
        assert table.rows.descending and table.shown_ids[0] == "j-done"
        assert "State ▼" in screen_text(table).splitlines()[0]
        # A click on a title sorts by it; a second click reverses it.
        listing = table.job_list
        x = screen_text(table).splitlines()[0].index("Elapsed")
        await pilot.click(JobList, offset=(x, 0))
        assert table.rows.sort == "elapsed" and not table.rows.descending
        elapsed = [table.rows._sort_key(j)[0] for j in table.shown_ids]
        assert elapsed == sorted(elapsed)
        await pilot.click(JobList, offset=(x, 0))
        assert table.rows.descending
        # back to the order of submission
        for _ in range(8):
            if table.rows.sort == "created":
                break
            await pilot.press("s")
        assert table.rows.sort == "created" and not table.rows.descending
        assert table.shown_ids == [j.id for j in jobs]
        await pilot.press("S")
        assert table.shown_ids == [j.id for j in reversed(jobs)]
        assert listing.rows is table.rows


async def test_live_sort_reorders_and_keeps_the_cursor() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        table.upsert(jobs)
        table.sort_by("state")
        await pilot.pause()
        table.select_job("j-queued")
        jobs[1].state = JobState.done  # the queued job finishes: it moves to the bottom
        jobs[1].finished_at = NOW
        table.upsert([jobs[1]])
        await pilot.pause()
        assert (
            table.shown_ids[-1] == "j-queued" or table.rows.texts["j-done"].state is JobState.done
        )
        assert table.selected_job_id == "j-queued"


# -- marks and bulk actions ---------------------------------------------------------------------


async def test_space_marks_and_bulk_requests_name_the_marked_jobs() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        await pilot.press("g", "space", "space", "j", "space")  # pending, queued, done
        assert table.marked_ids == ["j-pending", "j-queued", "j-done"]
        assert "3 marked" in bar(table)
        assert "●" in screen_text(table)
        await pilot.press("x")
        assert requests(app)[-1] == ("cancel", ("j-pending", "j-queued"))
        assert app.notes[-1] == "Cancelling 3 marked jobs (1 already finished, left alone)…"
        await pilot.press("r")
        assert requests(app)[-1] == ("rerun", ("j-pending", "j-queued", "j-done"))
        assert "Re-running 3 marked jobs" in app.notes[-1]
        await pilot.press("d")
        assert requests(app)[-1] == ("download", ("j-pending", "j-queued", "j-done"))
        await pilot.press("delete")
        assert requests(app)[-1] == ("remove", ("j-done",))  # only finished jobs leave
        assert "2 jobs still in flight or of unknown outcome stay on the list." in app.notes
        # A filter hides marked jobs: bulk actions only touch what is shown.
        table.set_filter("done")
        assert "1 marked (+2 not shown)" in bar(table)
        await pilot.press("r")
        assert requests(app)[-1] == ("rerun", ("j-done",))
        table.set_filter(None)
        await pilot.press("escape")  # no search: esc clears the marks
        assert table.marked_ids == [] and "marked" not in bar(table)
        await pilot.press("a")
        assert len(table.marked_ids) == 7
        await pilot.press("a")
        assert table.marked_ids == []
        # Without marks the same keys act on the highlighted job and say so.
        table.select_job("j-running")
        await pilot.press("x", "r", "d", "D", "o", "c")
        assert requests(app)[-6:] == [
            ("cancel", ("j-running",)),
            ("rerun", ("j-running",)),
            ("result", ("j-running", "download")),
            ("result", ("j-running", "download_all")),
            ("result", ("j-running", "open")),
            ("result", ("j-running", "copy")),
        ]
        assert "Cancelling the highlighted job…" in app.notes


async def test_x_on_a_finished_job_says_there_is_nothing_to_cancel() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        table.select_job("j-done")
        await pilot.press("x")
        assert requests(app) == []
        assert app.notes[-1] == "This job already finished (done) — nothing to cancel."
        await pilot.press("space", "space")  # done and failed
        await pilot.press("x")
        assert requests(app) == []
        assert app.notes[-1] == "All 2 marked jobs already finished — nothing to cancel."


async def test_copy_with_marks_copies_every_output_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyperclip

    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        jobs = jobs_in_every_state()
        second = make_job(
            "j-done2",
            "done",
            result={"images": [{"url": "https://cdn/x.png"}, {"url": "https://cdn/y.png"}]},
        )
        table.upsert([*jobs, second])
        await pilot.pause()
        table.select_job("j-done")
        await pilot.press("space")
        table.select_job("j-done2")
        await pilot.press("space")
        await pilot.press("c")
        assert copied == ["http://127.0.0.1:1/files/a.png\nhttps://cdn/x.png\nhttps://cdn/y.png"]
        assert app.notes[-1].startswith("Copied 3 URLs of 2 marked jobs")


async def test_export_writes_the_marked_jobs_as_json_lines(tmp_path: Path) -> None:
    app = Host(export_dir=tmp_path)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        await pilot.press("g", "space", "j", "space")  # pending and running (space moves down)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        files = list(tmp_path.glob("faltui-jobs-*.jsonl"))
        assert len(files) == 1
        lines = files[0].read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["id"] for line in lines] == ["j-pending", "j-running"]
        assert json.loads(lines[1])["logs"][-1]["message"] == "step 12/28 [b]not markup[/b]"
        assert app.notes[-1] == f"Exported 2 marked jobs to {files[0]}"
        await pilot.press("escape", "e")  # no marks: the highlighted job
        await app.workers.wait_for_complete()
        assert len(list(tmp_path.glob("faltui-jobs-*.jsonl"))) == 2
        assert "the highlighted job" in app.notes[-1]


async def test_clicks_move_the_cursor_and_a_double_click_opens_details() -> None:
    app = Host()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobTable)
        table.upsert(jobs_in_every_state())
        await pilot.pause()
        await pilot.click(JobList, offset=(10, 3))  # header, then rows 0, 1, 2
        assert table.selected_job_id == "j-running"
        await pilot.click(JobList, offset=(10, 2), times=2)
        assert table.selected_job_id == "j-queued"
        assert requests(app) == [("details", "j-queued")]


# -- hostile text -------------------------------------------------------------------------------

HOSTILE = "[/nope] [@click=app.quit]boom[/] \x1b[31mred\x1b]0;pwned\x07 \u202eevil\u202c [b]x"


async def test_hostile_text_is_shown_literally_and_runs_nothing() -> None:
    app = Host()
    async with app.run_test(size=(200, 20)) as pilot:
        table = app.query_one(JobTable)
        bad = make_job(
            "j-bad",
            "failed",
            prompt=HOSTILE,
            error="[@click=app.quit]crash[/] \x1b[2J cleared",
            endpoint_id="fal-ai/[b]model[/b]",
            logs=["[link=http://evil]log[/link] \x1b[1mbold"],
        )
        running = make_job("j-log", "running", prompt="ok", logs=[HOSTILE])
        table.upsert([bad, running])
        await pilot.pause()
        text = screen_text(table)
        assert "[/nope] [@click=app.quit]boom[/]" in text
        assert "[@click=app.quit]crash[/]" in text
        assert "[b]model[/b]" in text
        for line in text.splitlines():
            assert "\x1b" not in line and "\x07" not in line
            assert "\u202e" not in line and "\u202c" not in line
        listing = table.job_list
        for y in range(listing.size.height):
            for segment in listing.render_line(y):
                style = segment.style
                assert style is None or not style.meta  # no @click actions, no links
                assert style is None or style.link is None
        await pilot.click(JobList, offset=(40, 1))  # click the hostile prompt
        await pilot.click(JobList, offset=(40, 2))
        await pilot.pause()
        assert app.is_running
        assert table.selected_job_id == "j-log"


def test_following_lands_on_the_last_row_when_jobs_arrive_out_of_order() -> None:
    rows = JobRows(now=NOW)
    rows.upsert([make_job("a", "done", created=NOW - 10)])
    assert rows.cursor_id == "a"
    # Reported in another order than they were created (concurrent submits): the cursor,
    # on the last row, follows to the new last row.
    rows.upsert(
        [make_job("c", "queued", created=NOW - 1), make_job("b", "queued", created=NOW - 2)]
    )
    assert rows.order == ["a", "b", "c"]
    assert rows.cursor_id == "c"
    rows.move_cursor(0)
    rows.upsert([make_job("d", "queued", created=NOW)])
    assert rows.cursor_id == "a"  # not on the last row: it stays


def test_a_pasted_request_id_with_control_characters_finds_its_job() -> None:
    rows = JobRows(now=NOW)
    hostile = "req-\x1b]52;c;eA==\x07\u202eevil"
    rows.upsert(
        [
            replace(make_job("a", "done", created=NOW - 2), request_id=hostile),
            replace(make_job("b", "done", created=NOW - 1), request_id="req-plain"),
        ]
    )
    rows.set_query(hostile)  # what `c` copied, pasted back: raw
    assert rows.query == hostile  # the box keeps what was typed
    assert rows.order == ["a"]
    rows.set_query("\x1b]52")  # part of it, raw, still matches the shown "␛]52"
    assert rows.order == ["a"]
    rows.set_query("␛]52")  # and what the row shows matches too
    assert rows.order == ["a"]
    rows.set_query("]52 \x07")  # words: each must be there; BEL shows as ␇
    assert rows.order == ["a"]
    rows.set_query("\x1b]53")
    assert rows.order == []
