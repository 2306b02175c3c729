"""Snapshots of the parameter form for three very different real schemas, at 100x40.

Regenerate after an intended change with ``pytest tests/tui/test_snapshots_form.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

from form_host import FLUX, KLING, WHISPER, FormHost, schema_for
from textual.widgets import Collapsible, Input, TextArea

from faltui.core.errors import FieldError

SIZE = (100, 40)


async def steady(pilot) -> None:
    """No blinking cursors: the snapshot must not depend on when it is taken."""
    await pilot.pause()
    for widget in pilot.app.query(Input):
        widget.cursor_blink = False
    for widget in pilot.app.query(TextArea):
        widget.cursor_blink = False
    await pilot.pause()


def test_form_flux_dev(snap_compare) -> None:
    """Text-to-image: prompt, image-size presets, numbers; Advanced collapsed."""
    assert snap_compare(FormHost(schema_for(FLUX)), terminal_size=SIZE, run_before=steady)


def test_form_kling_v3_with_shots_and_errors(snap_compare) -> None:
    """Text-to-video: string-enum duration, a list of shot objects, a nested error."""
    values = {
        "prompt": "A surfer rides a wave at sunset",
        "duration": "10",
        "multi_prompt": [{"prompt": "wide shot of the bay", "duration": "5"}, {"duration": "5"}],
    }

    async def check(pilot) -> None:
        await pilot.pause()
        pilot.app.form.check()
        await steady(pilot)

    assert snap_compare(FormHost(schema_for(KLING), values), terminal_size=SIZE, run_before=check)


def test_form_whisper_advanced_open(snap_compare) -> None:
    """Speech-to-text: file field, nullable enum, const; Advanced opened; a server error."""

    async def open_advanced(pilot) -> None:
        await pilot.pause()
        pilot.app.query_one(".form-advanced", Collapsible).collapsed = False
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        pilot.app.form.mark_errors([FieldError(("audio_url",), "File could not be downloaded")])
        await steady(pilot)

    assert snap_compare(FormHost(schema_for(WHISPER)), terminal_size=SIZE, run_before=open_advanced)
