"""The help screen: every binding that is really active, grouped by pane and dialog.

Bindings are read from the classes of the live DOM (the app, the main screen and each pane's
widgets) and of the dialogs, with the user's keymap applied, so a remapped key shows its new
key here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from faltui.tui.format import literal_block


@dataclass
class HelpRow:
    """One action and the keys bound to it."""

    keys: list[str]
    description: str
    binding_id: str | None


@dataclass
class HelpSection:
    """The bindings of one area of the app."""

    title: str
    rows: list[HelpRow]


def class_bindings(cls: type[DOMNode], keymap: Mapping[str, str]) -> list[Binding]:
    """The bindings a node of class ``cls`` has (its own and inherited), with the keymap
    applied: later classes in the MRO override a key, as Textual merges them."""
    maps = [BindingsMap(base.__dict__.get("BINDINGS", [])) for base in reversed(cls.__mro__)]
    merged = BindingsMap.merge(maps)
    if keymap:
        merged.apply_keymap(dict(keymap))
    return [binding for _key, binding in merged]


def collect_rows(
    classes: Iterable[type[DOMNode]],
    app: App[object],
    keymap: Mapping[str, str],
    *,
    only_ids: bool = False,
) -> list[HelpRow]:
    """Bindings of the given classes with a description, one row per action, keys merged.

    ``only_ids`` keeps just bindings with an id (faltui's own, remappable ones), leaving out
    the generic movement keys every Textual list or input has.
    """
    rows: dict[tuple[str, str], HelpRow] = {}
    for cls in dict.fromkeys(classes):
        for binding in class_bindings(cls, keymap):
            description = binding.description or binding.tooltip
            if not description or binding.system or (only_ids and not binding.id):
                continue
            group = (binding.id or binding.action, description)
            row = rows.setdefault(group, HelpRow([], description, binding.id))
            key = app.get_key_display(binding)
            if key not in row.keys:
                row.keys.append(key)
    return list(rows.values())


def collect_sections(
    app: App[Any],
    screen: Screen[Any],
    panes: Sequence[tuple[str, Widget]],
    keymap: Mapping[str, str],
    dialogs: Sequence[tuple[str, type[Screen[Any]]]] = (),
) -> list[HelpSection]:
    """Sections: global bindings (app and main screen), one per pane, one per dialog."""
    sections = [HelpSection("Everywhere", collect_rows([type(app), type(screen)], app, keymap))]
    for title, pane in panes:
        classes = [
            type(node)
            for node in pane.walk_children(with_self=True)
            if type(node).__module__.startswith("faltui.")
        ]
        rows = collect_rows(classes, app, keymap, only_ids=True)
        if rows:
            sections.append(HelpSection(title, rows))
    for title, dialog in dialogs:
        rows = collect_rows([dialog], app, keymap, only_ids=True)
        if rows:
            sections.append(HelpSection(title, rows))
    return sections


def render_sections(sections: Sequence[HelpSection]) -> Text:
    """The help text (literal Text: descriptions are never markup)."""
    text = Text()
    width = max((len(", ".join(r.keys)) for s in sections for r in s.rows), default=8)
    width = min(max(width, 8), 24)
    for index, section in enumerate(sections):
        if index:
            text.append("\n")
        text.append(section.title + "\n", style="bold underline")
        for row in section.rows:
            text.append(f"  {', '.join(row.keys):<{width}}  ", style="bold")
            text.append(row.description)
            if row.binding_id:
                text.append(f"  [{row.binding_id}]", style="dim")
            text.append("\n")
    return text


def render_notes(notes: Sequence[str]) -> Text:
    """The session's problems (literal: they quote paths, server errors and file names)."""
    text = Text()
    text.append("Problems this session\n", style="bold underline")
    for note in notes:
        text.append("• ", style="bold")
        text.append(literal_block(note) + "\n")
    return text


class HelpScreen(ModalScreen[None]):
    """Lists the active bindings; ``escape``, ``q`` or ``f1`` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; max-width: 100; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1; }
    HelpScreen #help-title { height: 1; text-style: bold; }
    HelpScreen #help-hint { height: 1; color: $text-muted; }
    HelpScreen #help-notes { color: $warning; margin-bottom: 1; }
    """

    BINDINGS = [
        Binding("escape,q,f1", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, sections: Sequence[HelpSection], *, notes: Sequence[str] = ()) -> None:
        super().__init__()
        self.sections = list(sections)
        self.notes = list(notes)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("faltui — keys", id="help-title")
            yield Static(
                Text(
                    "escape, q or f1 closes this · remap keys in the config's [keymap] "
                    'table: binding-id = "keys"'
                ),
                id="help-hint",
            )
            with VerticalScroll(id="help-body"):
                if self.notes:  # first: a problem (a repaired journal) matters more than keys
                    yield Static(render_notes(self.notes), id="help-notes")
                yield Static(render_sections(self.sections), id="help-bindings")

    @property
    def plain(self) -> str:
        """The listed bindings as plain text."""
        return render_sections(self.sections).plain

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
