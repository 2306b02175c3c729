"""Exports that run as is: the Python, curl and faltui exports are EXECUTED against the emulator
for a job that succeeds and one that fails; they exit 0 / non-zero and say why.

The Python export for fal's own hosts uses fal_client, pointed at an HTTPS emulator only
through fal's environment (``FAL_QUEUE_RUN_HOST``, ``SSL_CERT_FILE``) as a user would; the
export for other base URLs uses httpx against them. The key is only ever in ``FAL_KEY``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conformance_support import make_tls_files

from faltui.core.config import Settings
from faltui.core.outputs import export_cli, export_curl, export_python
from faltui.core.outputs.export import python_literal
from faltui.emulator import DEMO_KEY, Emulator

FLUX = "fal-ai/flux/dev"
PAYLOAD = {
    "prompt": 'a "lighthouse"\nat dusk — ünïcode, it\'s late',
    "num_images": 2,
    "image_size": {"width": 64, "height": 48},
    "enable_safety_checker": True,
    "seed": 7,
}
SECRET = "key-id-0000:very-secret-value-1234"
#: Seconds an export may run before the test calls it hung (it must end on its own).
RUN_LIMIT = 120


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any fal/faltui settings of the machine, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAL_", "FALTUI_"))}
    env.update(extra)
    return env


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=RUN_LIMIT, check=False
    )


def plain(settings: Settings) -> Settings:
    """Emulator settings as a user with custom base URLs would have them (not ``--demo``)."""
    return replace(settings, demo=False, key=SECRET)


# -- what the exports say ---------------------------------------------------------------------


def test_exports_never_hold_the_key_and_round_trip_the_input(emu_settings: Settings) -> None:
    for settings in (Settings(key=SECRET), plain(emu_settings)):
        for make in (export_curl, export_python, export_cli):
            text = make(FLUX, PAYLOAD, settings)
            assert SECRET not in text
            assert "FAL_KEY" in text or make is export_cli  # faltui finds the key itself
    curl = export_curl(FLUX, PAYLOAD, Settings())
    body = curl.split("<<'FALTUI_INPUT'\n", 1)[1].rsplit("FALTUI_INPUT\n", 1)[0]
    assert json.loads(body) == PAYLOAD
    assert "-X POST https://fal.run/fal-ai/flux/dev" in curl
    words = shlex.split(export_cli(FLUX, PAYLOAD, Settings()))
    assert words[:5] == ["faltui", "run", "-m", FLUX, "-w"]
    params = [words[i + 1] for i, word in enumerate(words) if word == "--param"]
    assert {p.split(":=", 1)[0]: json.loads(p.split(":=", 1)[1]) for p in params} == PAYLOAD
    demo = export_cli(FLUX, PAYLOAD, emu_settings)
    assert demo.startswith("faltui --demo run -m fal-ai/flux/dev -w")
    custom = export_cli(FLUX, PAYLOAD, plain(emu_settings))
    assert custom.startswith(f"FALTUI_QUEUE_URL={emu_settings.urls['queue']} ")
    value = {"a": [1, 2.5, None, True, {"b": []}], "c": {}, "d": 'it\'s "x"\u2028'}
    assert eval(python_literal(value)) == value


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_the_python_exports_are_formatted_as_ruff_formats_them(
    emu_settings: Settings, tmp_path: Path
) -> None:
    for name, settings in (("fal", Settings()), ("emulator", plain(emu_settings))):
        script = tmp_path / f"{name}.py"
        script.write_text(export_python(FLUX, PAYLOAD, settings), encoding="utf-8")
        compile(script.read_text(encoding="utf-8"), str(script), "exec")
        check = run(
            ["ruff", "format", "--check", "--diff", str(script)], os.environ.copy(), tmp_path
        )
        assert check.returncode == 0, check.stdout + check.stderr
        lint = run(
            ["ruff", "check", "--select", "E,F,W,B", "--ignore", "E501", str(script)],
            os.environ.copy(),
            tmp_path,
        )
        assert lint.returncode == 0, lint.stdout


# -- the Python export with fal_client, against fal's hosts (an HTTPS emulator) ---------------


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Path]]:
    files = make_tls_files(tmp_path_factory.mktemp("tls"))
    with Emulator(time_scale=0.02, ssl_certfile=files["cert"], ssl_keyfile=files["key"]) as emu:
        yield emu, files["ca"]


def fal_env(emulator: Emulator, ca: Path) -> dict[str, str]:
    """fal's own variables pointing fal_client at the emulator, and the key."""
    return clean_env(
        FAL_KEY=DEMO_KEY,
        FAL_QUEUE_RUN_HOST=emulator.base_url.removeprefix("https://"),
        FAL_RUN_HOST=emulator.run_url.removeprefix("https://"),
        SSL_CERT_FILE=str(ca),
    )


