"""Hand-built jobs for the TUI tests (no network): every state, fixed timestamps."""

from __future__ import annotations

from typing import Any

from faltui.core.job import Job, JobState

try:
    from faltui.core.client import LogLine
except ImportError:  # the client lands separately; its data classes already exist
    from faltui.core.client.models import LogLine

#: The fixed "now" of the tests (2026-01-01T12:00:00Z).
NOW = 1_767_268_800.0


def _auto_submit(state: str, created: float) -> float | None:
    return None if state == "pending" else created + 0.5


def make_job(
    job_id: str,
    state: str,
    *,
    endpoint_id: str = "fal-ai/flux/dev",
    prompt: str = "a red fox in the snow",
    created: float = NOW - 60,
    submitted: float | None = None,
    started: float | None = None,
    finished: float | None = None,
    logs: list[str] | None = None,
    **extra: Any,
) -> Job:
    """A job with its timestamps set consistently with its state."""
    job = Job(
        endpoint_id=endpoint_id,
        input={"prompt": prompt, "seed": 7},
        id=job_id,
        state=JobState(state),
        created_at=created,
        submitted_at=submitted if submitted is not None else _auto_submit(state, created),
        started_at=started,
        finished_at=finished,
        request_id=f"req-{job_id}",
        logs=[LogLine(m, f"2026-01-01T11:59:{i:02d}") for i, m in enumerate(logs or [])],
        **extra,
    )
    return job


def jobs_in_every_state() -> list[Job]:
    """Seven jobs, one per state, created a second apart."""
    t = NOW - 100
    return [
        make_job("j-pending", "pending", created=t, prompt="still uploading"),
        make_job(
            "j-queued", "queued", created=t + 1, queue_position=3, prompt="a lighthouse at dusk"
        ),
        make_job(
            "j-running",
            "running",
            created=t + 2,
            started=t + 10,
            logs=["loading weights", "step 12/28 [b]not markup[/b]"],
            prompt="portrait of an astronaut cat",
        ),
        make_job(
            "j-done",
            "done",
            created=t + 3,
            started=t + 5,
            finished=t + 7.25,
            logs=["done in 2.2s"],
            result={"images": [{"url": "http://127.0.0.1:1/files/a.png", "width": 64}]},
            prompt="mountains\nat night",
        ),
        make_job(
            "j-failed",
            "failed",
            created=t + 4,
            finished=t + 9,
            error="CUDA out of memory [red]x[/red]",
            error_type="runner_error",
            endpoint_id="fal-ai/kling-video/v2",
            prompt="a dancing robot",
        ),
        make_job("j-cancelled", "cancelled", created=t + 5, finished=t + 6, prompt="never mind"),
        make_job(
            "j-lost",
            "lost",
            created=t + 6,
            error="fal no longer knows this request",
            endpoint_id="fal-ai/whisper",
            prompt="",
            label="meeting.wav",
        ),
    ]
