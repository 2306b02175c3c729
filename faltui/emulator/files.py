"""In-memory file store behind the emulator's ``/files/...`` URLs."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
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


class FileStore:
    """Files by path (``b/<hex>/<name>`` for uploads, ``out/<hash>/<name>`` for outputs)."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        #: Uploaded files (path → file), for test assertions.
        self.uploads: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

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
        with self._lock:
            self.files[path] = stored
            if upload:
                self.uploads[path] = stored
        return stored

    def clear(self) -> None:
        """Forget every file."""
        with self._lock:
            self.files.clear()
            self.uploads.clear()

    def get(self, path: str) -> StoredFile | None:
        """The file at ``path`` or ``None``."""
        return self.files.get(path.strip("/"))

    def describe(self) -> list[dict[str, Any]]:
        """Small listing for debugging."""
        return [
            {"path": f.path, "size": f.size, "content_type": f.content_type}
            for f in self.files.values()
        ]
