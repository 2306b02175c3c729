"""The job journal: every job, kept in SQLite so that a job fal accepted is never lost.

One connection (WAL mode, ``check_same_thread=False``) guarded by a lock; every ``record`` is
one upsert and one commit, so the request id and URLs are on disk before the caller moves on.
Columns hold the fields we query by; the rest of a job is JSON. The API key is never stored:
a job holds no credentials, and submit options are cleaned before they reach a ``Job``.

It fails closed (``faltui.core.journal_repair`` does the salvage):

* A damaged journal — not a database, truncated, a folder in its place, read-only, written by a
  newer faltui — is moved aside (``journal.sqlite3.damaged-<time>``) and every job that can
  still be read (every row with a request id, even when its JSON is damaged) goes into a fresh
  journal; ``salvage`` says what was kept, for the user.
* A journal locked by another process is waited for briefly (``lock_wait``); reads go on
  (WAL), a write that cannot get the lock raises ``JournalUnavailable`` naming who holds it.
* When no journal can be written at all, the journal stays readable from what was salvaged,
  ``problem`` says why (a banner), and ``record`` raises ``JournalUnavailable``: the job
  manager then refuses to submit, so nothing is sent unrecorded.

Every error raised here is a ``JournalError`` (a ``FaltuiError``): never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from faltui.core.client.models import QueueHandle
from faltui.core.errors import FaltuiError
from faltui.core.job import FINAL_STATES, Job, JobState
from faltui.core.text import safe_json

#: Version of the table layout below; bump it and add a step to ``_MIGRATIONS`` to change it.
SCHEMA_VERSION = 1

#: Seconds a write waits for another process's lock before giving up.
LOCK_WAIT = 3.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    state TEXT NOT NULL,
    request_id TEXT,
    label TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    submitted_at REAL,
    finished_at REAL,
    input TEXT NOT NULL,
    handle TEXT,
    result TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
CREATE INDEX IF NOT EXISTS jobs_live ON jobs(state) WHERE request_id IS NOT NULL;
"""

#: ``version -> SQL`` upgrading a journal from ``version`` to ``version + 1``.
_MIGRATIONS: dict[int, str] = {}

_UPSERT = """
INSERT INTO jobs (id, endpoint_id, state, request_id, label, created_at, submitted_at,
                  finished_at, input, handle, result, data)
VALUES (:id, :endpoint_id, :state, :request_id, :label, :created_at, :submitted_at,
        :finished_at, :input, :handle, :result, :data)
ON CONFLICT(id) DO UPDATE SET
    endpoint_id = excluded.endpoint_id, state = excluded.state,
    request_id = excluded.request_id, label = excluded.label,
    submitted_at = excluded.submitted_at, finished_at = excluded.finished_at,
    input = excluded.input, handle = excluded.handle, result = excluded.result,
    data = excluded.data
"""

COLUMNS = (
    "id",
    "endpoint_id",
    "state",
    "request_id",
    "label",
    "created_at",
    "submitted_at",
    "finished_at",
    "input",
    "handle",
    "result",
    "data",
)
_COLUMNS = ", ".join(COLUMNS)

_FINAL = tuple(s.value for s in FINAL_STATES)


class JournalError(FaltuiError):
    """The journal cannot be used as asked (closed, damaged beyond reading, …)."""


class JournalUnavailable(JournalError):
    """No job can be written to the journal, so none may be submitted (nothing unrecorded)."""


class JournalDamaged(JournalError):
    """The journal file is not a usable journal (raised while opening; then repaired)."""


