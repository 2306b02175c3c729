"""The journal fails closed: six kinds of damage through ``history``, ``resume`` and ``run -w``.

Truncated, random bytes, a folder in its place, read-only, schema version 99, locked by another
process. Every case ends in a faltui message (never a traceback); a damaged journal is moved
aside with its request ids salvaged (and resumed); when no journal can be written, ``run`` is
refused with exit 2 and nothing reaches fal.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faltui.cli import main
from faltui.core import journal as journal_module
from faltui.core.client import QueueHandle
from faltui.core.job import Job, JobState
from faltui.core.journal import Journal, JournalUnavailable
from faltui.emulator import DEMO_KEY, Emulator
from tests.beyond_support import point_cli_at
from tests.journal_lock import journal_locked

FLUX = "fal-ai/flux/dev"
ROOT = Path(__file__).resolve().parents[1]
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# -- building journals --------------------------------------------------------------------------


def fill(path: Path, emulator: Emulator, n_live: int = 3, n_done: int = 40) -> list[str]:
    """A journal with ``n_live`` jobs fal knows (request ids; the emulator runs them) and
    ``n_done`` finished ones with bulky logs (so the file spans many pages). Returns the live
    request ids."""
    import httpx

    live: list[str] = []
    journal = Journal(path)
    for i in range(n_live):
        emulator.script_next_jobs("slow")
        answer = httpx.post(
            f"{emulator.base_url}/{FLUX}",
            json={"prompt": f"live {i}"},
            headers={"Authorization": f"Key {DEMO_KEY}"},
        ).json()
        handle = QueueHandle(
            FLUX,
            answer["request_id"],
            answer["status_url"],
            answer["response_url"],
            answer["cancel_url"],
        )
        job = Job(
            FLUX,
            {"prompt": f"live {i}"},
            state=JobState.queued,
            request_id=handle.request_id,
            handle=handle,
            created_at=1000.0 + i,
        )
        journal.record(job)
        live.append(handle.request_id)
    for i in range(n_done):
        job = Job(
            FLUX,
            {"prompt": f"done {i}", "blob": "x" * 3000},
            state=JobState.done,
            request_id=f"old-{i:03d}",
            created_at=float(i),
            result={"images": []},
        )
        journal.record(job)
    journal.close()
    _checkpoint(path)
    return live


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def truncate(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size * 2 // 3)


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(16 * 1024))


def folder(path: Path) -> None:
    path.mkdir()
    (path / "something").write_text("not a journal")


def version_99(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()


# -- running the CLI ------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A faltui home other users can reach too (for the read-only cases run as ``nobody``)."""
    root = Path(tempfile.mkdtemp(prefix="faltui-damage-"))
    root.chmod(0o777)
    (root / "data").mkdir()
    (root / "data").chmod(0o777)
    yield root
    for path in (root / "data", *(root / "data").glob("*")):
        if AS_ROOT:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    subprocess.run(["chmod", "-R", "u+w", str(root)], check=False)
    subprocess.run(["rm", "-rf", str(root)], check=False)


@pytest.fixture
def cli_env(
    emulator: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Emulator:
    point_cli_at(emulator, home, monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(journal_module, "LOCK_WAIT", 0.5)
    return emulator


def journal_path(home: Path) -> Path:
    return home / "data" / "journal.sqlite3"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    if os.environ.get("TRUST_SHOW"):
        print(f"\n$ faltui {' '.join(argv)}  → exit {code}\n{captured.err}", file=sys.__stderr__)
    return code, captured.out, captured.err


def make_read_only(path: Path) -> None:
    """Make ``path`` unwritable for this process: ``chattr +i`` as root, else ``chmod``."""
    if AS_ROOT:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} immutable here: {done.stderr.decode().strip()}")
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)


def make_writable(path: Path) -> None:
    if AS_ROOT:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    else:
        path.chmod(0o755 if path.is_dir() else 0o644)


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and not re.search(r"sqlite3\.[A-Z]", err), err


# -- the five kinds of damage that are repaired ----------------------------------------------------

