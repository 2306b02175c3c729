"""A hostile server through every CLI command: raw bytes on stdout/stderr stay inert.

The emulator answers with the hostile corpus (``tests/hostile.py``) in request ids, statuses,
logs, results, errors, upload URLs, model names and schema text; nothing the terminal would
act on (ESC, C0 but newline/tab, DEL, C1, bidi) may reach stdout or stderr, and every JSON
document must still parse to exactly what the server sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    ALL_IN_ONE,
    CORPUS,
    ESCAPES,
    HOSTILE_MODEL,
    assert_terminal_safe,
    hostile_openapi,
    write_hostile_schema,
)

from faltui.cli import main
from faltui.emulator import Emulator
from tests.beyond_support import point_cli_at as point_home_at

FLUX = "fal-ai/flux/dev"
HOSTILE_ID = "req-" + ESCAPES["osc52_clipboard"] + CORPUS["rlo"] + ESCAPES["c1_csi"]


def point_cli_at(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    point_home_at(emulator, tmp_path / "home", monkeypatch)
    return emulator


@pytest.fixture
def cli_env(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    return point_cli_at(emulator, tmp_path, monkeypatch)


def run_raw(capfdbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, bytes, bytes]:
    code = main(list(argv))
    captured = capfdbinary.readouterr()
    return code, captured.out, captured.err


def check(out: bytes, err: bytes) -> None:
    assert_terminal_safe(out, "stdout")
    assert_terminal_safe(err, "stderr")


def hostile_submit_answer(base: str) -> dict[str, Any]:
    url = f"{base}/fal-ai/flux/requests/{HOSTILE_ID}"
    return {
        "status": "IN_QUEUE",
        "request_id": HOSTILE_ID,
        "response_url": url,
        "status_url": url + "/status",
        "cancel_url": url + "/cancel",
        "queue_position": 0,
    }


def test_run_async_and_history_print_a_hostile_request_id_inertly(cli_env, capfdbinary) -> None:
    cli_env.chaos.fail_next("submit", 200, body=hostile_submit_answer(cli_env.base_url))
    code, out, err = run_raw(capfdbinary, "run", "-m", FLUX, "-p", "x", "-a")
    assert code == 0, err
    check(out, err)
    assert "␛]52;c;" in out.decode()  # shown, not obeyed
    assert "\\u202e" in out.decode() and "\\u009b" in out.decode()

    code, out, err = run_raw(capfdbinary, "history")
    assert code == 0, err
    check(out, err)
    assert "req-copy ␛]52" in out.decode()

    code, out, err = run_raw(capfdbinary, "history", "--json")
    assert code == 0, err
    check(out, err)
    assert json.loads(out)[0]["request_id"] == HOSTILE_ID


def test_run_without_wait_prints_a_hostile_handle_as_safe_json(cli_env, capfdbinary) -> None:
    cli_env.chaos.fail_next("submit", 200, body=hostile_submit_answer(cli_env.base_url))
    code, out, err = run_raw(capfdbinary, "run", "-m", FLUX, "-p", "x")
    assert code == 0, err
    check(out, err)
    assert json.loads(out)["request_id"] == HOSTILE_ID


def test_status_with_hostile_state_error_and_logs(cli_env, capfdbinary) -> None:
    logs = [
        {"message": text, "level": "INFO", "timestamp": f"2026-01-01T00:00:{i:02d}"}
        for i, text in enumerate(CORPUS.values())
    ]
    body = {
        "status": "COMPLETED" + ESCAPES["csi_clear"],
        "request_id": "r1",
        "logs": logs,
        "error": ALL_IN_ONE,
        "error_type": ESCAPES["osc0_title"],
    }
    cli_env.chaos.fail_next("status", 200, body=body)
    code, out, err = run_raw(capfdbinary, "status", FLUX, "r1", "--logs")
    assert code == 0, err
    check(out, err)
    assert json.loads(out)["error"] == ALL_IN_ONE
    assert "before␛[2J␛[Hafter" in err.decode()


def test_result_with_hostile_output_and_url(cli_env, capfdbinary) -> None:
    body = {
        "images": [{"url": "https://x.example/a.png" + ESCAPES["osc8_link"], "width": 1}],
        "text": CORPUS,
    }
    cli_env.chaos.fail_next("result", 200, body=body)
    code, out, err = run_raw(capfdbinary, "result", FLUX, "r1")
    assert code == 0, err
    check(out, err)
    assert json.loads(out) == body
    assert "image URL: https://x.example/a.png␛]8;;" in err.decode()


def test_hostile_error_answers_on_submit(cli_env, capfdbinary) -> None:
    detail = [{"loc": ["body", "prompt" + ESCAPES["csi_clear"]], "msg": ALL_IN_ONE, "type": "x"}]
    cli_env.chaos.fail_next("submit", 422, body={"detail": detail})
    code, out, err = run_raw(capfdbinary, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 1
    check(out, err)
    cli_env.chaos.fail_next("submit", 400, body=ESCAPES["osc52_clipboard"] * 3)
    code, out, err = run_raw(capfdbinary, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 1
    check(out, err)
    assert b"52;c;" in err


def test_upload_with_a_hostile_url(cli_env, capfdbinary, tmp_path) -> None:
    image = tmp_path / ("name" + CORPUS["rlo"] + ".png")
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    cli_env.chaos.fail_next(
        "upload", 200, body={"access_url": "https://cdn.example/" + ESCAPES["csi_clear"]}
    )
    code, out, err = run_raw(capfdbinary, "upload", str(image))
    assert code == 0, err
    check(out, err)
    assert out.decode().strip() == "https://cdn.example/before␛[2J␛[Hafter"


def test_models_with_hostile_names(cli_env, capfdbinary) -> None:
    models = [
        {
            "endpoint_id": f"evil/{name}",
            "metadata": {"display_name": text, "category": ESCAPES["c1_osc"], "status": "active"},
        }
        for name, text in CORPUS.items()
    ]
    for argv in (("models", "evil"), ("models", "evil", "--json")):
        cli_env.chaos.fail_next("models", 200, body={"models": models, "has_more": False})
        code, out, err = run_raw(capfdbinary, *argv)
        assert code == 0, err
        check(out, err)
        assert b"evil/" in out, err


def test_schema_listing_of_a_hostile_document(cli_env, capfdbinary, tmp_path) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile_openapi()))
    code, out, err = run_raw(capfdbinary, "schema", "--file", str(path))
    assert code == 0, err
    check(out, err)
    text = out.decode()
    assert "evil" in text and "before␛[2J" in text
    assert max(len(line) for line in text.splitlines()) < 400  # the 10,000-char line is cut
    code, out, err = run_raw(capfdbinary, "schema", "--file", str(path), "--json")
    assert code == 0, err
    check(out, err)
    assert json.loads(out)["info"]["title"] == ALL_IN_ONE


def test_a_hostile_model_served_by_the_emulator(
    own_emulator, capfdbinary, tmp_path, monkeypatch
) -> None:
    from faltui.emulator.schema_files import load_schema_dir

    # Its own emulator: an added model stays in a catalog across resets.
    emulator = point_cli_at(own_emulator, tmp_path, monkeypatch)
    write_hostile_schema(tmp_path / "schemas")
    for endpoint_id, doc in load_schema_dir(tmp_path / "schemas"):
        emulator.catalog.add(endpoint_id, doc)
    for argv in (
        ("models", "hostile"),
        ("schema", HOSTILE_MODEL),
        ("schema", HOSTILE_MODEL, "--json"),
        ("run", "-m", HOSTILE_MODEL, "-p", CORPUS["click_quit"], "-w", "--logs"),
        ("history",),
        ("history", "--json"),
    ):
        code, out, err = run_raw(capfdbinary, *argv)
        assert code == 0, (argv, err)
        check(out, err)
