"""JobDetailScreen: every section, literal text, live refresh, escape, copy request id."""

from __future__ import annotations

import pytest
from job_samples import NOW, make_job
from textual.app import App
from textual.widgets import Static

from faltui.core.config import Settings
from faltui.core.errors import FieldError
from faltui.core.job import JobState
from faltui.tui.format import format_time
from faltui.tui.screens.job_detail import JobDetailScreen, detail_text


def failed_job():
    return make_job(
        "f1",
        "failed",
        created=NOW - 30,
        started=NOW - 20,
        finished=NOW - 5,
        error="Traceback [b]boom[/b]\n  line 2\x1b[2J",
        error_type="validation",
        field_errors=[FieldError(("prompt",), "too long", "max_length")],
        logs=["starting", "[red]oops[/red]"],
        metrics={"inference_time": 1.25},
        result=None,
    )


def test_detail_text_has_every_section() -> None:
    job = failed_job()
    text = detail_text(job).plain
    for part in (
        "fal-ai/flux/dev  failed",
        "request id  req-f1",
        format_time(job.created_at),
        "(+9.5s)",  # queue wait: started - submitted
        "fal's metrics (from the queue status)",
        "inference_time  1.25",
        "type  validation",
        "Traceback [b]boom[/b]\n  line 2[2J",
        "prompt: too long",
        '"prompt": "a red fox in the snow"',
        "Logs (2)",
        "[red]oops[/red]",
    ):
        assert part in text, part
    assert "\x1b" not in text


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs: object) -> None:  # type: ignore[override]
        self.notes.append(message)
        super().notify(message, **kwargs)  # type: ignore[arg-type]


async def test_screen_refreshes_copies_and_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyperclip

    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    job = make_job("r1", "running", started=NOW - 3, logs=["step 1"])
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = JobDetailScreen(job, Settings())
        await app.push_screen(screen)
        await pilot.pause()
        assert "step 1" in str(screen.query_one("#detail-text", Static).render())
        job.logs.append(make_job("x", "running", logs=["step 2"]).logs[0])
        job.state = JobState.done
        screen.refresh_detail()
        await pilot.pause()
        assert "step 2" in str(screen.query_one("#detail-text", Static).render())
        await pilot.press("c")
        assert copied == ["req-r1"]
        assert "Copied request id req-r1" in app.notes[-1]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


def test_fal_metrics_and_the_models_own_timings_are_labelled_by_source() -> None:
    job = make_job(
        "t1",
        "done",
        started=NOW - 8,
        finished=NOW - 2,
        metrics={"inference_time": 5.0},
        result={"images": [], "timings": {"inference": 0.75}},
    )
    text = detail_text(job).plain
    metrics_at = text.index("fal's metrics (from the queue status)")
    timings_at = text.index("The model's own timings (from its result)")
    assert metrics_at < text.index("inference_time  5.0") < timings_at
    assert timings_at < text.index("inference  0.75")


async def test_exports_are_copied_runnable_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyperclip

    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    secret = "abcd1234:secretsecretsecret99"
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(JobDetailScreen(failed_job(), Settings(key=secret)))
        await pilot.pause()
        await pilot.press("p", "u", "l")
        python, curl, cli = copied
        compile(python, "job.py", "exec")
        assert "fal_client.subscribe(" in python and "sys.exit(main())" in python
        assert curl.startswith("#!/bin/sh") and "--fail-with-body" in curl
        assert cli.startswith("faltui run -m fal-ai/flux/dev -w")
        assert not any(secret in text or "secretsecret" in text for text in copied)
        assert "exits non-zero with fal's error when the job fails" in app.notes[-1]
