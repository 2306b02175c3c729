"""The hostile corpus (``tests/hostile.py``) placed where the TUI shows it.

A hostile model for the emulator's catalog (its name, category, description, fields,
examples, enum values), jobs in a journal whose every string is hostile (as if a server had
sent them), and a theme file with a hostile name. Click targets carry the folder a
``[@click=app.screenshot(…)]`` would write to, so a test can check that nothing was written.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from hostile import ALL_IN_ONE, BIDI, CORPUS, ESCAPES, HOSTILE_MODEL, MARKUP, hostile_openapi
from job_samples import NOW

from faltui.core.client.models import LogLine
from faltui.core.config import Settings
from faltui.core.errors import FieldError
from faltui.core.job import Job, JobState
from faltui.core.journal import Journal

#: What the hostile model is called in the browser (searchable as "hostile").
DISPLAY_NAME = "Hostile " + MARKUP["click_quit"] + ESCAPES["csi_clear"]
CATEGORY = "zz " + MARKUP["closing_tag"] + BIDI["rlo"]
#: The request id of the hostile done job.
REQUEST_ID = "req-" + ESCAPES["osc52_clipboard"] + BIDI["rlo"] + ESCAPES["c1_csi"] + "[/nope]"
#: The endpoint id of the hostile jobs (a journal may hold anything).
JOB_ENDPOINT = "evil/" + MARKUP["bold"] + ESCAPES["osc0_title"]


def screenshot_click(folder: Path, label: str = "CLICK") -> str:
    """Markup that, if parsed, writes ``x.svg`` into ``folder`` when clicked."""
    return f"[@click=app.screenshot('x.svg','{folder}')]{label}[/]"


def hostile_model_openapi(folder: Path) -> dict[str, Any]:
    """``hostile_openapi`` with a hostile name, category and description for the browser, and
    screenshot clicks aimed at ``folder`` in the description and a field's help."""
    doc = hostile_openapi(HOSTILE_MODEL)
    meta = doc["info"].setdefault("x-fal-metadata", {})
    meta["displayName"] = DISPLAY_NAME
    meta["category"] = CATEGORY
    doc["info"]["description"] = ALL_IN_ONE + " " + screenshot_click(folder, "SHOT")
    inputs = next(v for k, v in doc["components"]["schemas"].items() if k.endswith("Input"))
    evil = next(v for k, v in inputs["properties"].items() if k.startswith("evil"))
    evil["description"] += " " + screenshot_click(folder)
    return doc


def _logs(*messages: str) -> list[LogLine]:
    return [LogLine(m, f"2026-01-01T11:59:{i:02d}", "INFO") for i, m in enumerate(messages)]


def hostile_jobs(cdn: str) -> list[Job]:
    """A done, a failed and an unknown-outcome job; every string they carry is hostile.

    ``cdn`` is the base of the result's file URLs (nothing is fetched from it).
    """
    start = NOW - 300
    done = Job(
        endpoint_id=JOB_ENDPOINT,
        input={"prompt": ALL_IN_ONE, "seed": 7, MARKUP["link"]: ESCAPES["csi_clear"]},
        id="hostile-done",
        state=JobState.done,
        request_id=REQUEST_ID,
        label=MARKUP["click_quit"],
        logs=_logs(*CORPUS.values()),
        result={
            "images": [
                {
                    "url": f"{cdn}/files/evil{ESCAPES['csi_clear']}[b]x[/b]{BIDI['rlo']}.png",
                    "content_type": "image/png" + ESCAPES["osc0_title"],
                    "width": 64,
                    "height": 64,
                }
            ],
            "text": ALL_IN_ONE + "\n" + CORPUS["long_line"],
            "timings": {MARKUP["bold"]: ESCAPES["c1_osc"]},
        },
        metrics={MARKUP["closing_tag"]: ESCAPES["osc8_link"]},
        created_at=start,
        submitted_at=start + 1,
        started_at=start + 2,
        finished_at=start + 5,
    )
    failed = Job(
        endpoint_id=JOB_ENDPOINT,
        input={"prompt": MARKUP["closing_tag"] + ESCAPES["c1_csi"]},
        id="hostile-failed",
        state=JobState.failed,
        request_id="req-" + MARKUP["closing_tag"],
        error=ALL_IN_ONE + "\n" + CORPUS["long_line"],
        error_type=MARKUP["closing_tag"] + ESCAPES["del_nul_bel"],
        field_errors=[FieldError(("prompt", MARKUP["bold"]), ESCAPES["osc52_clipboard"], "x")],
        logs=_logs(MARKUP["click_quit"], ESCAPES["csi_clear"]),
        created_at=start + 10,
        submitted_at=start + 11,
        finished_at=start + 12,
    )
    unknown = Job(
        endpoint_id="fal-ai/flux/dev",
        input={"prompt": MARKUP["click_quit"] + BIDI["isolates"]},
        id="hostile-unknown",
        state=JobState.unknown,
        error="outcome unknown: " + ESCAPES["osc0_title"],
        error_type="outcome_unknown",
        created_at=start + 20,
        sent_at=start + 20,
        finished_at=start + 21,
    )
    return [done, failed, unknown]


