"""Theme files: the built-ins load, user themes add or replace, broken files are reported."""

from pathlib import Path

import pytest

from faltui.tui.themes import (
    JOB_STATE_VARIABLES,
    ThemeFileError,
    builtin_themes,
    load_all_themes,
    theme_from_toml,
)

GOOD = """
name = "mine"
dark = false
primary = "#123456"
[variables]
job-running = "orange"
"""


def test_at_least_four_builtins_with_job_colours() -> None:
    loaded = builtin_themes()
    assert loaded.problems == []
    names = {t.name for t in loaded.themes}
    assert len(names) >= 4 and "faltui-dark" in names
    for theme in loaded.themes:
        assert set(JOB_STATE_VARIABLES) <= set(theme.variables), theme.name
        assert theme.background and theme.surface and theme.panel and theme.error


def test_top_level_colours_and_variables() -> None:
    theme = theme_from_toml(GOOD, "mine.toml")
    assert theme.name == "mine" and theme.dark is False and theme.primary == "#123456"
    assert theme.variables == {"job-running": "orange"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name = ", "not valid TOML"),
        ('dark = true\nprimary = "#fff"', "missing 'name'"),
        ('name = "x"', "missing colour 'primary'"),
        ('name = "x"\nprimary = "notacolour"', "is not a colour"),
        ('name = "x"\nprimary = "#fff"\n[colors]\nprimray = "#fff"', "unknown colour"),
        ('name = "x"\nprimary = "#fff"\ndark = "yes"', "'dark' must be"),
        ('name = "x"\nprimary = "#fff"\n[variables]\njob-done = "zzz"', "job-done"),
    ],
)
def test_bad_theme_names_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(ThemeFileError) as info:
        theme_from_toml(text, "bad.toml")
    assert fragment in str(info.value) and "bad.toml" in str(info.value)


def test_user_folder_mixes_good_and_bad(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.toml").write_text("name = [", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    loaded = load_all_themes(tmp_path)
    names = [t.name for t in loaded.themes]
    assert "mine" in names and "faltui-dark" in names
    assert len(loaded.problems) == 1 and "broken.toml" in loaded.problems[0]


def test_missing_user_folder_is_fine(tmp_path: Path) -> None:
    loaded = load_all_themes(tmp_path / "nope")
    assert loaded.problems == [] and len(loaded.themes) >= 4