class Journal:
    """SQLite journal of jobs. Thread-safe; every method is short and blocking.

    Opening never raises for a damaged, locked or unwritable journal: see the module
    docstring, ``salvage`` (what a repair kept), ``problem`` and ``writable``.
    """

    def __init__(
        self, path: Path | str, *, lock_wait: float | None = None, _refuse: str | None = None
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.lock_wait = LOCK_WAIT if lock_wait is None else lock_wait
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        #: Jobs read from a journal that could not be reopened for writing (read-only mode).
        self._memory: dict[str, Job] | None = None
        self._problem: str | None = None
        self._closed = False
        self.writes = 0
        #: What a repair did at open (``None`` when the journal was fine).
        self.salvage: Any = None
        if _refuse is not None:
            self._use(None, [])
            self._problem = _refuse
            return
        if self.path is None:
            self._conn = _connect(":memory:", self.lock_wait)
            _prepare(self._conn)
            return
        from faltui.core import journal_repair

        journal_repair.open_journal(self)

    @classmethod
    def unavailable(cls, path: Path | str, reason: str) -> Journal:
        """A journal that holds nothing and refuses every write (``problem`` = ``reason``).

        For callers that could not open one at all: with it the job manager refuses to
        submit, instead of running without a journal.
        """
        return cls(path, _refuse=reason)

    # -- state -----------------------------------------------------------------------------

    @property
    def problem(self) -> str | None:
        """Why jobs cannot be written right now (show it as a banner), or None."""
        return self._problem

    @property
    def writable(self) -> bool:
        """False when no job can be written (submitting must be refused)."""
        return self._conn is not None and self._problem is None

    @property
    def retries(self) -> bool:
        """True when every write tries the database again, so a ``problem`` can clear by itself
        (another process let go of its lock, disk space was freed); False when nothing can be
        written this session (no database open: damaged beyond repair, unwritable, closed)."""
        return self._conn is not None and not self._closed

    @property
    def notice(self) -> str | None:
        """What the user should be told about this journal (a repair, a problem), or None."""
        if self.salvage is not None:
            return str(self.salvage.message)  # says what was kept and whether jobs can be written
        return self._problem

    def _set_problem(self, problem: str | None) -> None:
        self._problem = problem

    def _use(self, conn: sqlite3.Connection | None, memory: Iterable[Job] | None = None) -> None:
        """Adopt ``conn`` (a prepared connection) or, without one, read-only ``memory`` jobs."""
        self._conn = conn
        self._memory = None if memory is None else {job.id: job for job in memory}

    # -- schema ----------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The layout version stored in the file."""
        if self._conn is None:
            return SCHEMA_VERSION
        row = self._query("SELECT version FROM schema_version")
        return int(row[0][0])

    # -- writing ---------------------------------------------------------------------------

    def record(self, job: Job, *, wait: float | None = None) -> None:
        """Insert or update ``job`` and commit (durable when this returns).

        Raises ``JournalUnavailable`` when the journal cannot be written (locked by another
        process for longer than ``wait`` — default ``lock_wait`` — read-only, disk full, no
        journal at all).
        """
        params = job_params(job)
        with self._lock:
            conn = self._require_writable()
            waited = self.lock_wait if wait is None else wait
            try:
                if wait is not None:
                    conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
                try:
                    conn.execute(_UPSERT, params)  # autocommit: one implicit transaction
                finally:
                    if wait is not None:
                        conn.execute(f"PRAGMA busy_timeout = {int(self.lock_wait * 1000)}")
            except sqlite3.Error as exc:
                self._problem = self._write_problem(exc, waited)
                raise JournalUnavailable(self._problem) from exc
            self._problem = None
            self.writes += 1

    def record_many(self, jobs: Iterable[Job]) -> int:
        """Insert or update every job in one transaction (all or none); returns how many.

        For bulk writes (an import): one commit instead of one per job. Raises
        ``JournalUnavailable`` like ``record``.
        """
        rows = [job_params(job) for job in jobs]
        if not rows:
            return 0
        with self._lock:
            conn = self._require_writable()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(_UPSERT, rows)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                self._problem = self._write_problem(exc, self.lock_wait)
                raise JournalUnavailable(self._problem) from exc
            self._problem = None
            self.writes += len(rows)
        return len(rows)

    def delete(self, job_id: str) -> bool:
        """Forget a job; True if it was there."""
        with self._lock:
            conn = self._require_writable()
            try:
                cur = conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            except sqlite3.Error as exc:
                self._problem = self._write_problem(exc, self.lock_wait)
                raise JournalUnavailable(self._problem) from exc
            return cur.rowcount > 0

    def _require_writable(self) -> sqlite3.Connection:
        if self._closed:
            raise JournalError("the job journal is closed")
        if self._conn is None:
            raise JournalUnavailable(self._problem or "the job journal cannot be written")
        return self._conn

    def _write_problem(self, exc: sqlite3.Error, waited: float) -> str:
        from faltui.core import journal_repair

        return journal_repair.describe_write_error(self.path, exc, waited)

    # -- reading ---------------------------------------------------------------------------

    def load_all(self) -> list[Job]:
        """Every job, oldest first (a row with damaged JSON comes back from its columns)."""
        return self._select("", (), lambda job: True)

    def unfinished(self) -> list[Job]:
        """Jobs fal accepted (they have a request id) that are not in a final state."""
        marks = ",".join("?" * len(_FINAL))
        return self._select(
            f"WHERE request_id IS NOT NULL AND state NOT IN ({marks})",
            _FINAL,
            lambda job: job.request_id is not None and not job.final,
        )

    def interrupted(self) -> list[Job]:
        """Jobs that never got a request id and are not final (faltui stopped mid-submit)."""
        marks = ",".join("?" * len(_FINAL))
        return self._select(
            f"WHERE request_id IS NULL AND state NOT IN ({marks})",
            _FINAL,
            lambda job: job.request_id is None and not job.final,
        )

    def unknown(self) -> list[Job]:
        """Jobs whose submit outcome is unknown (reconcile them through the request history)."""
        states = (JobState.unknown.value, JobState.failed.value)
        return [
            job
            for job in self._select(
                "WHERE request_id IS NULL AND state IN (?, ?)",
                states,
                lambda job: job.request_id is None,
            )
            if job.state is JobState.unknown
        ]

    def since(self, moment: float) -> list[Job]:
        """Jobs created at or after ``moment`` (epoch seconds), oldest first."""
        return self._select(
            "WHERE created_at >= ?", (moment,), lambda job: job.created_at >= moment
        )

    def request_ids(self) -> set[str]:
        """Every request id the journal holds."""
        if self._conn is None and not self._closed:
            return {job.request_id for job in (self._memory or {}).values() if job.request_id}
        rows = self._query("SELECT request_id FROM jobs WHERE request_id IS NOT NULL")
        return {str(row[0]) for row in rows}

    def get(self, job_id: str) -> Job | None:
        """One job by its local id."""
        found = self._select("WHERE id = ?", (job_id,), lambda job: job.id == job_id)
        return found[0] if found else None

    def count(self) -> int:
        """How many jobs the journal holds."""
        if self._conn is None:
            return len(self._memory or {})
        return int(self._query("SELECT COUNT(*) FROM jobs")[0][0])

    def _select(
        self, where: str, params: tuple[Any, ...], keep: Callable[[Job], bool]
    ) -> list[Job]:
        if self._conn is None and not self._closed:
            jobs = [job for job in (self._memory or {}).values() if keep(job)]
            return sorted(jobs, key=lambda job: job.created_at)
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs {where} ORDER BY created_at, rowid", params
        )
        return [job for job in map(row_to_job, rows) if job is not None]

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._closed or self._conn is None:
                raise JournalError("the job journal is closed")
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                from faltui.core import journal_repair

                raise JournalError(
                    journal_repair.describe_read_error(self.path, exc, self.lock_wait)
                ) from exc


