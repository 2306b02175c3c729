"""A tiny host app holding only a ParamForm, and loaders for the real fal schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult

from faltui.core.schema import parse_openapi
from faltui.tui.widgets.param_form import ParamForm

BUNDLED = Path(__file__).resolve().parents[2] / "faltui" / "data" / "schemas"

FLUX = "fal-ai/flux/dev"
KLING = "fal-ai/kling-video/v3/pro/text-to-video"
WHISPER = "fal-ai/whisper"


def openapi(endpoint_id: str) -> dict[str, Any]:
    """A real OpenAPI document (the copy bundled in faltui/data/schemas)."""
    name = endpoint_id.replace("/", "__") + ".json"
    return json.loads((BUNDLED / name).read_text(encoding="utf-8"))


def parse(doc: dict[str, Any], endpoint_id: str | None = None) -> Any:
    """``faltui.core.schema.parse_openapi``."""
    return parse_openapi(doc, endpoint_id)


def schema_for(endpoint_id: str) -> Any:
    """The parsed schema of a real endpoint."""
    return parse(openapi(endpoint_id), endpoint_id)


class FormHost(App[None]):
    """Just the form; records Submit messages and notifications."""

    def __init__(
        self, schema: Any, values: dict[str, Any] | None = None, *, autoload: bool = True
    ) -> None:
        super().__init__()
        self.autoload = autoload
        self.schema = schema
        self.values = values
        self.submitted: list[ParamForm.Submit] = []
        self.notes: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield ParamForm(id="form")

    def on_mount(self) -> None:
        if self.autoload:
            self.form.load(self.schema, self.values)

    @property
    def form(self) -> ParamForm:
        """The form under test."""
        return self.query_one("#form", ParamForm)

    def on_param_form_submit(self, message: ParamForm.Submit) -> None:
        self.submitted.append(message)

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append((str(kwargs.get("severity", "information")), message))
        super().notify(message, **kwargs)
