"""The local library: finished jobs' outputs kept on disk, so they outlive fal's URLs.

Each saved job gets a folder ``{downloads}/{date}/{model}/{request_id}/`` — the local day it
finished, its endpoint id as nested folders (``fal-ai/flux/dev``), its request id — holding
its output files (through the outputs service: keyless, never overwriting) and a sidecar
``_faltui.json`` (``SIDECAR``) written atomically: endpoint, input, seed, request id, timings,
billed cost, and which file came from which URL.

Config ``[library] auto_download = true|false`` turns automatic saving on (default: off, on
with ``--demo``); ``AutoDownloader`` then saves every job that finishes ``done``.

Looking a URL up: ``local_copy`` finds the saved file of an output URL (the outputs service's
record, else the job's sidecar); ``usable_url`` gives the URL while it still answers and the
local file once it does not, so a preview, a comparison or a send to another model (a local
path in a ``*_url`` input is uploaded on submit) keeps working after fal dropped the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faltui.core.endpoints import EndpointId
from faltui.core.errors import FaltuiError
from faltui.core.job import Job, JobEvent, JobState
from faltui.core.outputs import (
    Failure,
    Outputs,
    Saved,
    find_saveables,
    is_data_url,
    safe_name,
)
from faltui.core.prices import PriceBook
from faltui.core.pricing import Price
from faltui.core.spend import job_cost
from faltui.core.text import safe_json
from faltui.core.version import __version__

#: The sidecar's file name in each job folder.
SIDECAR = "_faltui.json"
#: ``data:`` URLs longer than this are shortened in the sidecar (the file holds the bytes).
MAX_INLINE_URL = 200


@dataclass(frozen=True)
class LibraryConfig:
    """``[library]`` of the config file."""

    auto_download: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, demo: bool = False) -> LibraryConfig:
        """Read ``[library]``; ``auto_download`` defaults to on in ``--demo``, else off."""
        from faltui.core.errors import ConfigError

        table = config.get("library", {})
        if not isinstance(table, dict):
            raise ConfigError("config: [library] must be a table (auto_download = true|false)")
        value = table.get("auto_download", demo)
        if not isinstance(value, bool):
            raise ConfigError(
                f"config: [library] auto_download must be true or false, got {value!r}"
            )
        return cls(auto_download=value)


@dataclass
class LibraryEntry:
    """A job saved in the library."""

    folder: Path
    sidecar: Path
    saved: list[Saved] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every output was saved."""
        return not self.failed


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def _span(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, end - start), 3)