DAMAGE = {
    "truncated": truncate,
    "random bytes": random_bytes,
    "folder": folder,
    "schema version 99": version_99,
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_journal_is_moved_aside_salvaged_and_resumed(
    cli_env: Emulator, home: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = journal_path(home)
    # Random bytes or a folder leave nothing to salvage; the other two keep their request ids.
    live = fill(path, cli_env) if kind in ("truncated", "schema version 99") else []
    DAMAGE[kind](path)

    code, out, err = run(capsys, "history", "--limit", "100")
    assert code == 0, err
    no_traceback(err)
    assert "was unusable" in err and "moved aside to" in err
    moved = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert moved, list(path.parent.iterdir())
    assert path.is_file()  # a fresh journal in its place
    for request_id in live:  # every live request id survived
        assert request_id in out, (kind, out)
    if kind in ("truncated", "schema version 99"):
        assert "kept" in err

    code, out, err = run(capsys, "resume", "--timeout", "30")
    assert code == 0, err
    no_traceback(err)
    if live:
        resumed = json.loads(out)
        assert sorted(r["request_id"] for r in resumed) == sorted(live)
        assert all(r["state"] == "done" and r["result"] for r in resumed)
    else:
        assert "nothing to resume" in err

    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "after repair", "-w")
    assert code == 0, err
    no_traceback(err)
    assert "images" in json.loads(out)
    assert "was unusable" not in err  # repaired once, fine since


def test_rows_with_damaged_json_but_a_request_id_are_resumed(
    cli_env: Emulator, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = journal_path(home)
    live = fill(path, cli_env, n_live=2, n_done=0)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE jobs SET data = '{broken', input = 'also broken'")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "resume", "--timeout", "30")
    assert code == 0, err
    assert sorted(r["request_id"] for r in json.loads(out)) == sorted(live)


# -- read-only ------------------------------------------------------------------------------------


def test_read_only_journal_file_is_replaced_by_a_writable_copy(
    cli_env: Emulator,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = journal_path(home)
    live = fill(path, cli_env, n_live=1, n_done=5)
    path.chmod(0o444)
    if AS_ROOT:  # root may write anything: make the permission check answer as for a user
        real_access = os.access
        monkeypatch.setattr(
            "faltui.core.journal_repair.os.access",
            lambda p, mode: False if Path(p) == path and mode & os.W_OK else real_access(p, mode),
        )
    code, out, err = run(capsys, "history")
    assert code == 0, err
    no_traceback(err)
    assert "read-only" in err and "moved aside" in err
    assert live[0] in out
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 0, err
    assert "images" in json.loads(out)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_unwritable_journal_refuses_to_submit_but_still_reads(
    cli_env: Emulator, home: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    path = journal_path(home)
    live = fill(path, cli_env, n_live=1, n_done=5)
    target = path if what == "file" else path.parent
    make_read_only(target)
    try:
        code, out, err = run(capsys, "history")
        assert code == 0, err
        no_traceback(err)
        assert live[0] in out  # read from what could be salvaged
        assert "submitting is refused" in err
        submits = cli_env.counters["submit"]
        code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
        assert code == 2, err
        no_traceback(err)
        assert "submitting is refused" in err
        assert cli_env.counters["submit"] == submits  # nothing sent unrecorded
        code, out, err = run(capsys, "resume", "--timeout", "30")
        no_traceback(err)
        assert code == 0, err
        assert [r["request_id"] for r in json.loads(out)] == live
    finally:
        make_writable(target)


# -- locked by another process ---------------------------------------------------------------------


@pytest.fixture
def locker(home: Path, cli_env: Emulator) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    path = journal_path(home)
    live = fill(path, cli_env, n_live=1, n_done=3)
    with journal_locked(path) as proc:
        yield proc, live


def test_locked_journal_reads_but_refuses_to_submit_and_names_the_holder(
    cli_env: Emulator, locker: tuple[subprocess.Popen[str], list[str]], capsys: Any
) -> None:
    proc, live = locker
    code, out, err = run(capsys, "history")
    assert code == 0, err
    assert live[0] in out
    submits = cli_env.counters["submit"]
    started = time.monotonic()
    code, out, err = run(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 2, err
    no_traceback(err)
    assert "locked by" in err
    if sys.platform == "linux":  # lock holders are named where /proc lists them
        assert f"pid {proc.pid}" in err
    assert time.monotonic() - started >= 0.5  # it waited briefly first
    assert cli_env.counters["submit"] == submits  # nothing sent unrecorded
    code, out, err = run(capsys, "resume", "--timeout", "30")
    no_traceback(err)
    assert code == 0, err
    assert [r["request_id"] for r in json.loads(out)] == live


def test_journal_freed_after_a_wait_is_used(
    cli_env: Emulator, locker: tuple[subprocess.Popen[str], list[str]], home: Path
) -> None:
    proc, _ = locker
    journal = Journal(journal_path(home), lock_wait=0.2)
    job = Job(FLUX, {"prompt": "x"})
    with pytest.raises(JournalUnavailable, match="locked by"):
        journal.record(job)
    assert journal.problem and not journal.salvage
    proc.kill()
    proc.wait()
    journal.record(job)
    assert journal.problem is None and journal.get(job.id) is not None
    journal.close()


# -- core-level: what the repair keeps -------------------------------------------------------------


def test_salvage_reports_what_was_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    for i in range(30):
        journal.record(
            Job(FLUX, {"prompt": "p" * 2000}, request_id=f"r-{i}", state=JobState.queued)
        )
    journal.record(Job(FLUX, {"prompt": "no id"}, state=JobState.unknown, sent_at=1.0))
    journal.close()
    _checkpoint(path)
    truncate(path)
    repaired = Journal(path)
    salvage = repaired.salvage
    assert salvage is not None and salvage.fresh and salvage.moved_to is not None
    assert salvage.moved_to.exists()
    jobs = [job for job in repaired.load_all() if job.request_id]
    kept = {job.request_id for job in jobs}
    assert salvage.with_request_id == len(kept) > 0
    assert kept <= {f"r-{i}" for i in range(30)}
    # Read back as rows (a cut mid-page is mended), not just ids found in the bytes:
    # the pages before the cut give whole jobs, their inputs included.
    assert len(kept) >= 15
    assert sum(1 for job in jobs if job.input.get("prompt") == "p" * 2000) >= 15
    assert f"{salvage.kept} job(s) were kept" in salvage.message
    assert salvage.incomplete and "part of the file could not be read" in salvage.message
    assert "row(s) could not be read" not in salvage.message  # no made-up count
    repaired.close()


def test_request_ids_are_found_in_raw_bytes_when_sqlite_cannot_read_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    handle = QueueHandle(FLUX, "rid-raw", "http://q/s", "http://q/r", "http://q/c")
    journal.record(Job(FLUX, {}, request_id="rid-raw", handle=handle, state=JobState.running))
    journal.close()
    _checkpoint(path)
    data = bytearray(path.read_bytes())
    data[:100] = os.urandom(100)  # the header is gone: SQLite calls it "not a database"
    path.write_bytes(bytes(data))
    repaired = Journal(path)
    (job,) = repaired.unfinished()
    assert job.request_id == "rid-raw" and job.handle == handle
    assert job.state is JobState.running
    assert "not a database" in repaired.salvage.reason
    repaired.close()


def test_a_journal_that_cannot_be_created_refuses_submits(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    journal = Journal(blocker / "journal.sqlite3")
    assert not journal.writable and journal.problem
    assert journal.load_all() == []
    with pytest.raises(JournalUnavailable, match="cannot be created"):
        journal.record(Job(FLUX, {}))
    journal.close()


async def test_manager_refuses_to_submit_without_a_writable_journal(
    emu_settings: Any, emulator: Emulator, tmp_path: Path
) -> None:
    from faltui.core.client import FalClient
    from faltui.core.jobs import JobManager

    journal = Journal.unavailable(tmp_path / "j.sqlite3", "the disk is on fire")
    async with FalClient(emu_settings) as client:
        manager = JobManager(client, journal)
        with pytest.raises(JournalUnavailable, match="on fire"):
            await manager.submit(FLUX, {"prompt": "x"})
        assert manager.jobs() == [] and manager.journal_problem == "the disk is on fire"
        await manager.aclose()
    assert emulator.counters["submit"] == 0
