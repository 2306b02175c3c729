"""Jobs written out as JSON Lines: one job per line, in the journal's format (``Job.to_dict``).

A job holds no credentials (submit options are cleaned before they reach it), so an export is
safe to share as far as the fal key goes; it does hold inputs, results and logs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

from faltui.core.job import Job

#: File name pattern of an export (local time, then a counter if the name is taken).
EXPORT_NAME = "faltui-jobs-{stamp}{suffix}.jsonl"


def jobs_jsonl(jobs: Iterable[Job]) -> str:
    """The jobs as JSON Lines (non-ASCII kept, one job per line, a newline at the end)."""
    lines = [json.dumps(job.to_dict(), ensure_ascii=False, default=str) for job in jobs]
    return "".join(line + "\n" for line in lines)


def export_path(folder: Path, now: float | None = None) -> Path:
    """A file name in ``folder`` that does not exist yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        path = folder / EXPORT_NAME.format(stamp=stamp, suffix=suffix)
        if not path.exists():
            return path
    raise FileExistsError(f"too many exports named {stamp} in {folder}")


def write_jobs_jsonl(jobs: Iterable[Job], folder: Path, now: float | None = None) -> Path:
    """Write the jobs to a new ``faltui-jobs-<time>.jsonl`` in ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = export_path(folder, now)
    text = jobs_jsonl(jobs)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path
