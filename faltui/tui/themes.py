"""Themes from TOML files: the built-in ones (package ``faltui.builtin_themes``) and the user's.

A theme file looks like::

    name = "my-theme"
    dark = true
    [colors]            # the keys may also sit at the top level
    primary = "#7C5CFF"
    background = "#12121A"
    ...
    [variables]         # faltui's own variables (job state colours) and any Textual variable
    job-running = "#FFB454"

A broken file never stops the app: loaders return the good themes plus a list of problems.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "faltui-dark"

COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "error",
    "warning",
    "success",
)

#: faltui's own CSS variables, with fallbacks used by themes that do not set them
#: (e.g. Textual's built-in themes).
JOB_STATE_VARIABLES: dict[str, str] = {
    "job-pending": "#9A9AB0",
    "job-queued": "#8AB4FF",
    "job-running": "#FFB454",
    "job-done": "#5FD38D",
    "job-failed": "#FF5C7A",
    "job-cancelled": "#7A7A8C",
    "job-lost": "#D98CFF",
    # May have run on fal, never resent: needs a look (reconcile), so not a quiet colour.
    "job-unknown": "#4FD6E0",
}


def theme_defaults(theme: Theme) -> dict[str, str]:
    """faltui's own CSS variables for a theme that does not set them.

    ``pane-border`` is the border of an unfocused pane: a step lighter than the panel colour
    on dark themes, darker on light ones (Textual's ``$border-blurred`` nearly vanishes).
    """
    colors = theme.to_color_system().generate()
    border = colors["panel-lighten-2" if theme.dark else "panel-darken-3"]
    return {**JOB_STATE_VARIABLES, "pane-border": border}


class ThemeFileError(ValueError):
    """A theme file is unreadable or describes an invalid theme."""


@dataclass
class ThemeLoad:
    """The result of loading a folder of themes: what worked and what did not."""

    themes: list[Theme]
    problems: list[str]


def theme_from_data(data: dict[str, Any], source: str) -> Theme:
    """Build a Textual ``Theme`` from parsed TOML; ``ThemeFileError`` names what is wrong."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{source}: missing 'name' (a non-empty string)")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{source}: 'dark' must be true or false")
    table = data.get("colors", {})
    if not isinstance(table, dict):
        raise ThemeFileError(f"{source}: [colors] must be a table")
    colors: dict[str, str] = {}
    for key in COLOR_KEYS:
        value = table.get(key, data.get(key))
        if value is None:
            continue
        colors[key] = _check_color(value, f"{source}: colour {key!r}")
    unknown = sorted(set(table) - set(COLOR_KEYS))
    if unknown:
        raise ThemeFileError(f"{source}: unknown colour name(s) {', '.join(unknown)}")
    if "primary" not in colors:
        raise ThemeFileError(f"{source}: missing colour 'primary'")
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{source}: [variables] must be a table")
    clean_vars: dict[str, str] = {}
    for key, value in variables.items():
        if not isinstance(value, str) or not value.strip():
            raise ThemeFileError(f"{source}: variable {key!r} must be a non-empty string")
        if key in JOB_STATE_VARIABLES:
            _check_color(value, f"{source}: variable {key!r}")
        clean_vars[str(key)] = value.strip()
    try:
        return Theme(
            name=name.strip(),
            dark=dark,
            variables=clean_vars,
            primary=colors["primary"],
            secondary=colors.get("secondary"),
            accent=colors.get("accent"),
            foreground=colors.get("foreground"),
            background=colors.get("background"),
            surface=colors.get("surface"),
            panel=colors.get("panel"),
            boost=colors.get("boost"),
            error=colors.get("error"),
            warning=colors.get("warning"),
            success=colors.get("success"),
        )
    except Exception as exc:  # Textual validates again; report, never crash
        raise ThemeFileError(f"{source}: {exc}") from exc


def _check_color(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f'{what} must be a string such as "#7C5CFF"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{what}: {value!r} is not a colour") from None
    return value


def theme_from_toml(text: str, source: str) -> Theme:
    """Parse TOML text into a ``Theme``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{source}: not valid TOML ({exc})") from None
    return theme_from_data(data, source)


def load_theme_file(path: Path) -> Theme:
    """Read one theme file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path}: cannot read ({exc})") from None
    return theme_from_toml(text, str(path))


def builtin_themes() -> ThemeLoad:
    """The themes shipped in ``faltui.builtin_themes``."""
    themes: list[Theme] = []
    problems: list[str] = []
    folder = resources.files("faltui.builtin_themes")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            themes.append(theme_from_toml(entry.read_text(encoding="utf-8"), entry.name))
        except ThemeFileError as exc:
            problems.append(str(exc))
    return ThemeLoad(themes, problems)


def user_themes(folder: Path) -> ThemeLoad:
    """Every ``*.toml`` in the user's theme folder (a missing folder is simply empty)."""
    themes: list[Theme] = []
    problems: list[str] = []
    try:
        paths = sorted(folder.glob("*.toml"))
    except OSError as exc:
        return ThemeLoad([], [f"{folder}: cannot list themes ({exc})"])
    for path in paths:
        try:
            themes.append(load_theme_file(path))
        except ThemeFileError as exc:
            problems.append(str(exc))
    return ThemeLoad(themes, problems)


def load_all_themes(user_dir: Path | None) -> ThemeLoad:
    """Built-in themes followed by the user's (a user theme may replace a built-in by name)."""
    result = builtin_themes()
    if user_dir is not None:
        extra = user_themes(user_dir)
        result.themes.extend(extra.themes)
        result.problems.extend(extra.problems)
    return result
