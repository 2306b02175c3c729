"""The model picker of a send to another model: only the models that can take the job's
outputs, best first, with where each output would go; typing filters them."""

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

from faltui.core.send_to import ModelFit, Sendable
from faltui.tui.format import one_line

#: Most models listed at once (the filter narrows the rest).
MAX_SHOWN = 200


def fit_label(fit: ModelFit, name: str) -> Text:
    """``Kling 1.0  fal-ai/kling…`` over the hint (``images[0] → image_url``)."""
    text = Text(one_line(name) or fit.endpoint_id, style="bold")
    if name and name != fit.endpoint_id:
        text.append(f"  {one_line(fit.endpoint_id)}", style="dim")
    text.append(f"\n  {one_line(fit.hint())}", style="dim" if not fit.checked else "")
    return text


def outputs_line(outputs: Sequence[Sendable]) -> str:
    """``Sending 2 outputs: images[0] (image), images[1] (image)``."""
    shown = ", ".join(f"{o.label} ({o.kind})" for o in outputs[:4])
    more = f" and {len(outputs) - 4} more" if len(outputs) > 4 else ""
    count = len(outputs)
    return f"Sending {count} output{'s' if count != 1 else ''}: {shown}{more}"


class SendToScreen(ModalScreen[str | None]):
    """Choose the model to send outputs to; dismisses with its endpoint id or ``None``."""

    DEFAULT_CSS = """
    SendToScreen { align: center middle; }
    SendToScreen > Vertical { width: 90%; max-width: 110; height: 80%; border: thick $primary;
        background: $surface; padding: 0 1; }
    SendToScreen #send-what { height: auto; color: $text-muted; }
    SendToScreen #send-models { height: 1fr; }
    SendToScreen #send-keys { height: 1; color: $text-muted; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="send.cancel"),
        Binding("down", "cursor('down')", "Down", show=False, id="send.down"),
        Binding("up", "cursor('up')", "Up", show=False, id="send.up"),
    ]

    def __init__(
        self,
        fits: Sequence[ModelFit],
        names: dict[str, str],
        outputs: Sequence[Sendable],
        source: str,
    ) -> None:
        super().__init__()
        self.fits = list(fits)
        self.names = names
        self.outputs = list(outputs)
        self.source = source

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(f"Send the outputs of {one_line(self.source)} to another model"),
                id="send-title",
            )
            yield Static(Text(outputs_line(self.outputs)), id="send-what")
            yield Input(placeholder="filter models…", id="send-filter")
            yield OptionList(id="send-models")
            yield Static("enter choose · ↑/↓ move · escape cancel", id="send-keys")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Send to another model"
        self._fill("")
        self.query_one("#send-filter", Input).focus()

    def shown(self) -> list[str]:
        """The endpoint ids listed now, in order."""
        options = self.query_one("#send-models", OptionList)
        return [str(options.get_option_at_index(i).id) for i in range(options.option_count)]

    def _fill(self, query: str) -> None:
        words = query.lower().split()
        options = self.query_one("#send-models", OptionList)
        options.clear_options()
        picked = []
        for fit in self.fits:
            name = self.names.get(fit.endpoint_id, "")
            haystack = f"{fit.endpoint_id} {name}".lower()
            if all(word in haystack for word in words):
                picked.append(Option(fit_label(fit, name), id=fit.endpoint_id))
            if len(picked) >= MAX_SHOWN:
                break
        options.add_options(picked)
        if picked:
            options.highlighted = 0

    @on(Input.Changed, "#send-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    @on(Input.Submitted, "#send-filter")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#send-models", OptionList)
        if options.highlighted is None:
            self.notify("No model matches: change the filter.", markup=False)
            return
        self.dismiss(str(options.get_option_at_index(options.highlighted).id))

    @on(OptionList.OptionSelected, "#send-models")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(str(event.option.id))

    def action_cursor(self, where: str) -> None:
        """Move the highlight while the filter has focus."""
        options = self.query_one("#send-models", OptionList)
        if where == "down":
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)


__all__ = ["SendToScreen", "fit_label", "outputs_line"]