def journal_hostile_jobs(settings: Settings, jobs: list[Job]) -> None:
    """Write ``jobs`` into the settings' journal, as an earlier session would have."""
    settings.paths.journal_file.parent.mkdir(parents=True, exist_ok=True)
    with Journal(settings.paths.journal_file) as journal:
        for job in jobs:
            journal.record(job)


#: A theme file whose name is hostile (and whose text is broken, so it is reported). A file
#: name holds no "/": the markup is left unclosed (it would run to the end of the text).
THEME_FILE = "evil" + ESCAPES["csi_clear"] + "[@click=app.quit]quit the app" + BIDI["rlo"] + ".toml"


def write_hostile_theme(settings: Settings) -> Path:
    """A broken theme file with a hostile name in the user's theme folder."""
    folder = settings.paths.user_themes_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / THEME_FILE
    path.write_text("this is [not toml")
    return path


def glb(document: dict[str, Any]) -> bytes:
    """A GLB file holding only ``document`` as its JSON chunk."""
    body = json.dumps(document).encode("utf-8")
    body += b" " * (-len(body) % 4)
    header = b"glTF" + struct.pack("<II", 2, 12 + 8 + len(body))
    return header + struct.pack("<II", len(body), 0x4E4F534A) + body


#: The generator a hostile GLB names, and the compression extension it uses.
MESH_GENERATOR = ALL_IN_ONE
MESH_EXTENSION = "KHR_draco_mesh_compression" + ESCAPES["csi_clear"] + MARKUP["click_quit"]


def hostile_mesh() -> bytes:
    """A one-triangle GLB whose generator and compression extension are hostile."""
    extension: dict[str, Any] = {MESH_EXTENSION: {}}
    return glb(
        {
            "asset": {"version": "2.0", "generator": MESH_GENERATOR},
            "accessors": [{"count": 3, "min": [0, 0, 0], "max": [1, 1, 1]}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "extensions": extension}]}],
        }
    )


def hostile_media_job(cdn: str) -> Job:
    """A done job with two images (a contact sheet), a GLB, an audio file fal no longer
    serves, and a timed transcript; every name, type and text hostile.

    ``cdn``/files/out/hostile/mesh.glb must serve ``hostile_mesh()``; nothing else is there.
    """
    start = NOW - 100
    return Job(
        endpoint_id=JOB_ENDPOINT,
        input={"prompt": MARKUP["click_quit"] + " sheet " + ESCAPES["osc8_link"]},
        id="hostile-media",
        state=JobState.done,
        request_id="req-media" + ESCAPES["c1_osc"],
        result={
            "images": [
                {
                    "url": f"{cdn}/files/out/hostile/one{n}.png",
                    "content_type": "image/png" + ESCAPES["osc0_title"],
                    "file_name": f"{n}" + MARKUP["click_quit"] + ESCAPES["csi_clear"] + ".png",
                    "width": 64,
                    "height": 64,
                }
                for n in (1, 2)
            ],
            "model_mesh": {
                "url": f"{cdn}/files/out/hostile/mesh.glb",
                "content_type": "model/gltf-binary",
                "file_name": "mesh" + BIDI["rlo"] + MARKUP["closing_tag"] + ".glb",
            },
            "audio": {
                "url": f"{cdn}/files/out/hostile/gone{ESCAPES['c1_csi']}.wav",
                "content_type": "audio/wav" + ESCAPES["del_nul_bel"],
                "file_name": "gone" + MARKUP["link"] + ".wav",
            },
            "chunks": [
                {"timestamp": [0.0, 1.5], "text": ALL_IN_ONE, "speaker": MARKUP["bold"]},
                {"timestamp": [1.5, 3.0], "text": ESCAPES["csi_clear"] + BIDI["isolates"]},
            ],
        },
        created_at=start,
        submitted_at=start + 1,
        started_at=start + 2,
        finished_at=start + 5,
    )
