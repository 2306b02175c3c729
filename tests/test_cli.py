"""Every CLI subcommand end to end against the emulator over loopback HTTP."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest

from faltui.cli import main, split_demo
from faltui.emulator import DEMO_KEY, Emulator
from tests.beyond_support import point_cli_at

FLUX = "fal-ai/flux/dev"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def cli_env(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Point a fresh faltui home and every base URL at the emulator."""
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    return emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_split_demo_finds_the_flag_anywhere() -> None:
    assert split_demo(["models", "--demo", "flux"]) == (["models", "flux"], True)
    assert split_demo(["run", "-m", "x", "--", "--demo"]) == (
        ["run", "-m", "x", "--", "--demo"],
        False,
    )


def test_run_wait_prints_json_whose_image_downloads_as_png(cli_env, capsys) -> None:
    code, out, err = run(
        capsys,
        "run",
        "-m",
        FLUX,
        "-p",
        "a lighthouse at dusk",
        "--param",
        "output_format=png",
        "-w",
        "--logs",
    )
    assert code == 0, err
    result = json.loads(out)
    url = result["images"][0]["url"]
    body = httpx.get(url).content
    assert body.startswith(PNG_MAGIC)
    assert "completed in" in err
    job = next(iter(cli_env.jobs.values()))
    assert job.input["prompt"] == "a lighthouse at dusk"


def test_run_async_prints_only_the_id_then_status_poll_result(cli_env, capsys) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-a")
    assert code == 0, err
    request_id = out.strip()
    assert re.fullmatch(r"[0-9a-f-]{20,}", request_id)

    code, out, _ = run(capsys, "status", FLUX, request_id, "--logs")
    assert code == 0
    assert json.loads(out)["status"] in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")

    code, out, err = run(capsys, "poll", FLUX, request_id, "--interval", "0.02", "--timeout", "30")
    assert code == 0, err
    assert json.loads(out)["images"]

    code, out, _ = run(capsys, "result", FLUX, request_id)
    assert code == 0
    assert json.loads(out)["images"]


def test_run_without_wait_prints_the_handle(cli_env, capsys) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x")
    assert code == 0, err
    handle = json.loads(out)
    assert handle["request_id"] and handle["status_url"].startswith(cli_env.base_url)
    assert "faltui poll" in err


def test_bad_param_is_named_and_nothing_is_sent(cli_env, capsys) -> None:
    code, _out, err = run(
        capsys, "run", "-m", FLUX, "-p", "x", "--param", "num_inference_steps=many", "-w"
    )
    assert code == 2
    assert "num_inference_steps" in err
    assert "Traceback" not in err
    assert cli_env.counters["submit"] == 0


def test_typo_param_suggests_the_real_name(cli_env, capsys) -> None:
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "--param", "guidance_scal=3", "-w")
    assert code == 2
    assert "guidance_scale" in err
    assert cli_env.counters["submit"] == 0


def test_missing_required_field_is_reported(cli_env, capsys) -> None:
    code, _, err = run(capsys, "run", "-m", FLUX, "-w")
    assert code == 2
    assert "prompt" in err
    assert cli_env.counters["submit"] == 0


def test_kling_duration_is_typed_as_the_schema_says(cli_env, capsys) -> None:
    model = "fal-ai/kling-video/v3/pro/text-to-video"
    code, out, err = run(capsys, "run", "-m", model, "-p", "waves", "--duration", "5", "-w")
    assert code == 0, err
    job = next(iter(cli_env.jobs.values()))
    assert job.input["duration"] == "5"
    assert json.loads(out)["video"]["url"]


def test_missing_key_is_a_clear_message(cli_env, capsys, monkeypatch) -> None:
    monkeypatch.delenv("FAL_KEY")
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 2
    assert "FAL_KEY" in err and "Traceback" not in err


def test_bad_endpoint_id_is_a_clear_message(cli_env, capsys) -> None:
    code, _, err = run(capsys, "run", "-m", "flux", "-p", "x")
    assert code == 2
    assert "flux" in err and "Traceback" not in err


