"""Presets in the TUI: save the form as a named preset of its model, apply one to the form
(saying what changed in the model's schema since it was saved)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faltui.core.errors import FaltuiError
from faltui.core.presets import Preset, PresetCheck, PresetError
from faltui.core.schema import EndpointSchema, parse_openapi
from faltui.tui.screens.presets import PresetNameScreen, PresetPickScreen

if TYPE_CHECKING:
    from faltui.tui.screens.main import MainScreen


def check_note(preset: Preset, check: PresetCheck) -> str:
    """What the user is told on applying: the changes since it was saved, or that it fits."""
    lines = check.lines()
    if check.changes:
        head = (
            f"Preset {preset.name!r} was saved {preset.saved_at or 'earlier'}; the schema of "
            f"{preset.endpoint_id} changed since: "
        )
        return head + "; ".join(lines)
    if lines:
        return f"Preset {preset.name!r} does not fit the schema now: " + "; ".join(lines)
    return f"Applied preset {preset.name!r}."


class PresetFlow:
    """The preset steps of one main screen."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def _presets(self, endpoint_id: str) -> list[Preset] | None:
        try:
            return self.screen.services.presets.presets(endpoint_id)
        except (PresetError, FaltuiError) as exc:
            self.screen.notify(str(exc), title="Presets", severity="error", markup=False)
            return None

    def save(self) -> None:
        """Ask for a name, then save the form's values as a preset of its model."""
        screen = self.screen
        schema = screen.current_schema
        if screen.current_model is None or schema is None:
            screen.notify("Choose a model first.", markup=False)
            return
        endpoint_id = screen.current_model.endpoint_id
        presets = self._presets(endpoint_id)
        if presets is None:
            return
        values = screen.form.values()

        def named(name: str | None) -> None:
            if not name:
                return
            try:
                preset = screen.services.presets.save(endpoint_id, name, values, schema)
            except (PresetError, FaltuiError) as exc:
                screen.notify(str(exc), title="Preset not saved", severity="error", markup=False)
                return
            fields = ", ".join(preset.input) or "no fields"
            screen.notify(
                f"Saved preset {preset.name!r} of {endpoint_id} ({fields}).", markup=False
            )

        screen.app.push_screen(PresetNameScreen(endpoint_id, [p.name for p in presets]), named)

    def pick(self) -> None:
        """Choose one of the current model's presets and apply it."""
        screen = self.screen
        if screen.current_model is None:
            screen.notify("Choose a model first.", markup=False)
            return
        endpoint_id = screen.current_model.endpoint_id
        presets = self._presets(endpoint_id)
        if presets is None:
            return
        if not presets:
            screen.notify(
                f"{endpoint_id} has no presets yet: ctrl+o saves the form as one.", markup=False
            )
            return

        def chosen(name: str | None) -> None:
            preset = next((p for p in presets if p.name == name), None)
            if preset is not None:
                screen.run_worker(self.apply(preset), group="preset", exit_on_error=False)

        screen.app.push_screen(PresetPickScreen(endpoint_id, presets), chosen)

    async def _schema_now(self, endpoint_id: str) -> EndpointSchema | None:
        """The schema as fal serves it now (presets are where a change matters), else the
        cached or bundled one, else None."""
        catalog = self.screen.services.catalog
        try:
            return parse_openapi(await catalog.fetch_openapi(endpoint_id), endpoint_id)
        except FaltuiError:
            pass
        try:
            return await catalog.get_schema(endpoint_id)
        except FaltuiError:
            return None

    async def apply(self, preset: Preset) -> PresetCheck:
        """Fill the form of the preset's model with it; say what changed in the schema."""
        screen = self.screen
        schema = await self._schema_now(preset.endpoint_id)
        values, check = preset.apply(schema)
        note = check_note(preset, check)
        if schema is None:
            note += " (no schema found: not checked)"
        model = screen.current_model
        if model is not None and model.endpoint_id == preset.endpoint_id and schema is not None:
            screen.current_schema = schema
            screen.form.queue_values(preset.endpoint_id, values, note)
            screen.form.load(schema)
        else:
            screen.form.queue_values(preset.endpoint_id, values, note)
            screen.open_model(preset.endpoint_id)
        if check.changes or check.problems:
            screen.notify(note, title="Preset", severity="warning", markup=False, timeout=10)
        else:
            screen.notify(note, title="Preset", markup=False)
        return check


__all__ = ["PresetFlow", "check_note"]
