"""Compare (core): the input diff, timings, estimated and billed cost, outputs — on hand-made
jobs for the edge cases, and on jobs run against the emulator over loopback HTTP."""

from __future__ import annotations

import json

import pytest
from beyond_support import FLUX, point_cli_at, run_cli

from faltui.core.compare import (
    NOT_SET,
    JobTimings,
    NotEnoughJobs,
    OutputsSummary,
    billed_text,
    compare_jobs,
    diff_inputs,
    estimate_text,
    same_value,
    value_text,
)
from faltui.core.job import Job, JobState
from faltui.core.pricing import Price
from faltui.core.spend import job_cost
from faltui.emulator import Emulator
from faltui.emulator.billing import price_for
from faltui.services import build_services

PRICE = Price(FLUX, 0.025, "image")


def test_the_diff_is_the_union_of_fields_in_first_seen_order() -> None:
    diff = diff_inputs(
        [
            {"prompt": "a fox", "seed": 1, "guidance_scale": 3.5, "num_images": 1},
            {"prompt": "a fox", "seed": 2, "guidance_scale": 3.5, "num_images": 1},
            {"prompt": "a fox", "seed": 3, "guidance_scale": 5, "enable_safety_checker": False},
        ]
    )
    names = [f.name for f in diff.fields]
    assert names == ["prompt", "seed", "guidance_scale", "num_images", "enable_safety_checker"]
    assert [f.name for f in diff.differing] == [
        "seed",
        "guidance_scale",
        "num_images",
        "enable_safety_checker",
    ]
    assert [f.name for f in diff.equal] == ["prompt"]
    seed = diff.differing[0]
    assert seed.values == ("1", "2", "3")
    num_images = diff.fields[3]
    # Left out by the third job: fal uses the default there, not the same request.
    assert num_images.values == ("1", "1", NOT_SET)
    assert num_images.present == (True, True, False)
    assert diff.fields[4].values == (NOT_SET, NOT_SET, "false")


def test_values_compare_by_meaning_and_render_one_way() -> None:
    assert same_value(3, 3.0)
    assert not same_value(True, 1) and not same_value(1, True)
    assert not same_value(False, 0)
    assert same_value({"width": 1, "height": 2}, {"height": 2, "width": 1.0})
    assert not same_value([1, 2], [2, 1])
    assert not same_value("1", 1)
    assert not same_value(None, "")
    assert value_text(3.5) == "3.5"
    assert value_text(True) == "true"
    assert value_text(None) == "null"
    assert value_text({"width": 1024, "height": 768}) == '{"width": 1024, "height": 768}'
    assert value_text(["a", "b"]) == '["a", "b"]'
    # Strings as they are, multi-line kept, controls and bidi made visible.
    assert value_text("line 1\nline 2") == "line 1\nline 2"
    assert value_text("red\x1b[2Jfox\u202e") == "red␛[2Jfox\\u202e"
    assert "\x1b" not in value_text({"p": "\x1b]52;c;x\x07"})
    diff = diff_inputs([{"guidance_scale": 3}, {"guidance_scale": 3.0}])
    assert not diff.fields[0].differs and diff.fields[0].common == "3"


def test_fewer_than_two_jobs_is_a_clear_error() -> None:
    with pytest.raises(NotEnoughJobs, match="at least 2 jobs; 1 given"):
        compare_jobs([Job(FLUX, {})], {})
    with pytest.raises(NotEnoughJobs):
        compare_jobs([], {})


def test_timings_queue_run_total() -> None:
    job = Job(FLUX, {}, state=JobState.done, request_id="r", created_at=100.0)
    job.submitted_at, job.started_at, job.finished_at = 101.0, 103.5, 110.0
    job.metrics = {"inference_time": 6.25}
    timings = JobTimings.of(job)
    assert (timings.queue, timings.run, timings.total, timings.inference) == (2.5, 6.5, 9.0, 6.25)
    imported = Job(FLUX, {}, state=JobState.done, request_id="r", created_at=100.0)
    imported.finished_at = 104.0
    timings = JobTimings.of(imported)  # run elsewhere: only what is known
    assert (timings.queue, timings.run, timings.total) == (None, None, 4.0)
    running = Job(FLUX, {}, state=JobState.running, request_id="r", created_at=100.0)
    running.submitted_at, running.started_at = 100.5, 101.0
    assert JobTimings.of(running) == JobTimings(queue=0.5, run=None, total=None)


