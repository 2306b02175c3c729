"""The local library: auto-download with a sidecar, the local copy once fal's URL is gone, and
``faltui history --import`` of jobs made by the official fal-client against the same emulator
(then listed, re-run and forked)."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import fal_client
import fal_client.client as fal_module
import httpx
import pytest
from beyond_support import FLUX, point_cli_at, run_cli, write_config
from conformance_support import make_tls_files

from faltui.core.job import JobState
from faltui.core.library import SIDECAR, Library
from faltui.core.outputs import Outputs
from faltui.emulator import DEMO_KEY, Emulator
from faltui.services import build_services


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_finished_jobs_are_saved_with_a_sidecar(emulator, tmp_path, monkeypatch, capsys) -> None:
    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    write_config(home, "[library]\nauto_download = true\n")
    code, out, err = run_cli(
        capsys, "run", "-m", FLUX, "-p", "two herons", "--num-images", "2", "--seed", "5", "-w"
    )
    assert code == 0, err
    result = json.loads(out)
    (job,) = emulator.jobs.values()
    day = time.strftime("%Y-%m-%d")
    folder = home / "downloads" / day / "fal-ai" / "flux" / "dev" / job.request_id
    assert f"library: 2 file(s) and {SIDECAR} in {folder}" in err
    files = _files(folder)
    assert sorted(files) == [SIDECAR, "images_0.jpg", "images_1.jpg"]
    for image in result["images"]:
        name = image["url"].rsplit("/", 1)[1]
        assert files[name] == httpx.get(image["url"]).content
    sidecar = json.loads(files[SIDECAR])
    assert sidecar["endpoint_id"] == FLUX and sidecar["request_id"] == job.request_id
    assert sidecar["input"] == {"prompt": "two herons", "num_images": 2, "seed": 5}
    assert sidecar["seed"] == 5 and sidecar["origin"] == "faltui"
    timings = sidecar["timings"]
    assert timings["total_seconds"] > 0 and timings["finished_at"] and timings["submitted_at"]
    assert sidecar["billed"]["kind"] == "billed" and sidecar["billed"]["billable_units"] == 2
    assert sidecar["billed"]["billed"] == pytest.approx(2 * sidecar["billed"]["unit_price"])
    assert [f["url"] for f in sidecar["files"]] == [i["url"] for i in result["images"]]
    assert sidecar["result"] == result
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


def test_auto_download_is_off_unless_configured(emulator, tmp_path, monkeypatch, capsys) -> None:
    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 0 and "library:" not in err
    assert not (home / "downloads").exists()
    write_config(home, "[library]\nauto_download = 'yes'\n")
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 2 and "[library] auto_download must be true or false, got 'yes'" in err


async def test_demo_services_save_and_use_the_local_copy_once_the_url_is_gone(
    emulator: Emulator, emu_settings
) -> None:
    services = build_services(emu_settings)  # demo settings: auto-download is on
    try:
        assert services.auto_download.enabled
        job = await services.jobs.submit(FLUX, {"prompt": "a kingfisher"})
        await services.jobs.wait_all()
        await services.auto_download.drain()
        assert job.state is JobState.done and not services.auto_download.problems
        entry = services.auto_download.entries[job.id]
        url = job.result["images"][0]["url"]
        original = httpx.get(url).content
        saved = services.library.local_copy(url)
        assert saved is not None and saved.parent == entry.folder
        assert saved.read_bytes() == original
        assert await services.library.usable_url(url) == url  # still served: the URL
        emulator.files.clear()  # fal dropped the file
        assert httpx.get(url).status_code == 404
        assert await services.library.usable_url(url) == str(saved)
        assert await services.outputs.preview_bytes(url) == original
    finally:
        await services.aclose()
    # Even without the outputs service's record, the job's sidecar finds the file.
    async with Outputs(emu_settings.paths.download_dir) as bare:
        library = Library(emu_settings.paths.download_dir, bare)
        assert library.local_copy(url) is None
        assert library.local_copy(url, job) == saved


# -- import from fal's request history ---------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_emulator(tls_files: dict[str, Path]) -> Iterator[Emulator]:
    with Emulator(
        time_scale=0.02, ssl_certfile=tls_files["cert"], ssl_keyfile=tls_files["key"]
    ) as emu:
        yield emu


@pytest.fixture
def fal(
    tls_emulator: Emulator, tls_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> fal_client.SyncClient:
    """The official fal-client on the emulator (as FAL_QUEUE_RUN_HOST / FAL_RUN_HOST would)."""
    base, run = tls_emulator.base_url, tls_emulator.run_url
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))
    monkeypatch.setattr(fal_module, "QUEUE_URL_FORMAT", f"https://{base[8:]}/")
    monkeypatch.setattr(fal_module, "RUN_URL_FORMAT", f"https://{run[8:]}/")
    monkeypatch.setattr(fal_module, "REST_URL", base)
    monkeypatch.setattr(fal_module, "CDN_URL", base)
    return fal_client.SyncClient(key=DEMO_KEY)


def test_import_brings_in_jobs_made_by_fal_client(
    tls_emulator: Emulator, fal, tls_files, tmp_path: Path, monkeypatch, capsys
) -> None:
    first = fal.submit(FLUX, {"prompt": "from the playground", "seed": 11})
    first_result = first.get()
    second = fal.submit(FLUX, {"prompt": "from another machine", "num_images": 2})
    second.get()
    tls_emulator.script_next_jobs("app_error")
    broken = fal.submit(FLUX, {"prompt": "this one fails"})
    with pytest.raises(fal_client.client.FalClientHTTPError):
        broken.get()
    forgotten = fal.submit(FLUX, {"prompt": "payloads deleted"})
    forgotten.get()
    deleted = httpx.delete(
        f"{tls_emulator.base_url}/v1/models/requests/{forgotten.request_id}/payloads",
        headers={"Authorization": f"Key {DEMO_KEY}"},
        verify=ssl.create_default_context(cafile=str(tls_files["ca"])),
    )
    assert deleted.status_code == 200

    home = point_cli_at(tls_emulator, tmp_path / "home", monkeypatch)
    write_config(home, "[library]\nauto_download = true\n")
    code, out, err = run_cli(capsys, "history", "--import", "--endpoint", FLUX, "--json")
    assert code == 0, err
    assert "imported 3 jobs; 1 without a stored input (nothing to re-run)" in err
    listed = {job["request_id"]: job for job in json.loads(out)}
    assert set(listed) == {first.request_id, second.request_id, broken.request_id}
    one = listed[first.request_id]
    assert one["origin"] == "history" and one["state"] == "done"
    assert one["input"] == {"prompt": "from the playground", "seed": 11}
    assert listed[second.request_id]["input"]["num_images"] == 2
    assert listed[broken.request_id]["state"] == "failed"
    # The imported outputs went to the library too (auto-download is on).
    day = time.strftime("%Y-%m-%d")
    folder = home / "downloads" / day / "fal-ai" / "flux" / "dev" / first.request_id
    sidecar = json.loads((folder / SIDECAR).read_text())
    assert sidecar["origin"] == "history" and sidecar["result"] == first_result

    code, out, err = run_cli(capsys, "history", "--import", "--endpoint", FLUX)
    assert code == 0
    assert "imported 0 jobs; 3 already in the journal; 1 without a stored input" in err
    imported_lines = [line for line in out.splitlines() if line.endswith("(imported)")]
    assert len(imported_lines) == 3  # no duplicates after the second import

    before = set(tls_emulator.jobs)
    code, out, err = run_cli(capsys, "rerun", first.request_id, "-w")
    assert code == 0, err
    (rerun_id,) = set(tls_emulator.jobs) - before
    assert tls_emulator.jobs[rerun_id].input == {"prompt": "from the playground", "seed": 11}
    assert json.loads(out)["seed"] == 11

    before = set(tls_emulator.jobs)
    code, out, err = run_cli(capsys, "rerun", first.request_id, "--param", "seed=12", "-w")
    assert code == 0, err
    (fork_id,) = set(tls_emulator.jobs) - before
    assert tls_emulator.jobs[fork_id].input == {"prompt": "from the playground", "seed": 12}


def test_import_needs_endpoints_and_a_readable_since(emulator, tmp_path, monkeypatch, capsys):
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, _, err = run_cli(capsys, "history", "--import")
    assert code == 2 and "which endpoints? the journal names none yet" in err
    code, _, err = run_cli(capsys, "history", "--import", "--endpoint", FLUX, "--since", "soon")
    assert code == 2 and "--since: cannot read 'soon'" in err
    code, _, err = run_cli(capsys, "rerun", "nosuchjob")
    assert code == 2 and "no job in the journal matches 'nosuchjob'" in err