def _short_urls(value: Any) -> Any:
    """``value`` with long ``data:`` URLs shortened (their bytes are in the saved files)."""
    if isinstance(value, str) and is_data_url(value) and len(value) > MAX_INLINE_URL:
        head = value.split(",", 1)[0]
        return f"{head},… ({len(value):,} characters; saved as a file)"
    if isinstance(value, dict):
        return {key: _short_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_short_urls(item) for item in value]
    return value


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as sink:
            sink.write(safe_json(data) + "\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Library:
    """Saves finished jobs under ``root`` (the download folder) and finds them again.

    ``prices`` (optional) gives the unit price for the billed cost in the sidecar: asked of
    fal once per endpoint (then cached), never fatal.
    """

    def __init__(self, root: Path, outputs: Outputs, *, prices: PriceBook | None = None) -> None:
        self.root = Path(root).expanduser()
        self.outputs = outputs
        self.prices = prices

    async def _price(self, endpoint_id: str) -> Price | None:
        if self.prices is None:
            return None
        if self.prices.settings.key:
            await self.prices.fetch([endpoint_id])  # fresh cache: no request
        return self.prices.get(endpoint_id)

    # -- where -----------------------------------------------------------------------------

    def folder_for(self, job: Job) -> Path:
        """``{root}/{date}/{model}/{request_id}`` (date: the local day the job finished)."""
        moment = job.finished_at if job.finished_at is not None else job.created_at
        day = time.strftime("%Y-%m-%d", time.localtime(moment))
        try:
            model = EndpointId.parse(job.endpoint_id).full.split("/")
        except FaltuiError:
            model = [safe_name(job.endpoint_id)]
        return self.root.joinpath(day, *model, safe_name(job.request_id or job.id))

    # -- saving ----------------------------------------------------------------------------

    async def save(self, job: Job) -> LibraryEntry:
        """Save ``job``'s outputs and sidecar into its folder (outputs already saved there are
        not fetched again). A file that fails is listed in the entry and the sidecar; the
        others are kept. Raises ``FaltuiError`` only when the folder cannot be written."""
        if job.state is not JobState.done or job.result is None:
            raise FaltuiError(f"job {job.id[:12]} has no result to save ({job.state.value})")
        folder = self.folder_for(job)
        prefix = (job.request_id or job.id)[:8]
        report = await self.outputs.download_all(find_saveables(job.result, prefix), folder)
        if not folder.is_dir():  # nothing to save (or the folder could not be made)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FaltuiError(f"cannot create {folder}: {exc.strerror or exc}") from exc
        taken = {saved.path.name for saved in report.saved}
        sidecar = folder / SIDECAR
        number = 1
        while sidecar.name in taken:  # an output really named like the sidecar keeps its name
            sidecar = folder / f"_faltui-{number}.json"
            number += 1
        price = await self._price(job.endpoint_id)
        try:
            write_json_atomic(sidecar, self.sidecar(job, report.saved, report.failed, price))
        except OSError as exc:
            raise FaltuiError(f"cannot write {sidecar}: {exc.strerror or exc}") from exc
        return LibraryEntry(folder, sidecar, report.saved, report.failed)

    def sidecar(
        self, job: Job, saved: list[Saved], failed: list[Failure], price: Price | None = None
    ) -> dict[str, Any]:
        """What the sidecar says about ``job`` (see the module docstring)."""
        files = []
        for item in saved:
            url = getattr(item.item, "url", None)
            files.append(
                {
                    "file": item.path.name,
                    "bytes": item.size,
                    "kind": getattr(item.item, "kind", "text"),
                    "from": item.item.label,
                    "url": _short_urls(url) if isinstance(url, str) else None,
                }
            )
        seed = job.input.get("seed") if isinstance(job.input, dict) else None
        if seed is None and isinstance(job.result, dict):
            seed = job.result.get("seed")  # fal's choice when the input left it random
        metrics = job.metrics if isinstance(job.metrics, dict) else {}
        return {
            "faltui": __version__,
            "endpoint_id": job.endpoint_id,
            "request_id": job.request_id,
            "job_id": job.id,
            "origin": job.origin or "faltui",
            "label": job.label,
            "input": _short_urls(job.input),
            "seed": seed,
            "timings": {
                "created_at": _iso(job.created_at),
                "submitted_at": _iso(job.submitted_at),
                "started_at": _iso(job.started_at),
                "finished_at": _iso(job.finished_at),
                "queued_seconds": _span(job.submitted_at, job.started_at),
                "running_seconds": _span(job.started_at, job.finished_at),
                "total_seconds": _span(job.submitted_at or job.created_at, job.finished_at),
                "inference_time": metrics.get("inference_time"),
            },
            "billed": job_cost(job, price).to_dict(),
            "files": files,
            "failed": [
                {"from": f.item.label, "url": f.url and _short_urls(f.url), "reason": f.reason}
                for f in failed
            ],
            "result": _short_urls(job.result),
            "saved_at": _iso(time.time()),
        }

    # -- finding ---------------------------------------------------------------------------

    def read_sidecar(self, job: Job) -> dict[str, Any] | None:
        """The sidecar of ``job`` in the library, or None."""
        try:
            data = json.loads((self.folder_for(job) / SIDECAR).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def local_files(self, job: Job) -> dict[str, Path]:
        """URL → saved file of ``job``'s outputs, from its sidecar (files still there)."""
        data = self.read_sidecar(job)
        if data is None:
            return {}
        folder = self.folder_for(job)
        found: dict[str, Path] = {}
        for entry in data.get("files") or []:
            if not isinstance(entry, dict):
                continue
            url, name = entry.get("url"), entry.get("file")
            if isinstance(url, str) and isinstance(name, str) and "/" not in name:
                path = folder / name
                if path.is_file():
                    found[url] = path
        return found

    def local_copy(self, url: str, job: Job | None = None) -> Path | None:
        """The saved copy of an output URL: the outputs record, else ``job``'s sidecar."""
        path = self.outputs.local_copy(url)
        if path is None and job is not None:
            path = self.local_files(job).get(url)
        return path

    async def answers(self, url: str) -> bool:
        """True when the file host still serves ``url`` (a one-byte ranged GET, no key)."""
        import httpx  # not at module level: the library is made before the TUI's first frame

        if is_data_url(url):
            return True
        try:
            async with self.outputs.http.stream(
                "GET", url, headers={"Range": "bytes=0-0"}
            ) as response:
                return response.status_code < 400
        except httpx.HTTPError:
            return False

    async def usable_url(self, url: str, job: Job | None = None) -> str:
        """``url`` while it answers; once it does not, the local copy's path (when saved).

        A path in a ``*_url`` input is uploaded on submit, so a send to another model works
        after fal dropped the file.
        """
        local = self.local_copy(url, job)
        if local is None or await self.answers(url):
            return url
        return str(local)


class AutoDownloader:
    """Saves every job that finishes ``done`` into the library, in the background.

    Call ``observe`` with every job event (on the event loop); ``drain`` waits for the saves
    under way (a CLI before it exits), ``aclose`` cancels them. Problems never raise: they
    are kept in ``problems`` (and each finished save in ``entries``).
    """

    def __init__(self, library: Library, *, enabled: bool = True) -> None:
        self.library = library
        self.enabled = enabled
        self.entries: dict[str, LibraryEntry] = {}
        self.problems: list[str] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Called with each job once its save ended (a UI refresh), errors ignored.
        self.on_saved: Callable[[Job, LibraryEntry | None], Any] | None = None

    def observe(self, event: JobEvent) -> None:
        """Start saving ``event.job`` when it just finished ``done``."""
        job = event.job
        if not self.enabled or event.kind != "finished" or job.state is not JobState.done:
            return
        self.save_later(job)

    def save_later(self, job: Job) -> None:
        """Save ``job`` in the background (once; a second call while it runs is ignored)."""
        if job.id in self._tasks or job.result is None:
            return
        self._tasks[job.id] = asyncio.ensure_future(self._save(job))

    async def _save(self, job: Job) -> None:
        entry: LibraryEntry | None = None
        try:
            entry = await self.library.save(job)
            self.entries[job.id] = entry
            for failure in entry.failed:
                self.problems.append(f"library: {job.request_id}: {failure}")
        except FaltuiError as exc:
            self.problems.append(f"library: {job.request_id}: {exc}")
        except Exception as exc:  # a background save must never take the session down
            self.problems.append(f"library: {job.request_id}: {exc!r}")
        finally:
            self._tasks.pop(job.id, None)
            if self.on_saved is not None:
                with contextlib.suppress(Exception):
                    self.on_saved(job, entry)

    @property
    def pending(self) -> int:
        """Saves under way."""
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait for every save under way (and those they lead to)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the saves under way (a half-written file is removed by the outputs service)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
