"""``faltui emulator`` as a tool: options and their errors, --schemas, --chaos, --tls, the admin
routes, and persistence under a data folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faltui.cli import main as faltui_main
from faltui.emulator import ADMIN_KEY, DEMO_KEY, Emulator, start_demo
from faltui.emulator.chaos import ChaosSettings, parse_chaos
from faltui.emulator.schema_files import SchemaFileError, load_schema_dir

AUTH = {"Authorization": f"Key {DEMO_KEY}"}
FLUX = "fal-ai/flux/dev"
SCHEMAS = Path(__file__).parent / "data" / "emulator_schemas"


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=10) as client:
        yield client


def wait_done(http: httpx.Client, status_url: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = http.get(status_url).json()
        if body["status"] == "COMPLETED":
            return body
        time.sleep(0.01)
    raise AssertionError("job did not complete")


# --- option errors: one line, exit 2 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "99999"], "--port 99999 is out of range (0-65535)"),
        (["--run-port", "-1"], "--run-port -1 is out of range (0-65535)"),
        (["--chaos", "rate429=2"], "--chaos: rate429='2': expected a probability between 0 and 1"),
        (["--chaos", "rate418=0.1"], "--chaos: rate418: status must be one of"),
        (["--chaos", "nonsense"], "--chaos: 'nonsense': expected name=value"),
        (["--chaos", "routes=submit+bogus"], "--chaos: routes: unknown route 'bogus'"),
        (["--chaos", "rate429=0.6,rate503=0.6"], "--chaos: error rates add up to 1.2"),
        (["--time-scale", "0"], "--time-scale must be a positive number, got 0"),
        (["--cert", "x.pem"], "--cert and --key go together"),
        (["--cert", "nope.pem", "--key", "nope.pem"], "--cert nope.pem: no such file"),
        (["--tls", "--cert", "a", "--key", "b"], "use either --tls or --cert/--key, not both"),
        (["--public-url", "fal.example"], "--public-url must be an origin like https://host"),
        (["--schemas", "/nonexistent-folder"], "--schemas: /nonexistent-folder: not a folder"),
    ],
)
def test_bad_options_fail_with_one_line_and_status_2(argv, message, capsys):
    assert faltui_main(["emulator", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"faltui emulator: {message}")
    assert err.count("\n") == 1


def test_a_port_in_use_fails_with_one_line(capsys):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        assert faltui_main(["emulator", "--port", str(port)]) == 2
    finally:
        busy.close()
    assert capsys.readouterr().err == (
        f"faltui emulator: port {port} on 127.0.0.1 is already in use\n"
    )


def test_bad_schema_files_are_named(tmp_path, capsys):
    (tmp_path / "broken.json").write_text("{not json")
    assert faltui_main(["emulator", "--schemas", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "broken.json: not valid JSON" in err and err.count("\n") == 1
    (tmp_path / "broken.json").write_text(json.dumps({"paths": {"/": {"get": {}}}}))
    with pytest.raises(SchemaFileError, match="no POST operation with a JSON request body"):
        load_schema_dir(tmp_path)
    (tmp_path / "broken.json").unlink()
    (tmp_path / "single.json").write_text(
        json.dumps(
            {
                "paths": {
                    "/": {
                        "post": {"requestBody": {"content": {"application/json": {"schema": {}}}}}
                    }
                }
            }
        )
    )
    with pytest.raises(SchemaFileError, match="'single' is not an endpoint id"):
        load_schema_dir(tmp_path)


# --- chaos text ------------------------------------------------------------------------------


def test_chaos_text_round_trips():
    settings = parse_chaos(
        "rate429=0.1, rate503=0.05,drop=0.05,latency=50ms,ingress502=0.01,seed=3"
    )
    assert settings.rates == {429: 0.1, 503: 0.05} and settings.ingress == {502: 0.01}
    assert settings.drop == 0.05 and settings.latency == 0.05 and settings.seed == 3
    assert parse_chaos(settings.describe()) == settings
    assert parse_chaos("") == parse_chaos("off") == ChaosSettings()
    assert parse_chaos("latency=0.2s,routes=submit+status").routes == {"submit", "status"}


def test_random_chaos_follows_its_rates_and_routes(emulator, http):
    emulator.chaos.configure(parse_chaos("rate429=1,routes=submit"))
    for _ in range(3):
        refused = http.post(f"/{FLUX}", json={"prompt": "x"})
        assert refused.status_code == 429 and refused.json()["error_type"] == "rate_limited"
    assert emulator.jobs == {}
    assert http.get("/v1/models", params={"limit": 1}).status_code == 200  # other routes fine
    emulator.chaos.configure(parse_chaos("ingress503=1,routes=status"))
    job = http.post(f"/{FLUX}", json={"prompt": "x"}).json()
    ingress = http.get(job["status_url"])
    assert ingress.status_code == 503 and "nginx" in ingress.text
    assert "x-fal-request-id" not in ingress.headers
    emulator.chaos.configure(parse_chaos("drop=1,routes=submit"))
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(f"/{FLUX}", json={"prompt": "x"})
    assert len(emulator.jobs) == 2  # a dropped submit was still taken
    # Seeded: the same draws every time.
    draws = []
    for _ in range(2):
        emulator.chaos.configure(parse_chaos("rate500=0.5,seed=42,routes=models"))
        draws.append([http.get("/v1/models", params={"limit": 1}).status_code for _ in range(12)])
    assert draws[0] == draws[1] and {200, 500} == set(draws[0])


def test_chaos_can_make_jobs_slow_or_crash(emulator, http):
    emulator.chaos.configure(parse_chaos("error=1"))
    job = http.post(f"/{FLUX}", json={"prompt": "x"}).json()
    assert wait_done(http, job["status_url"])["error_type"] == "runner_server_error"
    emulator.chaos.configure(parse_chaos("slow=1"))
    job = http.post(f"/{FLUX}", json={"prompt": "x"}).json()
    assert emulator.jobs[job["request_id"]].progress_ticks == 50


# --- admin routes ----------------------------------------------------------------------------


def test_admin_chaos_routes_script_faults_from_outside(emulator, http):
    base = emulator.base_url
    state = httpx.put(f"{base}/_emulator/chaos", content="rate429=0.25,latency=10ms").json()
    assert state["settings"]["text"] == "rate429=0.25,latency=10ms"
    assert httpx.get(f"{base}/_emulator/chaos").json()["settings"]["rates"] == {"429": 0.25}
    bad = httpx.put(f"{base}/_emulator/chaos", content="rate429=7")
    assert bad.status_code == 400 and "probability" in bad.json()["detail"]
    script = {
        "chaos": "off",
        "fail_next": [{"route": "submit", "status": 503, "count": 2, "with_request_id": False}],
        "drop_next": [{"route": "result"}],
        "jobs": [{"outcome": "validation"}],
    }
    state = httpx.post(f"{base}/_emulator/chaos", json=script).json()
    assert state["pending"] == {"failures": {"submit": 2}, "drops": {"result": 1}}
    assert state["settings"]["text"] == ""
    assert [http.post(f"/{FLUX}", json={"prompt": "x"}).status_code for _ in range(3)] == [
        503,
        503,
        200,
    ]
    (job,) = emulator.jobs.values()
    assert job.outcome == "validation"
    accepted = {"route": "submit", "status": 504, "with_request_id": False, "after": True}
    httpx.post(f"{base}/_emulator/chaos", json={"fail_next": [accepted]})
    assert http.post(f"/{FLUX}", json={"prompt": "lost answer"}).status_code == 504
    assert len(emulator.jobs) == 2  # fal took it; only the answer was lost
    bad_outcome = httpx.post(f"{base}/_emulator/chaos", json={"jobs": [{"outcome": "meh"}]})
    assert bad_outcome.status_code == 400
    slow = httpx.post(f"{base}/_emulator/chaos", json={"timeline": {"queue_ticks": 40}}).json()
    assert slow["timeline"] == {"queue_ticks": 40, "progress_ticks": 5}
    queued = http.post(f"/{FLUX}", json={"prompt": "x"}).json()
    assert queued["queue_position"] == 39 and len(emulator.jobs) == 3
    calm = httpx.delete(f"{base}/_emulator/chaos").json()
    assert calm["pending"] == {"failures": {}, "drops": {}}
    assert calm["timeline"] == {"queue_ticks": 3, "progress_ticks": 5}


def test_admin_timeline_spread_and_job_instants(emulator, http):
    base = emulator.base_url
    spread = {"timeline": {"queue_ticks": [0, 4], "progress_ticks": [2, 60], "seed": 5}}
    state = httpx.post(f"{base}/_emulator/chaos", json=spread).json()
    assert state["timeline"] == {"queue_ticks": [0, 4], "progress_ticks": [2, 60]}
    ids = [http.post(f"/{FLUX}", json={"prompt": str(i)}).json()["request_id"] for i in range(40)]
    ticks = [(emulator.jobs[r].queue_ticks, emulator.jobs[r].progress_ticks) for r in ids]
    assert all(0 <= q <= 4 and 2 <= p <= 60 for q, p in ticks)
    assert len({p for _, p in ticks}) > 10 and len({q for q, _ in ticks}) == 5
    # The same seed gives the same sequence of timelines.
    httpx.post(f"{base}/_emulator/chaos", json=spread)
    again = [http.post(f"/{FLUX}", json={"prompt": "x"}).json()["request_id"] for _ in range(40)]
    assert [(emulator.jobs[r].queue_ticks, emulator.jobs[r].progress_ticks) for r in again] == ticks
    bad = httpx.post(f"{base}/_emulator/chaos", json={"timeline": {"progress_ticks": [9, 2]}})
    assert bad.status_code == 400
    listed = httpx.get(f"{base}/_emulator/jobs").json()
    by_id = {job["request_id"]: job for job in listed["jobs"]}
    first = emulator.jobs[ids[0]]
    assert by_id[ids[0]]["finished_at"] == first.finished_at
    assert by_id[ids[0]]["created_at"] <= by_id[ids[0]]["started_at"] <= first.finished_at
    assert all(j["done"] == (listed["now"] >= j["finished_at"]) for j in listed["jobs"])
    assert httpx.delete(f"{base}/_emulator/chaos").json()["timeline"] == {
        "queue_ticks": 3,
        "progress_ticks": 5,
    }


def test_admin_stats_and_reset(emulator, http):
    emulator.script_next_jobs("app_error")
    crashed = http.post(f"/{FLUX}", json={"prompt": "x"}).json()
    ok = http.post(f"/{FLUX}", json={"prompt": "y"}).json()
    for job in (crashed, ok):
        wait_done(http, job["status_url"])
    http.get(ok["response_url"])
    stats = httpx.get(f"{emulator.base_url}/_emulator/stats").json()
    assert stats["jobs"]["total"] == 2
    assert stats["jobs"]["by_state"] == {"COMPLETED": 2}
    assert stats["jobs"]["finished"] == {"ok": 1, "runner_server_error": 1}
    assert stats["counters"]["submit"] == 2 and stats["counters"]["result"] == 1
    assert stats["files"] >= 1 and stats["open_streams"] == 0
    assert httpx.post(f"{emulator.base_url}/_emulator/reset").json() == {"reset": True}
    after = httpx.get(f"{emulator.base_url}/_emulator/stats").json()
    assert after["jobs"]["total"] == 0 and after["counters"] == {} and after["files"] == 0


# --- --schemas -------------------------------------------------------------------------------


def test_schema_folder_endpoints_are_searchable_documented_and_runnable(emulator, http):
    for endpoint_id, doc in load_schema_dir(SCHEMAS):
        emulator.catalog.add(endpoint_id, doc, tags=["local"])
    found = http.get("/v1/models", params={"q": "sketch"}).json()["models"]
    assert {m["endpoint_id"] for m in found} == {"acme/sketchbook", "acme/sketchbook/upscale"}
    main = next(m for m in found if m["endpoint_id"] == "acme/sketchbook")
    assert main["metadata"]["display_name"] == "Acme Sketchbook"
    upscale = next(m for m in found if m["endpoint_id"] == "acme/sketchbook/upscale")
    assert upscale["metadata"]["display_name"] == "Acme Sketchbook · Upscale"
    assert main["metadata"]["category"] == "text-to-image"
    assert "local" in main["metadata"]["tags"]
    doc = http.get(
        "/api/openapi/queue/openapi.json", params={"endpoint_id": "acme/sketchbook/upscale"}
    ).json()
    assert set(doc["paths"]) == {
        "/acme/sketchbook/upscale",
        "/acme/sketchbook/upscale/requests/{request_id}",
        "/acme/sketchbook/upscale/requests/{request_id}/status",
        "/acme/sketchbook/upscale/requests/{request_id}/cancel",
    }
    assert doc["info"]["x-fal-metadata"]["endpointId"] == "acme/sketchbook/upscale"
    # Runs: queue and sync, outputs shaped like the document, validation like fal.
    job = http.post("/acme/sketchbook", json={"prompt": "a fox", "num_images": 2}).json()
    assert job["status_url"].startswith(emulator.base_url + "/acme/sketchbook/requests/")
    wait_done(http, job["status_url"])
    result = http.get(job["response_url"]).json()
    assert len(result["images"]) == 2 and isinstance(result["seed"], int)
    assert http.get(result["images"][0]["url"]).headers["content-type"] == "image/png"
    with httpx.Client(base_url=emulator.run_url, headers=AUTH) as run:
        upscaled = run.post("/acme/sketchbook/upscale", json={"image_url": "https://x/y.png"})
        assert upscaled.status_code == 200 and upscaled.json()["image"]["url"]
        invalid = run.post("/acme/sketchbook", json={"pencil": "9H"})
        assert invalid.status_code == 422
        locations = {tuple(d["loc"]) for d in invalid.json()["detail"]}
        assert locations == {("body", "prompt"), ("body", "pencil")}
    fast = http.post("/acme/fast-flux", json={"prompt": "x"}).json()
    wait_done(http, fast["status_url"])
    assert http.get(fast["response_url"]).json()["images"]


# --- the command itself, over TLS ------------------------------------------------------------


def _read_banner(proc: subprocess.Popen) -> dict[str, str]:
    lines: dict[str, str] = {}
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, "the emulator exited early"
        line = line.strip()
        if line.startswith("faltui fal emulator listening on "):
            lines["base"] = line.rsplit(" ", 1)[-1]
        elif line.startswith(("Serving", "Chaos")):
            lines[line.split(" ", 1)[0].rstrip(":")] = line
        elif "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            lines[name] = value
        if line == "Press Ctrl-C to stop.":
            return lines


def test_the_command_serves_tls_schemas_and_chaos_and_prints_what_clients_need(tmp_path):
    env = {**os.environ, "FALTUI_HOME": str(tmp_path / "home")}
    argv = [
        sys.executable, "-m", "faltui", "emulator", "--port", "0", "--run-port", "0",
        "--tls", "--tls-dir", str(tmp_path / "tls"), "--time-scale", "0.02",
        "--schemas", str(SCHEMAS), "--chaos", "latency=1ms,seed=7",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        banner = _read_banner(proc)
        ca = banner["SSL_CERT_FILE"]
        assert ca == banner["NODE_EXTRA_CA_CERTS"] == str(tmp_path / "tls" / "ca.pem")
        assert banner["FAL_KEY"] == DEMO_KEY
        assert banner["base"].startswith("https://127.0.0.1:")
        assert banner["FAL_QUEUE_RUN_HOST"] == banner["base"].removeprefix("https://")
        assert banner["FALTUI_RUN_URL"] == "https://" + banner["FAL_RUN_HOST"]
        assert "acme/sketchbook/upscale" in banner["Serving"]
        assert banner["Chaos"] == "Chaos: latency=1ms,seed=7"
        verify = ssl.create_default_context(cafile=ca)
        with httpx.Client(verify=verify, headers=AUTH, timeout=10) as http:
            job = http.post(f"https://{banner['FAL_QUEUE_RUN_HOST']}/acme/sketchbook",
                            json={"prompt": "tls"}).json()  # fmt: skip
            assert job["status_url"].startswith(banner["base"])
            wait_done(http, job["status_url"])
            run = http.post(f"https://{banner['FAL_RUN_HOST']}/{FLUX}", json={"prompt": "x"})
            assert run.status_code == 200 and run.json()["images"]
            usage = http.get(f"{banner['FALTUI_PLATFORM_URL']}/models/usage",
                             headers={"Authorization": f"Key {ADMIN_KEY}"})  # fmt: skip
            assert usage.status_code == 200
            stats = http.get(f"{banner['base']}/_emulator/stats").json()
            assert stats["chaos"] == "latency=1ms,seed=7" and stats["counters"]["run"] == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    # The CA is kept: a second start reuses it (clients trust it once).
    first = (tmp_path / "tls" / "ca.pem").read_bytes()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        _read_banner(proc)
        assert (tmp_path / "tls" / "ca.pem").read_bytes() == first
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


# --- persistence -----------------------------------------------------------------------------


def test_jobs_and_files_survive_a_restart(tmp_path):
    folder = tmp_path / "emu"
    first = Emulator(time_scale=0.02, data_dir=folder).start()
    with httpx.Client(base_url=first.base_url, headers=AUTH, timeout=10) as http:
        done = http.post(f"/{FLUX}", json={"prompt": "kept", "seed": 5}).json()
        wait_done(http, done["status_url"])
        result = http.get(done["response_url"]).json()
        image = http.get(result["images"][0]["url"]).content
        token = http.post("/storage/auth/token", json={}).json()
        uploaded = httpx.post(
            f"{first.base_url}/files/upload",
            headers={"Authorization": f"Bearer {token['token']}", "X-Fal-File-Name": "a.txt"},
            content=b"uploaded before",
        ).json()["access_url"]
        first.store.queue_ticks = 10_000  # stays queued while the emulator runs
        queued = http.post(f"/{FLUX}", json={"prompt": "unfinished"}).json()
        assert http.get(queued["status_url"]).json()["status"] == "IN_QUEUE"
    first.stop()
    port, run_port = first.port, first.run_port

    second = Emulator(port=port, run_port=run_port, time_scale=0.02, data_dir=folder).start()
    try:
        assert second.restored_jobs == 2
        with httpx.Client(base_url=second.base_url, headers=AUTH, timeout=10) as http:
            again = http.get(done["response_url"])
            assert again.status_code == 200 and again.json() == result
            assert http.get(result["images"][0]["url"]).content == image
            assert http.get(uploaded).content == b"uploaded before"
            # Its queue time was 10,000 ticks of 0.02 s: still queued, never lost.
            status = http.get(queued["status_url"]).json()
            assert status["status"] == "IN_QUEUE"
            items = http.get(
                "/v1/models/requests/by-endpoint", params={"endpoint_id": FLUX}
            ).json()["items"]
            assert {i["request_id"] for i in items} == {done["request_id"], queued["request_id"]}
            second.reset()
            assert http.get(done["response_url"]).status_code == 404
    finally:
        second.stop()
    with Emulator(data_dir=folder) as empty:
        assert empty.restored_jobs == 0


def test_unfinished_jobs_finish_across_a_restart(tmp_path):
    folder = tmp_path / "emu"
    emu = Emulator(time_scale=0.5, data_dir=folder).start()  # a job takes 4 s
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=10) as http:
        job = http.post(f"/{FLUX}", json={"prompt": "x"}).json()
        cancelled = http.post(f"/{FLUX}", json={"prompt": "y"}).json()
        assert http.put(cancelled["cancel_url"]).status_code == 202
    emu.stop()
    emu = Emulator(port=emu.port, run_port=emu.run_port, data_dir=folder).start()
    try:
        with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=10) as http:
            assert http.get(cancelled["status_url"]).json()["error_type"] == "client_cancelled"
            body = wait_done(http, job["status_url"])
            assert "error" not in body
            assert http.get(job["response_url"]).json()["images"]
    finally:
        emu.stop()


def test_start_demo_reuses_its_ports_and_state(tmp_path):
    folder = tmp_path / "demo"
    first = start_demo(folder, time_scale=0.02)
    ports = (first.port, first.run_port)
    with httpx.Client(base_url=first.base_url, headers=AUTH, timeout=10) as http:
        job = http.post(f"/{FLUX}", json={"prompt": "demo"}).json()
        wait_done(http, job["status_url"])
    first.stop()
    second = start_demo(folder, time_scale=0.02)
    try:
        assert (second.port, second.run_port) == ports
        with httpx.Client(headers=AUTH, timeout=10) as http:
            assert http.get(job["response_url"]).status_code == 200  # the old URL
        # The ports are taken: a third demo takes others and still sees the jobs.
        third = start_demo(folder, time_scale=0.02)
        try:
            assert third.port not in ports and job["request_id"] in third.jobs
        finally:
            third.stop()
    finally:
        second.stop()


def test_faltui_runs_through_an_external_chaotic_emulator(tmp_path):
    """``faltui emulator --chaos`` misbehaves for a separate program: faltui's own CLI, pointed
    at it with the printed variables, still gets every job exactly once."""
    env = {**os.environ, "FALTUI_HOME": str(tmp_path / "home")}
    chaos = "rate429=0.4,ingress503=0.2,routes=submit+status+result,seed=11"
    argv = [
        sys.executable, "-m", "faltui", "emulator", "--port", "0", "--run-port", "0",
        "--time-scale", "0.02", "--chaos", chaos,
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        banner = _read_banner(proc)
        client_env = {**env, "FAL_KEY": banner["FAL_KEY"]}
        client_env.update({k: v for k, v in banner.items() if k.startswith("FALTUI_")})
        for index in range(4):
            done = subprocess.run(
                [sys.executable, "-m", "faltui", "run", "-m", FLUX, "-p", f"chaos {index}", "-w"],
                capture_output=True, text=True, env=client_env, timeout=120, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["images"]
        stats = httpx.get(f"{banner['base']}/_emulator/stats").json()
        assert stats["jobs"]["total"] == 4  # refused submits were retried, none twice
        assert stats["counters"]["submit"] > 4  # some submits were refused
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