# -- connection -----------------------------------------------------------------------------


def _connect(path: str, lock_wait: float) -> sqlite3.Connection:
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=lock_wait)


def _prepare(conn: sqlite3.Connection) -> None:
    """WAL mode, then create or upgrade the tables (taking a write lock only when needed).

    Raises ``JournalDamaged`` for a journal written by a newer faltui and ``sqlite3.Error``
    for everything SQLite refuses.
    """
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    version = _stored_version(conn)
    if version == SCHEMA_VERSION:
        return  # nothing to write: a journal locked by a writer still opens for reading
    if version is not None and version > SCHEMA_VERSION:
        raise JournalDamaged(
            f"it was written by a newer faltui (schema {version}; this faltui knows "
            f"{SCHEMA_VERSION})"
        )
    _migrate(conn)


def _stored_version(conn: sqlite3.Connection) -> int | None:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables or "jobs" not in tables:
        return None
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    if row is None:
        return None
    try:
        return int(row[0])
    except (TypeError, ValueError) as exc:
        raise JournalDamaged(f"its schema version {row[0]!r} is not a number") from exc


def _migrate(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            version = SCHEMA_VERSION
        else:
            version = int(row[0])
        if version > SCHEMA_VERSION:
            raise JournalDamaged(
                f"it was written by a newer faltui (schema {version}; this faltui knows "
                f"{SCHEMA_VERSION})"
            )
        while version < SCHEMA_VERSION:
            for statement in _MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
            version += 1
            conn.execute("UPDATE schema_version SET version = ?", (version,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# -- rows -------------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    """A text column value SQLite can store (a lone surrogate becomes U+FFFD)."""
    if value is None:
        return None
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return safe_json(value, indent=None, default=str, separators=(",", ":"))


def job_params(job: Job) -> dict[str, Any]:
    """The column values of ``job`` (JSON columns written with every unsafe char escaped)."""
    data = job.to_dict()
    return {
        "id": job.id,
        "endpoint_id": _text(job.endpoint_id),
        "state": job.state.value,
        "request_id": _text(job.request_id),
        "label": _text(job.label),
        "created_at": job.created_at,
        "submitted_at": job.submitted_at,
        "finished_at": job.finished_at,
        "input": _dumps(data.pop("input")),
        "handle": _dumps(data.pop("handle")),
        "result": _dumps(data.pop("result")),
        "data": _dumps(data),
    }


def _loads(text: Any) -> Any:
    if text is None or text == "":
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return json.loads(text)


def row_to_job(row: tuple[Any, ...] | dict[str, Any]) -> Job | None:
    """A job from a row of ``COLUMNS`` (a tuple in that order, or a dict by name).

    A row whose JSON is damaged still gives a job from its columns (id, endpoint, state,
    request id, times) as long as it has an id: a request id must never be dropped.
    """
    values = dict(zip(COLUMNS, row, strict=False)) if isinstance(row, tuple) else dict(row)
    job_id = values.get("id")
    if not job_id:
        return None
    try:
        data = _loads(values.get("data")) or {}
        if not isinstance(data, dict):
            raise ValueError("data is not an object")
        data.update(_column_fields(values))
        data["input"] = _loads(values.get("input")) or {}
        data["handle"] = _loads(values.get("handle"))
        data["result"] = _loads(values.get("result"))
        return Job.from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    try:
        return _job_from_columns(values)
    except (ValueError, TypeError, KeyError):
        return None


def _column_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": values.get("id"),
        "endpoint_id": values.get("endpoint_id") or "",
        "state": values.get("state") or "pending",
        "request_id": values.get("request_id"),
        "label": values.get("label") or "",
        "created_at": values.get("created_at") or 0.0,
        "submitted_at": values.get("submitted_at"),
        "finished_at": values.get("finished_at"),
    }


def _job_from_columns(values: dict[str, Any]) -> Job:
    """What the plain columns still say about a job whose JSON is unreadable."""
    fields = _column_fields(values)
    handle: Any = None
    try:
        handle = _loads(values.get("handle"))
    except ValueError:
        handle = None
    try:
        payload = _loads(values.get("input"))
    except ValueError:
        payload = None
    data = {
        **fields,
        "input": payload if isinstance(payload, dict) else {},
        "handle": None,
        "label": fields["label"] or "(partly unreadable journal row)",
    }
    job = Job.from_dict(data)
    if isinstance(handle, dict):
        try:
            job.handle = QueueHandle.from_dict(handle)
        except (KeyError, TypeError, ValueError):
            job.handle = None  # resume rebuilds it from the endpoint and request id
    return job
