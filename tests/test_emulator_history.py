"""Request history, usage and billed units of the emulator (fal-protocol.md §4.9, §9.4, §9.5)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from faltui.emulator import ADMIN_KEY, DEMO_KEY, LOCKED_KEY, Emulator

AUTH = {"Authorization": f"Key {DEMO_KEY}"}
ADMIN = {"Authorization": f"Key {ADMIN_KEY}"}
FLUX = "fal-ai/flux/dev"
KLING = "fal-ai/kling-video/v3/pro/text-to-video"
HISTORY = "/v1/models/requests/by-endpoint"
USAGE = "/v1/models/usage"
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


class ManualClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manual() -> Iterator[tuple[Emulator, httpx.Client, ManualClock]]:
    """An emulator on a hand-moved clock: a job takes 3 s queued + 5 s in progress."""
    clock = ManualClock()
    emu = Emulator(time_scale=1.0, clock=clock)
    with emu, httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=10) as client:
        yield emu, client, clock


def submit(http: httpx.Client, endpoint: str = FLUX, payload: dict | None = None, **kw) -> dict:
    response = http.post(f"/{endpoint}", json=payload or {"prompt": "a red fox"}, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def history(http: httpx.Client, **params) -> httpx.Response:
    return http.get(HISTORY, params=params)


def test_history_needs_a_key_and_an_endpoint_id(manual):
    emu, http, _ = manual
    anonymous = httpx.get(emu.base_url + HISTORY, params={"endpoint_id": FLUX})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "authorization_error"
    locked = httpx.get(
        emu.base_url + HISTORY,
        params={"endpoint_id": FLUX},
        headers={"Authorization": f"Key {LOCKED_KEY}"},
    )
    assert locked.status_code == 403
    missing = history(http)
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "type": "validation_error",
        "message": "endpoint_id is required",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"expand": "bogus"},
        {"sort_by": "bogus"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
        {"cursor": "!!"},
        {"start": "yesterday"},
        {"start": "2024-01-02", "end": "2024-01-01"},
    ],
)
def test_history_rejects_bad_parameters_with_the_platform_envelope(manual, params):
    _emu, http, _ = manual
    response = history(http, endpoint_id=FLUX, **params)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "validation_error"


def test_history_items_payloads_and_states(manual):
    emu, http, clock = manual
    first = submit(http, payload={"prompt": "first", "seed": 1})
    clock.now += 4  # first is in progress
    second = submit(http, payload={"prompt": "second", "seed": 2})
    items = history(http, endpoint_id=FLUX, expand="payloads").json()["items"]
    by_id = {item["request_id"]: item for item in items}
    assert set(by_id) == {first["request_id"], second["request_id"]}
    running = by_id[first["request_id"]]
    assert at(running["sent_at"]) == T0
    assert at(running["started_at"]) == T0 + 3
    assert "ended_at" not in running and "status_code" not in running
    assert running["json_input"] == {"prompt": "first", "seed": 1}
    assert running["json_output"] is None
    assert "started_at" not in by_id[second["request_id"]]  # still queued

    clock.now += 20  # both finished
    items = history(http, endpoint_id=FLUX, expand="payloads").json()["items"]
    # Newest end time first: the second request ended 4 s after the first.
    assert [i["request_id"] for i in items] == [second["request_id"], first["request_id"]]
    done = items[1]
    assert at(done["ended_at"]) == T0 + 8
    assert done["status_code"] == 200 and done["duration"] == 8.0
    assert done["endpoint_id"] == FLUX
    image = done["json_output"]["images"][0]
    assert image["url"].startswith(emu.base_url + "/files/")  # on the origin the client used
    assert http.get(image["url"]).content.startswith(b"\xff\xd8")  # JPEG, flux's default
    plain = history(http, endpoint_id=FLUX).json()["items"]
    assert all("json_input" not in i and "json_output" not in i for i in plain)


def test_history_filters_by_endpoint_time_status_and_request_id(manual):
    emu, http, clock = manual
    ok = submit(http)
    emu.script_next_jobs("validation")
    invalid = submit(http)
    emu.script_next_jobs("app_error")
    crashed = submit(http)
    other = submit(http, KLING, {"prompt": "waves"})
    clock.now += 3600
    late = submit(http)
    clock.now += 20

    def ids(**params) -> set[str]:
        response = history(http, **params)
        assert response.status_code == 200, response.text
        return {item["request_id"] for item in response.json()["items"]}

    flux_ids = {ok["request_id"], invalid["request_id"], crashed["request_id"], late["request_id"]}
    assert ids(endpoint_id=FLUX) == flux_ids
    assert ids(endpoint_id=f"{FLUX},{KLING}") == flux_ids | {other["request_id"]}
    assert (
        httpx.get(
            emu.base_url + HISTORY,
            params=[("endpoint_id", FLUX), ("endpoint_id", KLING)],
            headers=AUTH,
        )
        .json()["items"]
        .__len__()
        == 5
    )
    assert ids(endpoint_id=FLUX, status="success") == {ok["request_id"], late["request_id"]}
    assert ids(endpoint_id=FLUX, status="user_error") == {invalid["request_id"]}
    assert ids(endpoint_id=FLUX, status="error") == {crashed["request_id"]}
    assert ids(endpoint_id=FLUX, start=iso(T0 + 1800)) == {late["request_id"]}
    assert ids(endpoint_id=FLUX, end=iso(T0 + 1800)) == flux_ids - {late["request_id"]}
    assert ids(endpoint_id=FLUX, request_id=ok["request_id"]) == {ok["request_id"]}
    assert ids(endpoint_id="fal-ai/unknown") == set()
    # Without start, only the last 24 hours are listed.
    clock.now += 2 * 86_400
    assert ids(endpoint_id=FLUX) == set()
    assert ids(endpoint_id=FLUX, request_id=ok["request_id"]) == {ok["request_id"]}


def test_history_pages_with_an_opaque_cursor(manual):
    _emu, http, clock = manual
    sent = []
    for index in range(7):
        sent.append(submit(http, payload={"prompt": f"p{index}"})["request_id"])
        clock.now += 1
    clock.now += 20
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"endpoint_id": FLUX, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = history(http, **params).json()
        pages += 1
        seen += [item["request_id"] for item in body["items"]]
        assert body["has_more"] is (body["next_cursor"] is not None)
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
        base64.b64decode(cursor, validate=True)
    assert pages == 3
    assert seen == list(reversed(sent))  # newest first, each once


def test_store_io_zero_and_deleted_payloads_are_not_returned(manual):
    _emu, http, clock = manual
    private = submit(http, headers={"X-Fal-Store-IO": "0"})
    public = submit(http)
    clock.now += 20
    assert http.delete(f"/v1/models/requests/{public['request_id']}/payloads").status_code == 200
    assert http.delete("/v1/models/requests/nope/payloads").status_code == 404
    items = history(http, endpoint_id=FLUX, expand="payloads").json()["items"]
    assert all(i["json_input"] is None and i["json_output"] is None for i in items)
    assert len(items) == 2
    # The result itself is still served.
    assert http.get(private["response_url"]).status_code == 200


def test_unknown_platform_routes_use_the_platform_envelope(manual):
    _emu, http, _ = manual
    for method, path in [("GET", "/v1/nope"), ("POST", "/v1/models"), ("GET", "/v1")]:
        response = http.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["type"] == "not_found"


# --- billed units and usage ------------------------------------------------------------------


def price(http: httpx.Client, endpoint: str) -> dict:
    return http.get("/v1/models/pricing", params={"endpoint_id": endpoint}).json()["prices"][0]


def test_billable_units_on_results_follow_the_published_unit(manual):
    emu, http, clock = manual
    assert price(http, FLUX)["unit"] == "image"
    assert price(http, KLING)["unit"] == "video_second"
    three = submit(http, payload={"prompt": "x", "num_images": 3})
    video = submit(http, KLING, {"prompt": "waves", "duration": "10"})
    emu.script_next_jobs("app_error")
    crashed = submit(http)
    clock.now += 20
    result = http.get(three["response_url"])
    assert len(result.json()["images"]) == 3
    assert result.headers["x-fal-billable-units"] == "3"
    assert http.get(video["response_url"]).headers["x-fal-billable-units"] == "10"
    failed = http.get(crashed["response_url"])
    assert failed.status_code == 500 and "x-fal-billable-units" not in failed.headers
    run = http.post(f"/run/{FLUX}", json={"prompt": "y", "num_images": 2})
    assert run.status_code == 200 and run.headers["x-fal-billable-units"] == "2"


def test_usage_needs_an_admin_key(manual):
    emu, http, _ = manual
    assert httpx.get(emu.base_url + USAGE).status_code == 401
    ordinary = http.get(USAGE)
    assert ordinary.status_code == 403
    assert ordinary.json()["error"]["type"] == "authorization_error"
    assert "Admin" in ordinary.json()["error"]["message"]
    assert http.get(USAGE, headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"expand": "bogus"},
        {"expand": "auth_method"},
        {"timeframe": "fortnight"},
        {"timezone": "Mars/Olympus"},
        {"bound_to_timeframe": "maybe"},
        {"start": "not a date"},
        {"limit": "0"},
    ],
)
def test_usage_rejects_bad_parameters(manual, params):
    _emu, http, _ = manual
    response = http.get(USAGE, params=params, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "validation_error"


def test_usage_summary_and_time_series_match_billed_units(manual):
    emu, http, clock = manual
    billed = []
    for count in (1, 2, 4):
        job = submit(http, payload={"prompt": "x", "num_images": count})
        billed.append(job)
    emu.script_next_jobs("validation")
    submit(http)  # failed: never billed
    submit(http, KLING, {"prompt": "waves", "duration": "5"}, headers=ADMIN)
    clock.now += 120
    submit(http, payload={"prompt": "later"})  # finishes in the next minute bucket
    clock.now += 20
    units = sum(
        float(http.get(job["response_url"]).headers["x-fal-billable-units"]) for job in billed
    )
    assert units == 7

    params = [("expand", "summary"), ("expand", "time_series"), ("expand", "auth_method")]
    params += [("start", iso(T0 - 60)), ("end", iso(clock.now + 60)), ("timeframe", "minute")]
    body = http.get(USAGE, params=params, headers=ADMIN).json()
    summary = {(line["endpoint_id"], line["auth_method"]): line for line in body["summary"]}
    flux = summary[(FLUX, "Demo key")]
    assert flux["quantity"] == 8  # 1 + 2 + 4 + the later single image
    assert flux["unit"] == "image" and flux["currency"] == "USD"
    assert flux["unit_price"] == price(http, FLUX)["unit_price"]
    assert flux["cost"] == pytest.approx(8 * flux["unit_price"])
    kling = summary[(KLING, "Admin key")]
    assert kling["quantity"] == 5 and kling["cost"] == pytest.approx(5 * kling["unit_price"])
    buckets = body["time_series"]
    assert len(buckets) == 2
    assert buckets[0]["bucket"] < buckets[1]["bucket"]
    first = {line["endpoint_id"]: line for line in buckets[0]["results"]}
    assert first[FLUX]["quantity"] == 7
    assert body["has_more"] is False and body["next_cursor"] is None

    only_kling = http.get(
        USAGE, params={"endpoint_id": KLING, "expand": "summary"}, headers=ADMIN
    ).json()
    assert [line["endpoint_id"] for line in only_kling["summary"]] == [KLING]
    # Public client code asks for auth_method_structured: accepted, labelled like auth_method.
    structured = http.get(
        USAGE,
        params=[("expand", "time_series"), ("expand", "auth_method_structured")],
        headers=ADMIN,
    )
    assert structured.status_code == 200
    assert all("auth_method" in r for b in structured.json()["time_series"] for r in b["results"])
    assert "time_series" not in only_kling

    paged = http.get(
        USAGE,
        params={"start": iso(T0 - 60), "timeframe": "minute", "limit": 1},
        headers=ADMIN,
    ).json()
    assert len(paged["time_series"]) == 1 and paged["has_more"] is True
    rest = http.get(
        USAGE,
        params={"start": iso(T0 - 60), "timeframe": "minute", "cursor": paged["next_cursor"]},
        headers=ADMIN,
    ).json()
    assert len(rest["time_series"]) == 1 and rest["has_more"] is False


def test_usage_buckets_follow_the_timezone(manual):
    _emu, http, clock = manual
    submit(http)
    clock.now += 20
    body = http.get(
        USAGE,
        params={"timezone": "America/New_York", "timeframe": "day", "start": "2023-11-14"},
        headers=ADMIN,
    ).json()
    assert [b["bucket"] for b in body["time_series"]] == ["2023-11-14T00:00:00-05:00"]