def test_python_export_with_fal_client_succeeds_and_fails_cleanly(
    tls_emulator: tuple[Emulator, Path], tmp_path: Path
) -> None:
    emulator, ca = tls_emulator
    emulator.reset()
    script = tmp_path / "job.py"
    script.write_text(export_python(FLUX, PAYLOAD, Settings()), encoding="utf-8")
    assert "import fal_client" in script.read_text()
    done = run([sys.executable, str(script)], fal_env(emulator, ca), tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["images"]) == 2 and result["prompt"] == PAYLOAD["prompt"]
    assert "Step 4/4" in done.stderr  # the model's logs, once each
    assert done.stderr.count("Step 4/4") == 1

    emulator.script_next_jobs("app_error")
    failed = run([sys.executable, str(script)], fal_env(emulator, ca), tmp_path)
    assert failed.returncode == 1, failed.stdout
    assert failed.stdout == ""
    last = failed.stderr.strip().splitlines()[-1]
    assert re.match(r"fal-ai/flux/dev failed \(HTTP 5\d\d\): .+", last), failed.stderr
    assert f'File "{script}"' not in failed.stderr  # a message, not the script's traceback

    emulator.script_next_jobs("validation")
    invalid = run([sys.executable, str(script)], fal_env(emulator, ca), tmp_path)
    assert invalid.returncode == 1
    assert re.search(r"failed \(HTTP 422\): \w", invalid.stderr), invalid.stderr

    nokey = fal_env(emulator, ca)
    del nokey["FAL_KEY"]
    missing = run([sys.executable, str(script)], nokey, tmp_path)
    assert missing.returncode == 1
    assert "Set FAL_KEY to your fal API key first" in missing.stderr


# -- the Python export with httpx, against other base URLs (the plain emulator) ----------------


def test_python_export_with_httpx_succeeds_and_fails_cleanly(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "job.py"
    script.write_text(export_python(FLUX, PAYLOAD, plain(emu_settings)), encoding="utf-8")
    env = clean_env(FAL_KEY=DEMO_KEY)
    done = run([sys.executable, str(script)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["images"]) == 2
    assert done.stderr.count("Step 4/4") == 1

    emulator.script_next_jobs("app_error")
    failed = run([sys.executable, str(script)], env, tmp_path)
    assert failed.returncode == 1 and failed.stdout == ""
    assert re.search(r"^fal-ai/flux/dev failed \(\w+\): .+", failed.stderr, re.M), failed.stderr

    wrong = run([sys.executable, str(script)], clean_env(FAL_KEY="nobody:nothing"), tmp_path)
    assert wrong.returncode == 1
    assert "fal-ai/flux/dev: submit failed (HTTP 401)" in wrong.stderr
    missing = run([sys.executable, str(script)], clean_env(), tmp_path)
    assert missing.returncode == 1 and "Set FAL_KEY" in missing.stderr


# -- curl ------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed on this machine")
def test_curl_export_succeeds_and_fails_cleanly(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "job.sh"
    script.write_text(export_curl(FLUX, PAYLOAD, plain(emu_settings)), encoding="utf-8")
    env = clean_env(FAL_KEY=DEMO_KEY)
    done = run(["sh", str(script)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["images"]) == 2

    emulator.script_next_jobs("app_error")
    failed = run(["sh", str(script)], env, tmp_path)
    assert failed.returncode == 22, failed.stderr  # curl's "HTTP error" status
    assert "The requested URL returned error: 5" in failed.stderr
    assert json.loads(failed.stdout)["detail"]  # fal's error body, printed

    missing = run(["sh", str(script)], clean_env(), tmp_path)
    assert missing.returncode != 0
    assert "FAL_KEY: set FAL_KEY to your fal API key" in missing.stderr


# -- faltui run ------------------------------------------------------------------------------


def test_cli_export_succeeds_and_fails_cleanly(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    command = export_cli(FLUX, PAYLOAD, plain(emu_settings))
    bin_dir = str(Path(sys.executable).parent)  # where this venv's faltui lives
    env = clean_env(FAL_KEY=DEMO_KEY, FALTUI_HOME=str(tmp_path / "home"))
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    done = run(["sh", "-c", command], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["images"]) == 2

    emulator.script_next_jobs("app_error")
    failed = run(["sh", "-c", command], env, tmp_path)
    assert failed.returncode == 1
    assert "fal-ai/flux/dev failed" in failed.stderr