def test_unreachable_host_is_a_clear_message(cli_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FALTUI_QUEUE_URL", "http://127.0.0.1:9")
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 1
    assert "Traceback" not in err and err.strip()


def test_failed_job_exits_1_with_the_error(cli_env, capsys) -> None:
    cli_env.script_next_jobs("app_error")
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 1
    assert out == ""
    assert "failed" in err


def test_timeout_exits_3_and_says_how_to_follow(cli_env, capsys) -> None:
    cli_env.script_next_jobs("slow")
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w", "--timeout", "0.2")
    assert code == 3
    assert "faltui poll" in err


def test_cancel_a_queued_job(cli_env, capsys) -> None:
    cli_env.script_next_jobs("slow")
    _, out, _ = run(capsys, "run", "-m", FLUX, "-p", "x", "-a")
    request_id = out.strip()
    code, out, err = run(capsys, "cancel", FLUX, request_id)
    assert code == 0, err
    assert cli_env.counters["cancel"] == 1


def test_download_saves_the_image(cli_env, capsys, tmp_path) -> None:
    folder = tmp_path / "out"
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w", "--download", str(folder))
    assert code == 0, err
    files = list(folder.iterdir())
    # flux/dev's output_format defaults to jpeg: the emulator, like fal, applies it.
    assert files and files[0].suffix == ".jpg"
    assert files[0].read_bytes().startswith(b"\xff\xd8\xff")


def expire_second_image(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Results the emulator builds from now on have their second image already gone from the
    file host (as when fal's retention ran out before the download)."""
    build = emulator.outputs.build

    def expiring(*args: object, **kwargs: object) -> dict:
        result = build(*args, **kwargs)  # type: ignore[arg-type]
        del emulator.files.files[result["images"][1]["url"].split("/files/", 1)[1]]
        return result

    monkeypatch.setattr(emulator.outputs, "build", expiring)


def test_run_download_goes_past_a_dead_file_and_names_it(
    cli_env, capsys, tmp_path, monkeypatch
) -> None:
    expire_second_image(cli_env, monkeypatch)
    folder = tmp_path / "out"
    argv = ["run", "-m", FLUX, "-p", "x", "--param", "num_images:=3", "-w", "--download"]
    code, out, err = run(capsys, *argv, str(folder))
    assert code == 1  # the job ran, but not every output is on disk
    images = json.loads(out)["images"]
    assert len(images) == 3
    assert sorted(p.name for p in folder.iterdir()) == ["images_0.jpg", "images_2.jpg"]
    assert f"saved {folder / 'images_0.jpg'}" in err and f"saved {folder / 'images_2.jpg'}" in err
    assert (
        "failed images[1] (images_1.jpg): the file is no longer served — fal keeps results for a "
        "limited time (HTTP 404 Not Found)"
    ) in err
    assert f"  {images[1]['url']}" in err
    assert f"Saved 2 of 3 files to {folder}; 1 failed" in err
    assert "Traceback" not in err


def test_poll_download_uses_the_same_service(cli_env, capsys, tmp_path, monkeypatch) -> None:
    expire_second_image(cli_env, monkeypatch)
    _, out, _ = run(capsys, "run", "-m", FLUX, "-p", "x", "--param", "num_images:=2", "-a")
    request_id = out.strip()
    folder = tmp_path / "polled"
    code, _, err = run(capsys, "poll", FLUX, request_id, "--download", str(folder))
    assert code == 1
    assert [p.name for p in folder.iterdir()] == ["images_0.jpg"]
    assert "failed images[1] (images_1.jpg): the file is no longer served" in err
    # polling again: the file saved before is pointed at; only the dead one is tried again
    files_before = cli_env.counters["file"]
    code, _, err = run(capsys, "poll", FLUX, request_id, "--download", str(folder))
    assert code == 1
    assert f"saved {folder / 'images_0.jpg'} (downloaded earlier)" in err
    assert cli_env.counters["file"] == files_before + 1
    assert [p.name for p in folder.iterdir()] == ["images_0.jpg"]
    assert cli_env.counters["file_with_auth"] == 0


def test_sync_run(cli_env, capsys) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "--sync")
    assert code == 0, err
    assert json.loads(out)["images"]
    assert cli_env.counters["run"] == 1 and cli_env.counters["submit"] == 0


def test_local_image_path_uploads_automatically(cli_env, capsys, tmp_path) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(httpx.get(_png_url(cli_env, capsys)).content)
    model = "fal-ai/kling-video/v1/standard/image-to-video"
    code, _, err = run(capsys, "run", "-m", model, "-p", "wind", "--image-url", str(image), "-w")
    assert code == 0, err
    job = next(j for j in cli_env.jobs.values() if j.endpoint_id == model)
    assert job.input["image_url"].startswith("http")
    assert httpx.get(job.input["image_url"]).content == image.read_bytes()


def _png_url(emulator: Emulator, capsys) -> str:
    _, out, _ = run(capsys, "run", "-m", FLUX, "-p", "seed image", "-w")
    return json.loads(out)["images"][0]["url"]


def test_upload_prints_the_url(cli_env, capsys, tmp_path) -> None:
    data = tmp_path / "clip.wav"
    data.write_bytes(b"RIFF" + bytes(range(256)) * 40)
    code, out, err = run(capsys, "upload", str(data))
    assert code == 0, err
    assert httpx.get(out.strip()).content == data.read_bytes()


def test_upload_missing_file(cli_env, capsys) -> None:
    code, _, err = run(capsys, "upload", "nope.png")
    assert code == 2 and "nope.png" in err


def test_models_search_and_json_and_featured(cli_env, capsys) -> None:
    code, out, _ = run(capsys, "models", "flux")
    assert code == 0
    assert "fal-ai/flux/dev" in out
    code, out, _ = run(capsys, "models", "--category", "speech-to-text", "--json")
    models = json.loads(out)
    assert models and all(m["metadata"]["category"] == "speech-to-text" for m in models)
    code, out, _ = run(capsys, "models", "--featured")
    assert code == 0 and "text-to-image:" in out


def test_schema_prints_inputs_in_order(cli_env, capsys) -> None:
    code, out, _ = run(capsys, "schema", "fal-ai/kling-video/v3/pro/text-to-video")
    assert code == 0
    assert "Inputs:" in out and "Outputs:" in out
    assert out.index("prompt") < out.index("duration")


def test_schema_from_a_file_and_raw_json(cli_env, capsys) -> None:
    doc = Path(__file__).resolve().parents[1] / "faltui/data/schemas/fal-ai__whisper.json"
    code, out, _ = run(capsys, "schema", "--file", str(doc))
    assert code == 0 and "audio_url" in out
    code, out, _ = run(capsys, "schema", FLUX, "--json")
    assert "openapi" in json.loads(out)


def test_pricing(cli_env, capsys) -> None:
    code, out, _ = run(capsys, "pricing", FLUX)
    assert code == 0
    prices = json.loads(out)
    assert prices[0]["endpoint_id"] == FLUX and prices[0]["unit_price"] > 0


def test_history_and_locate_never_show_the_key(cli_env, capsys) -> None:
    run(capsys, "run", "-m", FLUX, "-p", "remember me", "-w")
    code, out, _ = run(capsys, "history", "--json")
    assert code == 0
    assert json.loads(out)[0]["input"]["prompt"] == "remember me"
    code, out, _ = run(capsys, "locate")
    assert DEMO_KEY not in out
    assert json.loads(out)["key_source"] == "FAL_KEY"


def test_demo_flag_starts_its_own_emulator(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FALTUI_HOME", str(tmp_path))
    monkeypatch.delenv("FAL_KEY", raising=False)
    code, out, err = run(capsys, "--demo", "run", "-m", FLUX, "-p", "demo", "-w")
    assert code == 0, err
    assert json.loads(out)["images"][0]["url"].startswith("http://127.0.0.1:")


def test_run_count_waits_for_every_job_and_prints_json_lines(cli_env, capsys, tmp_path) -> None:
    argv = ("run", "-m", FLUX, "-p", "x", "--seed", "7", "-n", "3", "-w")
    code, out, err = run(capsys, *argv, "--download", str(tmp_path / "out"))
    assert code == 0, err
    assert len(list((tmp_path / "out").iterdir())) == 3  # each job's image
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["seed"] for line in lines] == [7, 8, 9]  # like the form's submit ×N
    assert all(line["state"] == "done" and line["result"]["images"] for line in lines)
    assert "seeds: 7, 8, 9" in err
    sent = sorted(job.input["seed"] for job in cli_env.jobs.values())
    assert sent == [7, 8, 9]


def test_run_count_with_random_seeds_prints_the_ids(cli_env, capsys) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "--count", "4", "-a")
    assert code == 0, err
    ids = out.split()
    assert len(ids) == 4 and set(ids) == set(cli_env.jobs)
    seeds = {cli_env.jobs[i].input["seed"] for i in ids}
    assert len(seeds) == 4  # each job its own fresh seed


def test_run_count_refuses_sync_and_zero(cli_env, capsys) -> None:
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-n", "2", "--sync")
    assert code == 2 and "drop --sync" in err
    code, _, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-n", "0")
    assert code == 2 and "at least 1" in err
    assert not cli_env.jobs


def test_run_chooses_and_shows_a_random_seed(cli_env, capsys) -> None:
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "--seed", "random", "-a")
    assert code == 0, err
    seed = cli_env.jobs[out.strip()].input["seed"]
    assert isinstance(seed, int) and f"seed: {seed}" in err


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """``faltui models | head -1``: the pipe closes under faltui; no BrokenPipeError text."""
    import subprocess
    import sys

    env = {**os.environ, "FALTUI_HOME": str(tmp_path)}
    env.pop("FAL_KEY", None)
    command = f"{sys.executable} -m faltui models -l 200 | head -1"
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=env, check=False
    )
    assert done.stdout.strip(), done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
