"""``UploadCache``: one upload per local file, shared by the jobs that name it (apart from
``storage`` so that the job manager can hold one without importing the HTTP client)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path


class UploadCache:
    """The files uploaded (or being uploaded) so far, so one file is sent once.

    A batch of N jobs naming the same local file shares one upload, and so does the next
    submit of an unchanged file. Keyed by path, size, modification time and lifecycle: an
    edited file is sent again. A failed upload is forgotten, so the next attempt retries.
    """

    def __init__(self) -> None:
        self._uploads: dict[tuple[Path, int, int, int | None], asyncio.Future[str]] = {}

    async def url_for(
        self,
        file: Path,
        lifecycle_seconds: int | None,
        upload: Callable[[], Awaitable[str]],
    ) -> tuple[str, bool]:
        """The file's URL, uploading it with ``upload()`` unless that is done or under way;
        the flag says whether this call did the upload."""
        info = file.stat()
        key = (file, info.st_size, info.st_mtime_ns, lifecycle_seconds)
        shared = self._uploads.get(key)
        if shared is not None:
            # Shielded: a job cancelled while it waits must not cancel the others' upload.
            return await asyncio.shield(shared), False
        task = asyncio.ensure_future(upload())
        self._uploads[key] = task

        def forget_failure(done: asyncio.Future[str]) -> None:
            if done.cancelled() or done.exception() is not None:
                self._uploads.pop(key, None)

        task.add_done_callback(forget_failure)
        return await asyncio.shield(task), True
