"""Conformance: fal's official JavaScript client (@fal-ai/client) against the emulator over TLS.

The steps live in ``tests/conformance/fal_js_steps.mjs``; one Node process runs them all and
reports each step. The client is configured only through its documented settings: the key, a
request middleware that swaps fal's host names for the emulator's, and a ``fetch`` that records
every URL. @fal-ai/client is installed with npm into ``.cache/conformance-node`` (or
``$FALTUI_NODE_CACHE``) on first use. Without Node.js these tests are skipped, loudly.

Rerun: ``python -m pytest tests/test_conformance_fal_js.py -v``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conformance_support import make_tls_files, off_origin

from faltui.emulator import DEMO_KEY, Emulator

FAL_JS_VERSION = "1.10.1"
ROOT = Path(__file__).resolve().parent.parent
STEPS_SCRIPT = Path(__file__).parent / "conformance" / "fal_js_steps.mjs"
STEPS = [
    "queue.submit returns the request id and URLs on the queue origin",
    "queue.status with logs, then queue.streamStatus to COMPLETED",
    "queue.result returns the output and the request id",
    "subscribe (polling) reports queue updates and returns the output",
    "subscribe (streaming) follows the status stream",
    "queue.cancel of a queued request completes it cancelled",
    "a four-segment id submits the full id and polls owner/app",
    "a workflows/ id keeps three segments in every URL",
    "a comfy/ id keeps three segments in every URL",
    "storage.upload of a small Blob",
    "storage.upload of a > 90 MiB Blob (multipart)",
    "Blob inputs are uploaded before the submit",
    "fal.run (sync) goes to the run host and returns the output",
    "fal.stream returns partial outputs then the final one",
    "422 field errors become a ValidationError naming the fields",
    "a model crash surfaces as an ApiError with fal's detail",
    "startTimeout: an expired start is a user timeout (504)",
    "an unknown endpoint is a 404 ApiError",
    "a wrong key is a 401 ApiError",
    "a 503 on submit is retried",
    "a 500 while polling is retried",
    "a temporary auth token (POST rest/tokens/)",
    "a webhook is delivered when the request completes",
]


def node_modules() -> Path:
    """``node_modules`` holding @fal-ai/client (installed with npm on first use)."""
    if shutil.which("node") is None:
        message = (
            "Node.js is not installed: the @fal-ai/client conformance steps did NOT run "
            "(install Node 18+ and npm to run them)"
        )
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    npm = shutil.which("npm")
    assert npm is not None, "Node.js is installed but npm is not: cannot install @fal-ai/client"
    cache = Path(os.environ.get("FALTUI_NODE_CACHE", ROOT / ".cache" / "conformance-node"))
    folder = cache / f"fal-ai-client-{FAL_JS_VERSION}"
    manifest = folder / "node_modules" / "@fal-ai" / "client" / "package.json"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = manifest.is_file() and json.loads(manifest.read_text())["version"]
        if installed != FAL_JS_VERSION:
            done = subprocess.run(
                [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                 "--loglevel=error", f"@fal-ai/client@{FAL_JS_VERSION}"],
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"npm install @fal-ai/client failed:\n{done.stderr}"
    return folder / "node_modules"


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Path]]:
    files = make_tls_files(tmp_path_factory.mktemp("tls"))
    emu = Emulator(time_scale=0.02, ssl_certfile=files["cert"], ssl_keyfile=files["key"])
    with emu:
        yield emu, files["ca"]


@pytest.fixture(scope="module")
def run(tls_emulator: tuple[Emulator, Path]) -> dict[str, Any]:
    """Every step's outcome and every URL the client requested (one Node run per module)."""
    modules = node_modules()
    emulator, ca = tls_emulator
    config = {"queue": emulator.base_url, "run": emulator.run_url, "key": DEMO_KEY}
    env = {
        **os.environ,
        "NODE_PATH": str(modules),
        "NODE_EXTRA_CA_CERTS": str(ca),
        "FAL_KEY": "",  # the key comes from the client's settings only
    }
    done = subprocess.run(
        ["node", str(STEPS_SCRIPT), json.dumps(config)],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["by_step"] = {r["step"]: r for r in report["results"]}
    report["emulator"] = emulator
    return report


def test_the_step_list_matches_the_script(run):
    assert [r["step"] for r in run["results"]] == STEPS


@pytest.mark.parametrize("step", STEPS)
def test_step_passes(run, step):
    result = run["by_step"].get(step)
    assert result is not None, f"step did not run: {step}"
    assert result["ok"], f"{result['error']}\nbody: {result.get('body')}"


def test_every_url_the_client_followed_stayed_on_the_emulator(run):
    emulator: Emulator = run["emulator"]
    followed = run["followed"]
    assert len(followed) > 50
    assert off_origin(followed, emulator.base_url, emulator.run_url) == []
    assert any(url.startswith(emulator.run_url + "/") for url in followed)  # sync run + stream


def test_the_emulator_saw_what_the_client_sent(run):
    emulator: Emulator = run["emulator"]
    steps = run["by_step"]
    first = emulator.jobs[steps[STEPS[0]]["detail"]["request_id"]]
    assert first.input == {"prompt": "a lighthouse", "seed": 7}
    assert first.headers["x-fal-queue-priority"] == "low"
    assert first.headers["x-fal-runner-hint"] == "runner-7"
    assert first.headers["x-conformance"] == "js"
    # The Blob input was uploaded first; the job got its URL on the emulator.
    blob_job = emulator.jobs[
        steps["Blob inputs are uploaded before the submit"]["detail"]["request_id"]
    ]
    image_url = blob_job.input["image_url"]
    assert image_url.startswith(emulator.base_url + "/files/b/")
    assert httpx.get(image_url, verify=False).content.startswith(b"\x89PNG")
    # The multipart upload: 10 MiB parts, bytes intact.
    big = steps["storage.upload of a > 90 MiB Blob (multipart)"]["detail"]
    stored = emulator.files.get(big["url"].split("/files/", 1)[1])
    assert stored is not None and stored.size == big["size"]
    assert hashlib.sha256(stored.data).hexdigest() == big["sha256"]
    assert emulator.counters["multipart_part"] == 10
    # The webhook reached the receiver the client named.
    hook = steps["a webhook is delivered when the request completes"]["detail"]["request_id"]
    assert any(
        w["body"]["request_id"] == hook and w["status_code"] == 200 for w in emulator.webhooks
    )
