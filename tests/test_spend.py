"""Spend: billed cost from x-fal-billable-units × unit price (fal-protocol §4.9, §9.2), "price
varies" for vague units, summaries by model and day, the Usage API (§9.5) with an admin key
and without, and the budget — against the emulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from beyond_support import FLUX, point_cli_at, run_cli, write_config

from faltui.core.budget import Budget, check_budget
from faltui.core.client import FalClient, QueueHandle, parse_billable_units
from faltui.core.job import Job, JobState
from faltui.core.journal import Journal
from faltui.core.pricing import Price, describe_cost, get_prices, is_vague_unit
from faltui.core.spend import CostKind, SpendTotal, estimate_submit, job_cost, summarize
from faltui.core.sync_run import run_journaled
from faltui.emulator import ADMIN_KEY, DEMO_KEY, Emulator
from faltui.services import build_services

SCHNELL = "fal-ai/flux/schnell"
KLING = "fal-ai/kling-video/v3/pro/text-to-video"


async def _header_units(settings, handle: QueueHandle) -> str | None:
    """What the emulator itself sends as x-fal-billable-units for a request."""
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            handle.response_url, headers={"Authorization": f"Key {settings.key}"}
        )
    return answer.headers.get("x-fal-billable-units")


async def test_flux_job_is_billed_units_times_unit_price(emulator: Emulator, emu_settings):
    services = build_services(emu_settings)
    try:
        job = await services.jobs.submit(FLUX, {"prompt": "a red fox", "num_images": 3})
        await services.jobs.wait_all()
        assert job.state is JobState.done
        header = await _header_units(emu_settings, job.handle)
        assert header == "3" and job.billable_units == 3.0
        (price,) = await get_prices(None, emu_settings, [FLUX])
        await services.prices.fetch([FLUX])
        cost = services.spend.cost_of(job)
        assert cost.kind is CostKind.billed
        assert cost.billed == pytest.approx(3 * price.unit_price)
        assert cost.text() == f"{3 * price.unit_price:g} USD"
        assert cost.estimate == pytest.approx(cost.billed)  # num_images 3 → 3 images
        assert services.spend.today().billed == pytest.approx(cost.billed)
        assert services.spend.session().billed_jobs == 1
        assert "today 0.075 USD" in services.spend.status_text()
    finally:
        await services.aclose()
    with Journal(emu_settings.paths.journal_file) as journal:
        stored = journal.get(job.id)
    assert stored is not None and stored.billable_units == 3.0


async def test_a_sync_run_is_journaled_with_its_billed_units(emulator: Emulator, emu_settings):
    client = FalClient(emu_settings)
    try:
        with Journal(emu_settings.paths.journal_file) as journal:
            job = await run_journaled(client, journal, FLUX, {"prompt": "x", "num_images": 2})
            stored = journal.get(job.id)
    finally:
        await client.aclose()
    assert job.state is JobState.done and job.origin == "sync"
    assert job.request_id in emulator.jobs
    assert job.billable_units == 2.0 and stored is not None and stored.billable_units == 2.0
    assert stored.result == job.result and stored.request_id == job.request_id


def test_an_absent_header_is_unknown_not_zero() -> None:
    assert parse_billable_units({}) is None
    assert parse_billable_units({"x-fal-billable-units": "2.5"}) == 2.5
    assert parse_billable_units({"x-fal-billable-units": "lots"}) is None
    assert parse_billable_units({"x-fal-billable-units": "-1"}) is None
    price = Price(FLUX, 0.025, "image")
    done = Job(FLUX, {"num_images": 2}, state=JobState.done, request_id="r")
    cost = job_cost(done, price)
    assert cost.kind is CostKind.unknown and cost.billed is None
    assert cost.text() == "≈0.05 USD"  # the estimate stands in, marked as one
    assert SpendTotal().plus(cost).billed == 0 and SpendTotal().plus(cost).estimated == 0.05
    failed = Job(FLUX, {}, state=JobState.failed, request_id="r")
    assert job_cost(failed, price).kind is CostKind.not_billed
    refused = Job(FLUX, {}, state=JobState.failed)
    assert job_cost(refused, price).kind is CostKind.not_sent


@pytest.mark.parametrize(
    ("unit", "vague"),
    [
        ("image", False),
        ("megapixel", False),
        ("video_second", False),
        ("audio_minute", False),
        ("request", False),
        ("1000_characters", False),
        ("1m_tokens", False),
        ("units", True),
        ("unit", True),
        ("credits", True),
        ("compute_seconds", True),
        ("gpu_second", True),
        ("second", True),
        ("", True),
    ],
)
def test_which_units_are_vague(unit: str, vague: bool) -> None:
    assert is_vague_unit(unit) is vague


async def test_a_vague_unit_says_price_varies(emulator: Emulator, emu_settings):
    emulator.catalog.set_price(FLUX, 0.0011, "compute_seconds")
    services = build_services(emu_settings)
    try:
        job = await services.jobs.submit(FLUX, {"prompt": "x"})
        await services.jobs.wait_all()
        await services.prices.fetch([FLUX])
        price = services.prices.get(FLUX)
        assert price is not None and price.unit == "compute_seconds"
        assert job.billable_units is not None  # fal said a quantity: of an unclear unit
        cost = services.spend.cost_of(job)
        assert cost.kind is CostKind.price_varies and cost.billed is None
        assert cost.text() == "price varies"
        estimate = services.spend.estimate(FLUX, {"prompt": "x"}, 4)
        assert estimate.total is None and estimate.text().startswith("price varies")
        assert describe_cost(price, {"prompt": "x"}).startswith("price varies")
        today = services.spend.today()
        assert today.varies_jobs == 1 and today.billed == 0 and today.committed == 0
    finally:
        await services.aclose()


def _old_job(home: Path, days_ago: int) -> Job:
    """A flux job journaled as finished ``days_ago`` days ago, billed 1 image."""
    finished = time.time() - days_ago * 86_400
    job = Job(
        FLUX,
        {"prompt": "long ago"},
        state=JobState.done,
        request_id=f"old-{days_ago}",
        created_at=finished - 5,
        finished_at=finished,
        billable_units=1.0,
        result={"images": []},
    )
    with Journal(home / "data" / "journal.sqlite3") as journal:
        journal.record(job)
    return job


def test_spend_by_model_and_day_from_the_journal(emulator, tmp_path, monkeypatch, capsys):
    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    for argv in (
        ("-m", FLUX, "-p", "one", "--num-images", "2"),
        ("-m", FLUX, "-p", "two"),
        ("-m", SCHNELL, "-p", "three", "--num-images", "3"),
    ):
        code, _, err = run_cli(capsys, "run", *argv, "-w")
        assert code == 0, err
    old = _old_job(home, days_ago=3)
    found = asyncio.run(get_prices(None, _settings(emulator, tmp_path), [FLUX, SCHNELL]))
    prices = {p.endpoint_id: p for p in found}
    flux, schnell = prices[FLUX].unit_price, prices[SCHNELL].unit_price

    code, out, err = run_cli(capsys, "spend", "--by", "model", "--json")
    assert code == 0, err
    body = json.loads(out)
    rows = {row["key"]: row for row in body["rows"]}
    assert rows[FLUX]["jobs"] == 3 and rows[FLUX]["billed"] == pytest.approx(4 * flux)
    assert rows[SCHNELL]["jobs"] == 1 and rows[SCHNELL]["billed"] == pytest.approx(3 * schnell)
    assert body["total"]["billed"] == pytest.approx(4 * flux + 3 * schnell)
    assert body["today"]["billed"] == pytest.approx(3 * flux + 3 * schnell)
    assert body["usage"] == {
        "available": False,
        "message": "billed totals need an admin key; showing the local sum of per-request "
        "billed costs",
    }
    assert "billed totals need an admin key" in err

    code, out, _ = run_cli(capsys, "spend", "--by", "day", "--json")
    days = json.loads(out)["rows"]
    old_day = time.strftime("%Y-%m-%d", time.localtime(old.finished_at))
    today = time.strftime("%Y-%m-%d")
    assert [row["key"] for row in days] == [old_day, today]
    assert days[0]["billed"] == pytest.approx(flux) and days[0]["jobs"] == 1
    assert days[1]["billed"] == pytest.approx(3 * flux + 3 * schnell) and days[1]["jobs"] == 3

    code, out, _ = run_cli(capsys, "spend", "--since", "today")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Spend from the local journal since ")
    flux_line = next(line for line in lines if line.strip().startswith(FLUX))
    assert flux_line.split()[1:3] == ["2", f"{3 * flux:g}"]  # the old job is left out

    code, _, err = run_cli(capsys, "spend", "--since", "last tuesday")
    assert code == 2 and "--since: cannot read 'last tuesday'" in err


def _settings(emulator: Emulator, home: Path):
    return emulator.settings(home, key=DEMO_KEY)


def test_usage_api_with_an_admin_key(emulator, tmp_path, monkeypatch, capsys):
    point_cli_at(emulator, tmp_path / "home", monkeypatch, key=ADMIN_KEY)
    for images in ("1", "2"):
        code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--num-images", images, "-w")
        assert code == 0, err
    code, out, err = run_cli(capsys, "spend", "--json")
    assert code == 0, err
    body = json.loads(out)
    usage = body["usage"]
    assert usage["available"] is True and usage["message"] is None
    assert usage["total"] == pytest.approx(body["total"]["billed"])  # fal's sum = ours
    (line,) = usage["summary"]
    assert line["endpoint_id"] == FLUX and line["quantity"] == 3 and line["unit"] == "image"
    assert "admin key" not in err

    code, out, err = run_cli(capsys, "spend", "--by", "day")
    assert code == 0
    assert "fal's billed usage (Usage API)" in out
    assert f"  {time.strftime('%Y-%m-%d')}" in out


def test_usage_with_the_demo_key_is_refused_and_said_so(emulator, tmp_path, monkeypatch, capsys):
    point_cli_at(emulator, tmp_path / "home", monkeypatch, key=DEMO_KEY)
    code, out, err = run_cli(capsys, "spend")
    assert code == 0
    assert "fal's billed usage" not in out
    assert err.strip().endswith(
        "fal's Usage API: billed totals need an admin key; showing the local sum of "
        "per-request billed costs"
    )
    assert emulator.counters["usage"] == 1


def test_budget_check_says_what_part_of_each_limit_a_submit_takes() -> None:
    price = Price(FLUX, 0.025, "image")
    estimate = estimate_submit(FLUX, price, {"num_images": 2}, count=4)
    assert estimate.total == pytest.approx(0.2)
    spent = SpendTotal(jobs=1, billed=0.7, billed_jobs=1)
    fits = check_budget(Budget(per_day=1.0), estimate, spent, SpendTotal())
    assert fits.ok and fits.shares[0].share == pytest.approx(0.2)
    assert fits.shares[0].text() == "today: ≈0.2 USD is 20% of 1 USD (0.7 USD spent → 0.9 USD)"
    passes = check_budget(Budget(per_day=0.8, per_session=5), estimate, spent, SpendTotal())
    assert passes.needs_confirmation
    assert passes.reason == "this submit (≈0.2 USD) would pass today's budget of 0.8 USD"
    unknown = estimate_submit(KLING, Price(KLING, 0.1, "video_second"), {}, count=1)
    assert unknown.total is None  # no duration given and no schema default known
    assert check_budget(Budget(per_day=100), unknown, spent, SpendTotal()).needs_confirmation
    assert check_budget(Budget(), estimate, spent, SpendTotal()).ok  # no budget, no question


def test_bad_budget_config_is_a_clear_message(emulator, tmp_path, monkeypatch, capsys):
    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    write_config(home, "[budget]\nper_day = 'five'\n")
    code, _, err = run_cli(capsys, "spend")
    assert code == 2
    assert "[budget] per_day must be an amount of money (0 or more), got 'five'" in err


def test_summaries_group_and_order() -> None:
    price = {FLUX: Price(FLUX, 0.025, "image"), SCHNELL: Price(SCHNELL, 0.003, "megapixel")}
    jobs = [
        Job(FLUX, {}, state=JobState.done, request_id="a", billable_units=2),
        Job(SCHNELL, {}, state=JobState.done, request_id="b", billable_units=10),
        Job(FLUX, {}, state=JobState.running, request_id="c"),
    ]
    rows = summarize(jobs, price, "model")
    assert [row.key for row in rows] == [FLUX, SCHNELL]  # most spent first
    assert rows[0].total.billed == pytest.approx(0.05) and rows[0].total.estimated_jobs == 1
    with pytest.raises(ValueError):
        summarize(jobs, price, "week")


def test_a_budget_stops_run_count_4_until_yes(emulator, tmp_path, monkeypatch, capsys) -> None:
    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    (price,) = asyncio.run(get_prices(None, _settings(emulator, tmp_path), [FLUX]))
    each = price.unit_price
    write_config(home, f"[budget]\nper_day = {3 * each}\n")  # three images a day

    code, out, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--count", "4", "-a")
    assert code == 2 and out == "" and not emulator.jobs  # nothing was sent
    assert f"estimate: ≈{4 * each:g} USD for 4 jobs ({each:g} USD per image)" in err
    assert f"this submit (≈{4 * each:g} USD) would pass today's budget of {3 * each:g} USD" in err
    assert f"today: ≈{4 * each:g} USD is 133% of {3 * each:g} USD (0 USD spent" in err
    assert "nothing was sent; add --yes to submit anyway" in err

    code, out, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--count", "2", "-w")
    assert code == 0, err
    assert len(emulator.jobs) == 2
    assert f"budget today: ≈{2 * each:g} USD is 67% of {3 * each:g} USD" in err

    # Now 2 of the 3 are spent: a second pair would pass, so it asks again.
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--count", "2", "-a")
    assert code == 2 and len(emulator.jobs) == 2
    assert f"({2 * each:g} USD spent → {4 * each:g} USD)" in err

    code, out, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--count", "4", "-a", "--yes")
    assert code == 0, err
    assert len(out.split()) == 4 and len(emulator.jobs) == 6
    assert "submitting anyway (--yes)" in err

    write_config(home, f"[budget]\nper_session = {2 * each}\n")
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "--count", "3", "-a")
    assert code == 2 and "would pass this session's budget" in err
