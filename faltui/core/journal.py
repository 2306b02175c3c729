"""The job journal: every job, kept in SQLite so that a job fal accepted is never lost.

One connection (WAL mode, ``check_same_thread=False``) guarded by a lock; every ``record`` is
one upsert and one commit, so the request id and URLs are on disk before the caller moves on.
Columns hold the fields we query by; the rest of a job is JSON. The API key is never stored:
a job holds no credentials, and submit options are cleaned before they reach a ``Job``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from faltui.core.job import FINAL_STATES, Job

#: Version of the table layout below; bump it and add a step to ``_MIGRATIONS`` to change it.
SCHEMA_VERSION = 1

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

_COLUMNS = (
    "id, endpoint_id, state, request_id, label, created_at, submitted_at, finished_at, "
    "input, handle, result, data"
)

_FINAL = tuple(s.value for s in FINAL_STATES)


class JournalError(Exception):
    """The journal file exists but cannot be used (e.g. written by a newer faltui)."""


class Journal:
    """SQLite journal of jobs. Thread-safe; every method is short and blocking."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self.writes = 0
        with self._lock:
            conn = self._conn
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(conn)

    # -- schema ----------------------------------------------------------------------------

    @staticmethod
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
                raise JournalError(
                    f"the job journal was written by a newer faltui (schema {version}, this "
                    f"faltui knows {SCHEMA_VERSION}); upgrade faltui or move the file away"
                )
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                version += 1
                conn.execute("UPDATE schema_version SET version = ?", (version,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        """The layout version stored in the file."""
        row = self._query("SELECT version FROM schema_version")
        return int(row[0][0])

    # -- writing ---------------------------------------------------------------------------

    def record(self, job: Job) -> None:
        """Insert or update ``job`` and commit (durable when this returns)."""
        data = job.to_dict()
        params = {
            "id": job.id,
            "endpoint_id": job.endpoint_id,
            "state": job.state.value,
            "request_id": job.request_id,
            "label": job.label,
            "created_at": job.created_at,
            "submitted_at": job.submitted_at,
            "finished_at": job.finished_at,
            "input": _dumps(data.pop("input")),
            "handle": _dumps(data.pop("handle")),
            "result": _dumps(data.pop("result")),
            "data": _dumps(data),
        }
        with self._lock:
            conn = self._require()
            conn.execute(_UPSERT, params)  # autocommit: one implicit transaction
            self.writes += 1

    def delete(self, job_id: str) -> bool:
        """Forget a job; True if it was there."""
        with self._lock:
            cur = self._require().execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return cur.rowcount > 0

    # -- reading ---------------------------------------------------------------------------

    def load_all(self) -> list[Job]:
        """Every job, oldest first. Rows that cannot be read are skipped."""
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs ORDER BY created_at, rowid")
        return [job for job in map(_row_to_job, rows) if job is not None]

    def unfinished(self) -> list[Job]:
        """Jobs fal accepted (they have a request id) that are not in a final state."""
        marks = ",".join("?" * len(_FINAL))
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs WHERE request_id IS NOT NULL "
            f"AND state NOT IN ({marks}) ORDER BY created_at, rowid",
            _FINAL,
        )
        return [job for job in map(_row_to_job, rows) if job is not None]

    def interrupted(self) -> list[Job]:
        """Jobs that never got a request id and are not final (faltui stopped mid-submit)."""
        marks = ",".join("?" * len(_FINAL))
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs WHERE request_id IS NULL "
            f"AND state NOT IN ({marks}) ORDER BY created_at, rowid",
            _FINAL,
        )
        return [job for job in map(_row_to_job, rows) if job is not None]

    def get(self, job_id: str) -> Job | None:
        """One job by its local id."""
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _row_to_job(rows[0]) if rows else None

    def count(self) -> int:
        """How many jobs the journal holds."""
        return int(self._query("SELECT COUNT(*) FROM jobs")[0][0])

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError("the job journal is closed")
        return self._conn

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._require().execute(sql, params).fetchall()


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _row_to_job(row: tuple[Any, ...]) -> Job | None:
    (
        job_id,
        endpoint_id,
        state,
        request_id,
        label,
        created_at,
        submitted_at,
        finished_at,
        input_json,
        handle_json,
        result_json,
        data_json,
    ) = row
    try:
        data = json.loads(data_json) if data_json else {}
        data.update(
            id=job_id,
            endpoint_id=endpoint_id,
            state=state,
            request_id=request_id,
            label=label,
            created_at=created_at,
            submitted_at=submitted_at,
            finished_at=finished_at,
            input=json.loads(input_json) if input_json else {},
            handle=json.loads(handle_json) if handle_json else None,
            result=json.loads(result_json) if result_json else None,
        )
        return Job.from_dict(data)
    except (ValueError, TypeError, KeyError):
        return None
