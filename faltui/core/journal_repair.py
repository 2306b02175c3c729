"""Opening the job journal safely: find damage, move it aside, salvage jobs, name lock holders.

``open_journal`` is what ``Journal.__init__`` runs for a file path. The journal it opens is one
of: usable as it is; repaired (the damaged file moved to ``journal.sqlite3.damaged-<time>`` and
every job still readable — rows, rows with damaged JSON, handles found in the raw bytes — put
in a fresh journal); or read-only (nothing can be written: ``problem`` says why, the salvaged
jobs are readable, submitting is refused).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faltui.core.client.models import QueueHandle
from faltui.core.job import Job, JobState

if TYPE_CHECKING:
    from faltui.core.journal import Journal

#: SQLite result codes of "another connection holds the lock".
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_READONLY_CODE = 8  # SQLITE_READONLY
_FULL_CODE = 13  # SQLITE_FULL
#: Files SQLite keeps beside the journal (moved aside with it).
_SIDE_FILES = ("-wal", "-shm")

_STRING = rb'"((?:[^"\\]|\\.)*)"'
#: A journaled handle in raw bytes (``QueueHandle.to_dict`` order, compact JSON).
_HANDLE = re.compile(
    rb'\{"endpoint_id":' + _STRING + rb',"request_id":' + _STRING + rb',"status_url":'
    rb"" + _STRING + rb',"response_url":' + _STRING + rb',"cancel_url":' + _STRING
)
#: The head of a journaled job's ``data`` column in raw bytes (``Job.to_dict`` order).
_DATA_HEAD = re.compile(
    rb'\{"id":"([0-9a-f]{32})","endpoint_id":' + _STRING + rb',"state":"([a-z_]+)",'
    rb'"request_id":' + _STRING
)


@dataclass(frozen=True)
class Salvage:
    """What opening a damaged journal did, to tell the user."""

    path: Path
    reason: str
    moved_to: Path | None
    kept: int
    with_request_id: int
    #: Rows SQLite returned that could not be made into a job.
    unreadable: int
    fresh: bool  # a fresh journal holds the kept jobs (False: nothing can be written)
    error: str | None = None
    #: Part of the file could not be read at all (a cut, overwritten pages).
    incomplete: bool = False

    @property
    def message(self) -> str:
        """One paragraph for the user: what was wrong, where it went, what was kept."""
        if not self.fresh:
            text = (
                f"The job journal {self.path} cannot be used ({self.reason}) and no journal "
                f"can be written ({self.error}): submitting is refused until that is fixed."
            )
            if self.kept:
                text += (
                    f" {self.kept} job(s) could still be read from it ({self.with_request_id} "
                    "with a request id)."
                )
            return text
        text = f"The job journal {self.path} was unusable ({self.reason})."
        if self.moved_to is not None:
            text += f" It was moved aside to {self.moved_to}."
        if self.kept:
            text += (
                f" {self.kept} job(s) were kept ({self.with_request_id} with a request id, "
                "resumable)"
            )
            text += f"; {self.unreadable} row(s) could not be read" if self.unreadable else ""
            text += "; part of the file could not be read." if self.incomplete else "."
        elif self.unreadable:
            text += f" None of its {self.unreadable} row(s) could be read."
        else:
            text += " No job could be read from it."
        return text + " A fresh journal took its place."


class _Locked(Exception):
    """The journal is held by another process (SQLite busy)."""


class _Damaged(Exception):
    """The journal file cannot be used; ``str`` says why, for the user."""


# -- opening ----------------------------------------------------------------------------------


def open_journal(journal: Journal) -> None:
    """Open ``journal.path`` into ``journal``: as it is, repaired, or read-only (see module)."""
    from faltui.core.journal import JournalDamaged, _connect, _prepare

    path = journal.path
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        journal._use(None, [])
        journal._set_problem(
            f"the job journal folder {path.parent} cannot be created "
            f"({exc.strerror or exc}): submitting is refused until it can be"
        )
        return
    conn: sqlite3.Connection | None = None
    try:
        if path.is_dir():
            raise _Damaged("a folder is in its place")
        existed = path.exists() and path.stat().st_size > 0
        if path.exists() and not os.access(path, os.W_OK):
            raise _Damaged("it is read-only")
        if not os.access(path.parent, os.W_OK):
            raise _Damaged(f"its folder {path.parent} is read-only")
        conn = _connect(str(path), journal.lock_wait)
        if existed:
            _check_integrity(conn)
        _prepare(conn)
        journal._use(conn)
        return
    except _Locked:
        pass
    except sqlite3.Error as exc:
        if not _is_busy(exc):
            _close(conn)
            _repair(journal, _damage_reason(exc))
            return
    except (_Damaged, JournalDamaged) as exc:
        _close(conn)
        _repair(journal, str(exc))
        return
    except OSError as exc:
        _close(conn)
        _repair(journal, exc.strerror or str(exc))
        return
    # Locked by another process: keep the connection (reads work in WAL mode, writes wait).
    journal._use(conn)
    journal._set_problem(lock_message(path, journal.lock_wait))


def _check_integrity(conn: sqlite3.Connection) -> None:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        if _is_busy(exc):
            raise _Locked from exc
        raise
    if rows != [("ok",)]:
        first = str(rows[0][0]) if rows else "no answer"
        raise _Damaged(f"its data is damaged: {first[:120]}")


def _close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def _is_busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _BUSY_CODES:
        return True
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _damage_reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF == _READONLY_CODE) or "readonly" in text:
        return "it is read-only"
    if "not a database" in text:
        return "it is not a database (random bytes or another kind of file)"
    if "malformed" in text:
        return "it is damaged (truncated or overwritten)"
    return text


# -- repair -----------------------------------------------------------------------------------


def _repair(journal: Journal, reason: str) -> None:
    from faltui.core.journal import _UPSERT, _connect, _prepare, job_params

    path = journal.path
    assert path is not None
    jobs, unreadable, incomplete = salvage_jobs(path)
    moved_to: Path | None = None
    error: str | None = None
    try:
        moved_to = move_aside(path)
        conn = _connect(str(path), journal.lock_wait)
        try:
            _prepare(conn)
            conn.execute("BEGIN IMMEDIATE")
            for job in jobs:
                conn.execute(_UPSERT, job_params(job))
            conn.execute("COMMIT")
        except BaseException:
            _close(conn)
            raise
        journal._use(conn)
    except (OSError, sqlite3.Error) as exc:
        error = getattr(exc, "strerror", None) or str(exc)
        journal._use(None, jobs)
        journal._set_problem(
            f"the job journal {path} is unusable ({reason}) and no new one can be written "
            f"({error}): submitting is refused until that is fixed"
        )
    journal.salvage = Salvage(
        path=path,
        reason=reason,
        moved_to=moved_to,
        kept=len(jobs),
        with_request_id=sum(1 for job in jobs if job.request_id),
        unreadable=unreadable,
        incomplete=incomplete,
        fresh=error is None,
        error=error,
    )


def move_aside(path: Path) -> Path:
    """Rename ``path`` (and SQLite's side files) to ``<name>.damaged-<time>``; the new path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists() or target.is_symlink():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    if path.exists() or path.is_symlink():
        path.rename(target)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            with contextlib.suppress(OSError):
                side.rename(target.with_name(target.name + suffix))
    return target


# -- salvage ----------------------------------------------------------------------------------


def salvage_jobs(path: Path) -> tuple[list[Job], int, bool]:
    """Every job that can still be read from a damaged journal, how many rows SQLite gave
    that were unusable, and whether part of the file could not be read at all.

    Rows are read through SQLite from a copy (so WAL contents count and nothing touches the
    original); a row with damaged JSON comes back from its columns; then the raw bytes are
    searched for journaled handles and job heads that SQLite could not reach.
    """
    jobs: dict[str, Job] = {}
    unreadable = 0
    incomplete = False
    if path.is_file():
        with tempfile.TemporaryDirectory(prefix="faltui-salvage-") as folder:
            copy = Path(folder) / "journal.sqlite3"
            try:
                shutil.copyfile(path, copy)
                wal = path.with_name(path.name + "-wal")
                if wal.is_file():
                    shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            except OSError:
                pass
            else:
                _mend_truncation(copy)
                found, unreadable, incomplete = _rows_from_copy(copy)
                for job in found:
                    jobs[job.id] = job
    known = {job.request_id for job in jobs.values() if job.request_id}
    for job in _jobs_from_bytes(path):
        if job.request_id and job.request_id not in known:
            jobs[job.id] = job
            known.add(job.request_id)
    return sorted(jobs.values(), key=lambda job: job.created_at), unreadable, incomplete


_MAGIC = b"SQLite format 3\x00"


def _mend_truncation(copy: Path) -> None:
    """Let SQLite read what a truncated file still holds.

    SQLite refuses a file cut in the middle of a page, or shorter than its header says, as a
    whole; padded to whole pages with the header's page count set to what is there, every
    page before the cut reads again (the missing ones still fail, row by row).
    """
    try:
        with copy.open("r+b") as fh:
            head = fh.read(100)
            if len(head) < 100 or not head.startswith(_MAGIC):
                return
            page_size = int.from_bytes(head[16:18], "big")
            page_size = 65536 if page_size == 1 else page_size
            if page_size < 512 or page_size & (page_size - 1):
                return
            size = fh.seek(0, os.SEEK_END)
            if size % page_size:
                fh.write(b"\0" * (page_size - size % page_size))
                size += page_size - size % page_size
            pages = size // page_size
            if int.from_bytes(head[28:32], "big") > pages:
                fh.seek(28)
                fh.write(pages.to_bytes(4, "big"))
    except OSError:
        return


def _rows_from_copy(copy: Path) -> tuple[list[Job], int, bool]:
    from faltui.core.journal import COLUMNS, row_to_job

    jobs: list[Job] = []
    unreadable = 0
    try:
        conn = sqlite3.connect(str(copy))
    except sqlite3.Error:
        return [], 0, True
    try:
        conn.text_factory = lambda b: b.decode("utf-8", "replace")
        try:
            present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        except sqlite3.Error:
            return [], 0, True
        columns = [c for c in COLUMNS if c in present]
        if "id" not in columns:
            return [], 0, True
        select = ", ".join(columns)
        last, errors = 0, 0
        while errors < 40:
            try:
                cursor = conn.execute(
                    f"SELECT rowid, {select} FROM jobs WHERE rowid > ? ORDER BY rowid", (last,)
                )
                for row in cursor:
                    last = row[0]
                    job = row_to_job(dict(zip(columns, row[1:], strict=True)))
                    if job is None:
                        unreadable += 1
                    else:
                        jobs.append(job)
                break
            except sqlite3.Error:
                errors += 1
                last += 2**errors  # skip past the damaged page
    finally:
        _close(conn)
    return jobs, unreadable, errors > 0


def _decode(raw: bytes) -> str:
    return str(json.loads(b'"' + raw + b'"'))


def _jobs_from_bytes(path: Path) -> list[Job]:
    """Jobs rebuilt from journaled handles and job heads found in the raw bytes."""
    blobs: list[bytes] = []
    for candidate in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            if candidate.is_file():
                blobs.append(candidate.read_bytes())
    try:
        when = path.stat().st_mtime
    except OSError:
        when = time.time()
    by_request: dict[str, dict[str, Any]] = {}
    for blob in blobs:
        for match in _HANDLE.finditer(blob):
            try:
                endpoint, request_id, status, response, cancel = map(_decode, match.groups())
            except ValueError:
                continue
            entry = by_request.setdefault(request_id, {})
            entry["handle"] = QueueHandle(endpoint, request_id, status, response, cancel)
            entry.setdefault("endpoint_id", endpoint)
        for match in _DATA_HEAD.finditer(blob):
            job_id, endpoint_raw, state, request_raw = match.groups()
            try:
                request_id = _decode(request_raw)
                endpoint = _decode(endpoint_raw)
            except ValueError:
                continue
            entry = by_request.setdefault(request_id, {})
            entry.update(id=job_id.decode(), endpoint_id=endpoint, state=state.decode())
    jobs: list[Job] = []
    for request_id, entry in by_request.items():
        try:
            state = JobState(entry.get("state", "queued"))
        except ValueError:
            state = JobState.queued
        job = Job(
            endpoint_id=entry.get("endpoint_id", ""),
            input={},
            request_id=request_id,
            handle=entry.get("handle"),
            state=state,
            created_at=when,
            label="(recovered from a damaged journal)",
        )
        if "id" in entry:
            job.id = entry["id"]
        jobs.append(job)
    return jobs


# -- messages ---------------------------------------------------------------------------------


def lock_holders(path: Path | None) -> list[str]:
    """Other processes that have the journal open (``pid 123 (sqlite3)``); Linux only."""
    if path is None:
        return []
    names = {str(path), str(path) + "-wal", str(path) + "-shm"}
    with contextlib.suppress(OSError):
        names |= {str(path.resolve()), str(path.resolve()) + "-wal"}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found: list[str] = []
    own = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target in names:
                try:
                    command = (entry / "comm").read_text().strip()
                except OSError:
                    command = "?"
                found.append(f"pid {entry.name} ({command})")
                break
    return found


def lock_message(path: Path | None, waited: float) -> str:
    """The journal is locked: by whom, and what that means."""
    holders = lock_holders(path)
    who = ", ".join(holders) if holders else "another process"
    return (
        f"the job journal {path} is locked by {who} (waited {waited:g} s): nothing can be "
        "recorded, so nothing is submitted until it is free"
    )


def describe_write_error(path: Path | None, exc: BaseException, waited: float) -> str:
    """Why a write to the journal failed, for the user (and the TUI banner)."""
    if _is_busy(exc):
        return lock_message(path, waited)
    code = getattr(exc, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF == _READONLY_CODE) or "readonly" in str(exc):
        return f"the job journal {path} is read-only: nothing can be recorded or submitted"
    if code is not None and code & 0xFF == _FULL_CODE:
        return f"the disk holding the job journal {path} is full: nothing can be submitted"
    return f"the job journal {path} cannot be written ({exc}): nothing can be submitted"


def describe_read_error(path: Path | None, exc: BaseException, waited: float) -> str:
    """Why a read of the journal failed, for the user."""
    if _is_busy(exc):
        holders = lock_holders(path)
        who = ", ".join(holders) if holders else "another process"
        return f"the job journal {path} is locked by {who} (waited {waited:g} s)"
    return (
        f"the job journal {path} cannot be read ({exc}); the next faltui start moves it aside "
        "and salvages its jobs"
    )