def test_cost_words_for_every_kind() -> None:
    def job(state: JobState, units: float | None, request_id: str | None = "r") -> Job:
        out = Job(FLUX, {"num_images": 2}, state=state, request_id=request_id)
        out.billable_units = units
        return out

    billed = job_cost(job(JobState.done, 2.0), PRICE)
    assert (estimate_text(billed), billed_text(billed)) == ("≈0.05 USD", "0.05 USD")
    running = job_cost(job(JobState.running, None), PRICE)
    assert (estimate_text(running), billed_text(running)) == ("≈0.05 USD", "not billed yet")
    unknown = job_cost(job(JobState.done, None), PRICE)
    assert billed_text(unknown) == "unknown (fal sent no units)"
    vague = job_cost(job(JobState.done, 12.0), Price(FLUX, 0.001, "compute_seconds"))
    assert estimate_text(vague) == "price varies"
    assert billed_text(vague) == "price varies (12 units)"
    no_price = job_cost(job(JobState.done, 2.0), None)
    assert (estimate_text(no_price), billed_text(no_price)) == (
        "no price known",
        "2 units (no price)",
    )
    refused = job_cost(job(JobState.failed, None, request_id=None), PRICE)
    assert billed_text(refused) == "not sent (nothing spent)"
    failed = job_cost(job(JobState.failed, None), PRICE)
    assert billed_text(failed) == "not billed"


def test_outputs_summary() -> None:
    job = Job(FLUX, {}, state=JobState.done, request_id="r")
    job.result = {
        "images": [
            {"url": "https://x/a.png", "width": 64, "height": 48, "content_type": "image/png"},
            {"url": "https://x/b.png", "width": 64, "height": 48, "content_type": "image/png"},
        ],
        "output": "a caption",
    }
    summary = OutputsSummary.of(job)
    assert [f.url for f in summary.images] == ["https://x/a.png", "https://x/b.png"]
    assert summary.text() == "2 images (64×48) · 1 text"
    assert OutputsSummary.of(Job(FLUX, {})).text() == "no outputs"


async def test_compare_flux_jobs_run_on_the_emulator(emulator: Emulator, emu_settings) -> None:
    services = build_services(emu_settings)
    try:
        base = {"prompt": "a lighthouse", "image_size": {"width": 64, "height": 48}}
        jobs = [
            await services.jobs.submit(FLUX, {**base, "seed": seed, "guidance_scale": guidance})
            for seed, guidance in ((1, 3.5), (2, 3.5), (3, 6))
        ]
        await services.jobs.wait_all()
        assert all(job.state is JobState.done for job in jobs)
        prices = await services.prices.fetch([FLUX])
        comparison = compare_jobs(jobs, prices)
    finally:
        await services.aclose()
    price = prices[FLUX]
    assert [f.name for f in comparison.inputs.differing] == ["seed", "guidance_scale"]
    assert [f.name for f in comparison.inputs.equal] == ["prompt", "image_size"]
    assert comparison.inputs.differing[1].values == ("3.5", "3.5", "6")
    assert not comparison.models_differ
    for column in comparison.columns:
        assert column.job.billable_units == 1.0  # one image each, as the emulator bills
        assert column.cost.billed == pytest.approx(price.unit_price)
        assert column.billed == f"{price.unit_price:g} USD"
        assert column.estimate == f"≈{price.unit_price:g} USD"
        assert column.timings.total is not None and column.timings.run is not None
        assert column.outputs.text() == "1 image (64×48)"
    spend = comparison.spend()
    assert spend.billed == pytest.approx(3 * price.unit_price) and spend.billed_jobs == 3


def test_cli_compare_table_json_and_bad_input(emulator: Emulator, tmp_path, monkeypatch, capsys):
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    for seed, guidance in ((5, 3.5), (6, 4)):
        code, out, _ = run_cli(
            capsys,
            "run",
            "-m",
            FLUX,
            "-p",
            "a fox",
            "--seed",
            str(seed),
            "--param",
            f"guidance_scale={guidance}",
            "--size",
            "64x48",
            "-w",
        )
        assert code == 0, out
    code, out, err = run_cli(capsys, "history", "--json")
    assert code == 0, err
    job_ids = [job["id"] for job in json.loads(out)]
    assert len(job_ids) == 2
    code, out, err = run_cli(capsys, "compare", *job_ids, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [f["name"] for f in data["differing"]] == ["seed", "guidance_scale"]
    assert {f["name"] for f in data["equal"]} >= {"prompt", "image_size"}
    price = price_for(emulator.catalog, FLUX).unit_price
    assert [job["cost"]["billed_text"] for job in data["jobs"]] == [f"{price:g} USD"] * 2
    assert data["spend"]["billed_jobs"] == 2
    code, out, err = run_cli(capsys, "compare", job_ids[0][:8], job_ids[1])
    assert code == 0, err
    assert "≠ seed" in out and "≠ guidance_scale" in out and "= prompt" in out
    assert f"billed in all: {2 * price:g} USD" in out
    code, _, err = run_cli(capsys, "compare", job_ids[0])
    assert code == 2 and "at least 2 jobs; 1 given" in err
    code, _, err = run_cli(capsys, "compare", job_ids[0], "nosuchjob")
    assert code == 2 and "no job in the journal matches 'nosuchjob'" in err
    code, _, err = run_cli(capsys, "compare", job_ids[0], job_ids[0])
    assert code == 2 and "the same job is named twice" in err
