"""The help screen: every binding that is really active, grouped by pane.

Bindings are read from the live DOM (the app, the main screen and each pane's widgets) with
the user's keymap applied, so a remapped key shows its new key here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static


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


def node_bindings(node: DOMNode) -> list[Binding]:
    """A node's bindings with the app's keymap applied (as Textual applies it when dispatching)."""
    # Textual keeps these in private attributes; this mirrors Screen._binding_chain.
    bindings_map = node._bindings.copy()
    keymap = getattr(node.app, "_keymap", None)
    if keymap:
        bindings_map.apply_keymap(keymap)
    return [binding for _key, binding in bindings_map]


def collect_rows(
    nodes: Iterable[DOMNode], app: DOMNode, *, only_ids: bool = False
) -> list[HelpRow]:
    """Bindings of the given nodes with a description, one row per action, keys merged.

    ``only_ids`` keeps just bindings with an id (faltui's own, remappable ones), leaving out
    the generic movement keys every Textual list or input has.
    """
    rows: dict[tuple[str, str], HelpRow] = {}
    for node in nodes:
        for binding in node_bindings(node):
            description = binding.description or binding.tooltip
            if not description or binding.system or (only_ids and not binding.id):
                continue
            group = (binding.id or binding.action, description)
            row = rows.setdefault(group, HelpRow([], description, binding.id))
            key = app.get_key_display(binding)  # type: ignore[attr-defined]
            if key not in row.keys:
                row.keys.append(key)
    return list(rows.values())


def collect_sections(app: DOMNode, panes: Sequence[tuple[str, Widget]]) -> list[HelpSection]:
    """Sections: global bindings (app and main screen), then one per pane."""
    screen = panes[0][1].screen if panes else None
    global_nodes: list[DOMNode] = [app] + ([screen] if screen is not None else [])
    sections = [HelpSection("Everywhere", collect_rows(global_nodes, app))]
    for title, pane in panes:
        nodes = [
            node
            for node in pane.walk_children(with_self=True)
            if type(node).__module__.startswith("faltui.")
        ]
        rows = collect_rows(nodes, app, only_ids=True)
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


class HelpScreen(ModalScreen[None]):
    """Lists the active bindings; ``escape``, ``q`` or ``f1`` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; max-width: 100; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1; }
    HelpScreen #help-title { height: 1; text-style: bold; }
    HelpScreen #help-hint { height: 1; color: $text-muted; }
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
                Text('Remap keys in the config\'s [keymap] table: binding-id = "keys".'),
                id="help-hint",
            )
            with VerticalScroll(id="help-body"):
                yield Static(render_sections(self.sections), id="help-bindings")
                if self.notes:
                    yield Static(Text("\n".join(self.notes)), id="help-notes")

    @property
    def plain(self) -> str:
        """The listed bindings as plain text."""
        return render_sections(self.sections).plain

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
