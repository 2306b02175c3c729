"""AppState: favourites, recents, theme and form values persist; bad files do not crash."""

import json
from pathlib import Path

from faltui.core.state import AppState, Draft, ForkNote


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "data" / "state.json"
    state = AppState.load(path)
    assert state.favourites == [] and state.problems == []
    assert state.toggle_favourite("fal-ai/flux/dev") is True
    state.touch_recent("fal-ai/flux/schnell")
    state.touch_recent("fal-ai/flux/dev")
    state.set_theme("faltui-ember")
    draft = Draft({"prompt": "a cat", "seed": 3}, {("num_images",): "2.5"}, ForkNote("j1", 3))
    assert state.keep_draft("fal-ai/flux/dev", draft)
    assert state.save() is None

    again = AppState.load(path)
    assert again.favourites == ["fal-ai/flux/dev"]
    assert again.recents == ["fal-ai/flux/dev", "fal-ai/flux/schnell"]
    assert again.theme == "faltui-ember"
    assert again.draft_for("fal-ai/flux/dev") == draft
    assert again.draft_for("unknown/model") is None


def test_toggle_twice_and_recents_are_bounded(tmp_path: Path) -> None:
    state = AppState(tmp_path / "s.json", max_recents=3)
    state.toggle_favourite("a/b")
    assert state.toggle_favourite("a/b") is False
    assert not state.is_favourite("a/b")
    for name in ["a/1", "a/2", "a/3", "a/4", "a/2"]:
        state.touch_recent(name)
    assert state.recents == ["a/2", "a/4", "a/3"]


def test_broken_file_is_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")
    state = AppState.load(path)
    assert state.favourites == []
    assert len(state.problems) == 1 and "not valid JSON" in state.problems[0]
    # Saving replaces the broken file with a good one.
    state.toggle_favourite("x/y")
    assert state.save() is None
    assert AppState.load(path).favourites == ["x/y"]


def test_wrong_shapes_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(
        '{"favourites": "nope", "recents": [1, "a/b", "a/b"], "theme": 5,'
        ' "last_values": {"m/x": 3, "m/y": {"k": 1}},'
        ' "drafts": {"m/z": {"values": {"a": 1}, "texts": [[[], "x"], [["a"], 5]],'
        ' "fork": {"job_id": 7}}, "m/w": []}}',
        encoding="utf-8",
    )
    state = AppState.load(path)
    assert state.favourites == []
    assert state.recents == ["a/b"]
    assert state.theme is None
    # version 1's last submitted values become drafts; broken parts of drafts are dropped
    assert state.drafts == {"m/z": Draft({"a": 1}), "m/y": Draft({"k": 1})}


def test_unserialisable_or_huge_drafts_are_not_kept(tmp_path: Path) -> None:
    state = AppState(tmp_path / "s.json")
    assert not state.keep_draft("m/a", Draft({"x": object()}))
    assert not state.keep_draft("m/b", Draft({"prompt": "x" * 100_000}))
    assert not state.keep_draft("m/c", Draft({"x": float("nan")}))
    assert state.drafts == {}


def test_drafts_are_bounded_least_recently_kept_first(tmp_path: Path) -> None:
    from faltui.core.state import MAX_DRAFTS

    state = AppState(tmp_path / "s.json")
    for i in range(MAX_DRAFTS + 5):
        state.keep_draft(f"m/{i}", Draft({"i": i}))
    state.keep_draft("m/5", Draft({"i": "again"}))  # kept again: the newest now
    state.keep_draft("m/new", Draft({}))
    assert len(state.drafts) == MAX_DRAFTS
    assert "m/0" not in state.drafts and "m/5" in state.drafts and "m/6" not in state.drafts


def test_save_error_is_returned(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    state = AppState(blocker / "sub" / "state.json")
    error = state.save()
    assert error is not None and "cannot save state file" in error


def test_layout_is_kept_and_bad_entries_dropped(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = AppState.load(path)
    state.layout = {"models": 5, "results": 6}
    assert state.save() is None
    assert AppState.load(path).layout == {"models": 5, "results": 6}
    data = json.loads(path.read_text())
    data["layout"] = {"models": 0, "form": 13, "right": "5", "jobs": True, "results": 2}
    path.write_text(json.dumps(data))
    assert AppState.load(path).layout == {"results": 2}
