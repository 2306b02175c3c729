"""The file store behind the emulator's ``/files/...`` URLs (in memory, optionally on disk).

With a ``root`` folder every file is also written to ``root/blobs/<path>`` (its content type
and lifecycle to ``root/meta/<path>.json``), and files of earlier runs are read back from
there: URLs handed out before a restart keep working.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StoredFile:
    """Bytes served at ``/files/<path>``."""

    path: str
    data: bytes
    content_type: str
    file_name: str
    lifecycle: str | None = None

    @property
    def size(self) -> int:
        """Length in bytes."""
        return len(self.data)

    @property
    def etag(self) -> str:
        """Quoted MD5 of the content, as CDNs return it."""
        return '"' + hashlib.md5(self.data).hexdigest() + '"'


def _safe_parts(path: str) -> list[str] | None:
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts or any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
        return None
    return parts


class FileStore:
    """Files by path (``b/<hex>/<name>`` for uploads, ``out/<hash>/<name>`` for outputs)."""

    def __init__(self, root: Path | None = None) -> None:
        self.files: dict[str, StoredFile] = {}
        #: Uploaded files (path → file), for test assertions.
        self.uploads: dict[str, StoredFile] = {}
        #: Folder files are also kept in (``None``: memory only).
        self.root = Path(root) if root is not None else None
        self._lock = threading.Lock()

    def _disk(self, path: str) -> tuple[Path, Path] | None:
        parts = _safe_parts(path)
        if self.root is None or parts is None:
            return None
        blob = self.root.joinpath("blobs", *parts)
        meta = self.root.joinpath("meta", *parts[:-1], parts[-1] + ".json")
        return blob, meta

    def put(
        self,
        path: str,
        data: bytes,
        content_type: str,
        *,
        upload: bool = False,
        lifecycle: str | None = None,
    ) -> StoredFile:
        """Store (or replace) a file; returns it."""
        path = path.strip("/")
        stored = StoredFile(path, data, content_type, path.rsplit("/", 1)[-1], lifecycle)
        disk = self._disk(path)
        with self._lock:
            self.files[path] = stored
            if upload:
                self.uploads[path] = stored
            if disk is not None:
                blob, meta = disk
                blob.parent.mkdir(parents=True, exist_ok=True)
                meta.parent.mkdir(parents=True, exist_ok=True)
                blob.write_bytes(data)
                record = {"content_type": content_type, "lifecycle": lifecycle, "upload": upload}
                meta.write_text(json.dumps(record), encoding="utf-8")
        return stored

    def get(self, path: str) -> StoredFile | None:
        """The file at ``path`` (from memory, else from disk) or ``None``."""
        path = path.strip("/")
        found = self.files.get(path)
        if found is not None:
            return found
        disk = self._disk(path)
        if disk is None or not disk[0].is_file():
            return None
        blob, meta = disk
        try:
            record = json.loads(meta.read_text(encoding="utf-8"))
            data = blob.read_bytes()
        except (OSError, ValueError):
            return None
        content_type = str(record.get("content_type") or "application/octet-stream")
        lifecycle = record.get("lifecycle")
        return StoredFile(path, data, content_type, path.rsplit("/", 1)[-1], lifecycle)

    def clear(self) -> None:
        """Forget every file (and delete them from disk)."""
        with self._lock:
            self.files.clear()
            self.uploads.clear()
            if self.root is not None:
                for name in ("blobs", "meta"):
                    with contextlib.suppress(FileNotFoundError):
                        shutil.rmtree(self.root / name)

    def describe(self) -> list[dict[str, Any]]:
        """Small listing for debugging."""
        return [
            {"path": f.path, "size": f.size, "content_type": f.content_type}
            for f in self.files.values()
        ]
