"""``faltui run --sweep`` end to end against the emulator: JSON lines, bad specs, the budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from beyond_support import FLUX, point_cli_at, run_cli, write_config

from faltui.emulator import Emulator

SCHNELL = "fal-ai/flux/schnell"


@pytest.fixture
def home(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return point_cli_at(emulator, tmp_path / "home", monkeypatch)


def test_sweep_waits_and_prints_one_json_line_per_job_with_its_values(
    home, emulator, capsys
) -> None:
    code, out, err = run_cli(
        capsys, "run", "-m", FLUX, "-m", SCHNELL, "-p", "a cat",
        "--sweep", "seed=1..3", "--sweep", "guidance_scale=2,4", "-w",
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 12 and len({line["sweep"] for line in lines}) == 1
    assert [line["index"] for line in lines] == list(range(12))
    assert [(line["model"], line["values"]) for line in lines[:2]] == [
        (FLUX, {"seed": 1, "guidance_scale": 2}),
        (FLUX, {"seed": 1, "guidance_scale": 4}),
    ]
    assert lines[-1]["model"] == SCHNELL
    assert lines[-1]["values"] == {"seed": 3, "guidance_scale": 4}
    assert all(line["state"] == "done" and line["result"]["images"] for line in lines)
    sent = emulator.jobs[lines[7]["request_id"]]
    assert sent.endpoint_id == SCHNELL
    assert sent.input == {"prompt": "a cat", "seed": 1, "guidance_scale": 4}
    assert sent.headers["x-fal-queue-priority"] == "low"
    assert "sweep: seed 3 values × guidance_scale 2 values × 2 models = 12 jobs" in err
    assert "estimate: ≈0.3 USD for 12 jobs" in err


def test_sweep_without_wait_prints_handles_and_honours_the_cap(home, emulator, capsys) -> None:
    code, out, err = run_cli(
        capsys, "run", "-m", FLUX, "-p", "a cat", "--sweep", "guidance_scale=2..6 step 2",
        "--max-in-flight", "1", "--priority", "normal",
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["values"] for line in lines] == [{"guidance_scale": g} for g in (2, 4, 6)]
    assert all(line["status_url"] and line["request_id"] in emulator.jobs for line in lines)
    seeds = {line["seed"] for line in lines}
    assert len(seeds) == 1  # the seed was not swept: one seed for every job
    assert {emulator.jobs[x["request_id"]].headers["x-fal-queue-priority"] for x in lines} == {
        "normal"
    }


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        (["seed"], "seed: expected FIELD=VALUES"),
        (["seed=1..x"], "seed: the end of the range"),
        (["guidance_scale=2,lots"], "guidance_scale (fal-ai/flux/dev): 'lots'"),
        (["guidance_scale=2,50"], "guidance_scale (fal-ai/flux/dev)"),
        (["guidanse_scale=2,4"], "did you mean guidance_scale"),
        (["seed=1,1"], "listed twice"),
        (["output_format=*", "seed=1..300"], "a sweep runs at most 500"),
    ],
)
def test_bad_sweep_specs_exit_2_naming_what_is_wrong(
    home, emulator, capsys, sweep: list[str], message: str
) -> None:
    argv = ["run", "-m", FLUX, "-p", "a cat", "-w"]
    for item in sweep:
        argv += ["--sweep", item]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err
    assert not emulator.jobs  # nothing was sent


def test_sweep_flags_that_do_not_fit_exit_2(home, emulator, capsys) -> None:
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--sweep", "seed=1,2", "-n", "2")
    assert code == 2 and "--count does not go with a sweep" in err
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--max-in-flight", "2")
    assert code == 2 and "add --sweep" in err
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--sweep", "seed=1,2", "--sync")
    assert code == 2 and "drop --sync" in err
    assert not emulator.jobs


def test_a_sweep_passing_the_budget_needs_yes(home, emulator, capsys) -> None:
    write_config(home, "[budget]\nper_day = 0.1\n")  # flux/dev: 0.025 USD an image
    argv = ["run", "-m", FLUX, "-p", "a cat", "--sweep", "seed=1..6", "-a"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == "" and not emulator.jobs
    assert "estimate: ≈0.15 USD for 6 jobs" in err
    assert "would pass today's budget of 0.1 USD" in err and "--yes" in err
    code, out, err = run_cli(capsys, *argv, "--yes")
    assert code == 0, err
    assert len(out.split()) == 6 and len(emulator.jobs) == 6
