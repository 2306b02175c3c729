"""The presets dialogs: a name to save the form under, and a preset to apply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from faltui.core.presets import Preset, PresetError, check_name
from faltui.tui.format import one_line

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 80; max-width: 95%; height: auto; max-height: 80%;
    border: thick $primary; background: $surface; padding: 0 1; }}
{name} .preset-note {{ height: auto; color: $text-muted; }}
{name} .preset-error {{ height: auto; color: $error; }}
{name} OptionList {{ height: auto; max-height: 16; }}
"""


class PresetNameScreen(ModalScreen[str | None]):
    """Ask for a preset name (an existing one is replaced); dismisses with it or ``None``."""

    DEFAULT_CSS = _CSS.format(name="PresetNameScreen")
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="preset_name.cancel")]

    def __init__(self, endpoint_id: str, existing: Sequence[str]) -> None:
        super().__init__()
        self.endpoint_id = endpoint_id
        self.existing = list(existing)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Save the form of {one_line(self.endpoint_id)} as a preset named:"))
            yield Input(placeholder="e.g. portrait-hq", id="preset-name")
            yield Static("", classes="preset-error", id="preset-error")
            have = ", ".join(self.existing) if self.existing else "none yet"
            yield Static(
                Text(f"Presets of this model: {have} (the same name replaces one)"),
                classes="preset-note",
            )
            yield Static("enter save · escape cancel", classes="preset-note")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Save preset"
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            name = check_name(event.value)
        except PresetError as exc:
            self.query_one("#preset-error", Static).update(Text(str(exc)))
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


def preset_label(preset: Preset) -> Text:
    """``portrait-hq  saved 2026-11-30T10:00:00Z · 4 fields``."""
    text = Text(one_line(preset.name), style="bold")
    fields = len(preset.input)
    when = f"saved {preset.saved_at} · " if preset.saved_at else ""
    text.append(f"  {when}{fields} field{'s' if fields != 1 else ''}", style="dim")
    return text


class PresetPickScreen(ModalScreen[str | None]):
    """Choose a preset of the model to apply; dismisses with its name or ``None``."""

    DEFAULT_CSS = _CSS.format(name="PresetPickScreen")
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="preset_pick.cancel")]

    def __init__(self, endpoint_id: str, presets: Sequence[Preset]) -> None:
        super().__init__()
        self.endpoint_id = endpoint_id
        self.presets = list(presets)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Apply a preset of {one_line(self.endpoint_id)} to the form:"))
            yield OptionList(
                *(Option(preset_label(p), id=p.name) for p in self.presets), id="preset-list"
            )
            yield Static("enter apply · escape cancel", classes="preset-note")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Apply preset"
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(str(event.option.id))

    def action_cancel(self) -> None:
        """Close without applying."""
        self.dismiss(None)


__all__ = ["PresetNameScreen", "PresetPickScreen", "preset_label"]
