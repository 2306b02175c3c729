"""A small record of what was downloaded where, so a file already saved is not fetched again.

One JSON line per saved file — ``{"key", "path", "size", "at"}`` — appended to
``<data dir>/downloads.jsonl`` (the journal's folder; ``--demo`` keeps its own). Appending is
safe with a CLI and a TUI writing at once; the last line for a key wins. An entry counts only
while its file still exists with the recorded size, so a deleted or edited file is downloaded
anew. A broken or unwritable record is ignored: it is a convenience, never a reason to fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

#: Keys longer than this (inline ``data:`` URLs) are stored as their SHA-256.
MAX_KEY = 2048


def record_key(key: str) -> str:
    """The key as stored: itself, or ``sha256:<hex>`` when long."""
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DownloadRecord:
    """URL (or text key) → the local copy saved last, persisted as JSON lines."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, tuple[Path, int]] = {}
        self._read_up_to = 0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        """Read lines appended since the last look (by this or another process)."""
        if self.file is None:
            return
        try:
            with self.file.open("rb") as source:
                source.seek(self._read_up_to)
                data = source.read()
        except OSError:
            return
        complete = data[: data.rfind(b"\n") + 1]  # a half-written last line waits
        self._read_up_to += len(complete)
        for line in complete.splitlines():
            try:
                entry = json.loads(line)
                self._entries[str(entry["key"])] = (Path(entry["path"]), int(entry["size"]))
            except (ValueError, KeyError, TypeError):
                continue

    def local_copy(self, key: str) -> Path | None:
        """Where ``key`` was saved, if that file is still there with the same size."""
        with self._lock:
            self._refresh()
            entry = self._entries.get(record_key(key))
        if entry is None:
            return None
        path, size = entry
        try:
            return path if path.is_file() and path.stat().st_size == size else None
        except OSError:
            return None

    def add(self, key: str, path: Path, size: int) -> None:
        """Remember that ``key`` is saved at ``path`` (``size`` bytes)."""
        stored = record_key(key)
        resolved = path.resolve()
        with self._lock:
            self._entries[stored] = (resolved, size)
            if self.file is None:
                return
            line = json.dumps(
                {"key": stored, "path": str(resolved), "size": size, "at": round(time.time())},
                ensure_ascii=False,
            )
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.write(fd, (line + "\n").encode("utf-8", "surrogateescape"))
                finally:
                    os.close(fd)
            except OSError:
                pass  # the record is a convenience: a read-only data folder must not fail a save
