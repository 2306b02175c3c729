"""Keeping the emulator's requests on disk (``Emulator(data_dir=...)``, ``--data-dir``, demo).

``JobJournal`` appends one JSON line per created or changed job to ``jobs.jsonl`` and replays
it at start (the last line of a request wins), then rewrites it compacted. Timelines are
absolute (wall-clock) instants, so a request that was queued or running when the emulator
stopped simply is finished when it starts again: its status says ``COMPLETED`` and its result
is served — nothing stays queued forever. Outputs are rebuilt identically when asked (they
derive from the request id and input), and the files they point at are kept by the
``FileStore`` under the same folder.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx

from faltui.emulator.state import EmulatedJob, JobStore

JOURNAL_NAME = "jobs.jsonl"
#: Fields of ``EmulatedJob`` written to the journal (the clock and caches are not).
FIELDS = (
    "request_id",
    "endpoint_id",
    "app",
    "input",
    "created_at",
    "tick",
    "queue_ticks",
    "progress_ticks",
    "outcome",
    "validation_errors",
    "webhook",
    "cancelled_at",
    "webhook_sent",
    "sync",
    "timeout_kind",
    "key_label",
    "origin",
    "payloads_kept",
)


def job_record(job: EmulatedJob) -> dict[str, Any]:
    """The journal line of a job."""
    record = {name: getattr(job, name) for name in FIELDS}
    record["headers"] = list(httpx.Headers(job.headers).multi_items())
    return record


def job_from_record(record: dict[str, Any], store: JobStore) -> EmulatedJob:
    """A job back from its journal line (on ``store``'s clock)."""
    values = {name: record[name] for name in FIELDS if name in record}
    return EmulatedJob(
        headers=httpx.Headers([tuple(pair) for pair in record.get("headers") or []]),
        clock=store.clock,
        **values,
    )


class JobJournal:
    """Appends job records to ``folder/jobs.jsonl``; ``load`` replays them into a store."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL_NAME
        self._lock = threading.Lock()

    def load(self, store: JobStore) -> int:
        """Replay the journal into ``store`` (then compact it); the number of jobs loaded."""
        self.folder.mkdir(parents=True, exist_ok=True)
        records: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            with self.path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by a crash
                    if isinstance(record, dict) and isinstance(record.get("request_id"), str):
                        records[record["request_id"]] = record
        jobs = []
        for record in records.values():
            try:
                jobs.append(job_from_record(record, store))
            except (TypeError, ValueError):
                continue
        store.restore(jobs)
        self._rewrite([job_record(job) for job in jobs])
        return len(jobs)

    def _rewrite(self, records: list[dict[str, Any]]) -> None:
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        os.replace(temporary, self.path)

    def append(self, job: EmulatedJob) -> None:
        """Write the job's current record (a ``JobStore`` listener)."""
        line = json.dumps(job_record(job), separators=(",", ":")) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self.path.unlink(missing_ok=True)
