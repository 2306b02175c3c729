"""``faltui --demo`` in the TUI: the emulator's ports are bound before the first frame (its URLs
are known), its web server starts in a thread afterwards, and a job submitted before the server
is up waits for it: it is accepted and finishes, it does not fail."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from pathlib import Path

import pytest

from faltui.core.config import Paths, Settings
from faltui.core.job import JobState
from faltui.emulator import DEMO_KEY
from faltui.emulator.demo import PORTS_FILE, BackgroundDemo
from faltui.services import build_services


def demo_settings(demo: BackgroundDemo, home: Path) -> Settings:
    paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
    return Settings(key=DEMO_KEY, urls=demo.urls, paths=paths, poll_interval=0.05, demo=True)


async def test_a_submit_before_the_server_is_up_waits_for_it(tmp_path: Path) -> None:
    gate = threading.Event()  # the server starts when the test says so
    demo = BackgroundDemo(tmp_path / "emulator", time_scale=0.02, gate=gate).start()
    services = build_services(demo_settings(demo, tmp_path / "home"))
    try:
        assert demo.emulator is None and not demo.ready.is_set()
        submit = asyncio.create_task(services.jobs.submit("fal-ai/flux/dev", {"prompt": "early"}))
        # The request is sent and sits in the port's listen queue: no answer, and no failure.
        done, _ = await asyncio.wait({submit}, timeout=0.3)
        assert not done and demo.emulator is None
        gate.set()
        job = await asyncio.wait_for(submit, timeout=30)
        assert job.request_id and job.state is not JobState.failed
        await asyncio.wait_for(services.jobs.wait_all(), timeout=30)
        assert job.state is JobState.done and demo.error is None
        assert demo.emulator is not None and job.request_id in demo.emulator.jobs
    finally:
        await services.aclose()
        demo.stop()


def test_the_ports_are_kept_for_the_next_session(tmp_path: Path) -> None:
    folder = tmp_path / "emulator"
    first = BackgroundDemo(folder, time_scale=0.02).start()
    urls = first.urls
    assert first.ready.wait(30) and first.error is None
    first.stop()
    saved = json.loads((folder / PORTS_FILE).read_text(encoding="utf-8"))
    second = BackgroundDemo(folder, time_scale=0.02).start()
    try:
        assert second.urls == urls
        assert urls["queue"].endswith(f":{saved['port']}")
        assert urls["run"].endswith(f":{saved['run_port']}")
        assert second.ready.wait(30) and second.error is None
    finally:
        second.stop()


def test_a_server_that_cannot_start_closes_its_ports_and_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "emulator"
    folder.mkdir()
    (folder / "jobs.jsonl").mkdir()  # where the emulator keeps its jobs: not a file
    demo = BackgroundDemo(folder, time_scale=0.02).start()
    port = int(demo.urls["queue"].rsplit(":", 1)[1])
    try:
        assert demo.ready.wait(30)
        assert demo.error and demo.emulator is None
        assert demo.urls["queue"].endswith(f":{port}")  # still known, its sockets closed
        # A client is refused at once instead of waiting for a server that never comes.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=10).close()
    finally:
        demo.stop()
