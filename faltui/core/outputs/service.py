"""``Outputs``: the one way faltui gets result files onto the disk or into a preview.

Used by the TUI (results pane ``d``/``D``, previews, the palette's bulk download) and the CLI
(``run --download``, ``poll --download``). It owns a keyless HTTP client: the fal key never
reaches a file host.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from faltui.core.config import Settings
from faltui.core.outputs.data_url import (
    DataUrlError,
    decode_data_url,
    decoded_size_estimate,
    is_data_url,
)
from faltui.core.outputs.failures import DownloadError, PreviewTooLarge
from faltui.core.outputs.find import OutputFile, Saveable, TextOutput, file_name_for
from faltui.core.outputs.record import DownloadRecord, record_key
from faltui.core.outputs.report import DownloadProgress, DownloadReport, Failure, Saved
from faltui.core.outputs.save import SaveError, ensure_folder, reserve

if TYPE_CHECKING:  # the HTTP client is imported when a file is first fetched
    import httpx

#: Largest file fetched for a preview (bigger ones are refused, not read).
PREVIEW_MAX_BYTES = 16 * 1024 * 1024
#: Files fetched at once by ``download_all``.
CONCURRENCY = 4
#: Bytes read per chunk while streaming to disk.
CHUNK = 256 * 1024
#: ``data:`` URLs longer than this are decoded in a worker thread.
THREAD_DECODE_ABOVE = 256 * 1024
#: Name of the download record in the data folder.
RECORD_NAME = "downloads.jsonl"

ProgressCallback = Callable[[DownloadProgress], Any]


def item_key(item: Saveable) -> str:
    """What the download record remembers an output by: its URL, or its text and name."""
    if isinstance(item, OutputFile):
        return item.url
    return record_key(f"text:{item.file_name}\n{item.text}")


class _Tally:
    """Progress of one ``download_all`` run, reported after every chunk and every file.

    Running sums, so a report costs the same for 5 files as for 5 000.
    """

    def __init__(self, files_total: int, on_progress: ProgressCallback | None) -> None:
        self.files_total = files_total
        self.on_progress = on_progress
        self.files_done = 0
        self.files_failed = 0
        self.bytes_done = 0
        self.bytes_known = 0
        self.unknown = files_total  # files whose size is not known yet
        self._expected: dict[int, int | None] = {}
        self._received: dict[int, int] = {}

    def expect(self, slot: int, size: int | None) -> None:
        """The size of ``slot`` (None: unknown until it ends)."""
        if slot not in self._expected and size is not None:
            self.unknown -= 1
            self.bytes_known += size
        self._expected[slot] = size
        self.emit()

    def add(self, slot: int, count: int) -> None:
        """``count`` more bytes of ``slot`` arrived."""
        self._received[slot] = self._received.get(slot, 0) + count
        self.bytes_done += count
        self.emit()

    def discard(self, slot: int) -> None:
        """Forget what ``slot`` announced and received so far (an attempt that failed)."""
        self.bytes_done -= self._received.pop(slot, 0)
        if slot in self._expected:
            size = self._expected.pop(slot)
            if size is not None:  # its size counted as known: unknown again until re-announced
                self.bytes_known -= size
                self.unknown += 1

    def finish(self, slot: int, ok: bool) -> None:
        """``slot`` ended: its size is now what arrived (nothing for a failure)."""
        self.files_done += 1
        received = self._received.get(slot, 0)
        expected = self._expected.get(slot)
        if expected is None:
            self.unknown -= 1
        else:
            self.bytes_known -= expected
        if ok:
            self.bytes_known += received
        else:
            self.files_failed += 1
            self.bytes_done -= received
        self._expected[slot] = received if ok else 0
        self.emit()

    def fail_all(self) -> None:
        """Every file failed before any started."""
        self.files_done = self.files_failed = self.files_total
        self.unknown = 0
        self.emit()

    def emit(self) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            DownloadProgress(
                files_total=self.files_total,
                files_done=self.files_done,
                files_failed=self.files_failed,
                bytes_done=self.bytes_done,
                bytes_total=self.bytes_known if self.unknown == 0 else None,
            )
        )


class Outputs:
    """Downloads, saves and previews of result files, through one keyless HTTP client.

    ``download_dir`` is the default folder; ``record_file`` (optional) remembers what was
    saved where so an output already on disk is pointed at instead of fetched again.
    ``http`` may be given (tests, a shared pool); credentials are stripped from every request
    either way. Call ``aclose()`` when done.
    """

    def __init__(
        self,
        download_dir: str | Path,
        *,
        record_file: Path | None = None,
        http: httpx.AsyncClient | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.download_dir = Path(download_dir).expanduser()
        self.record = DownloadRecord(record_file)
        self.concurrency = max(1, concurrency)
        self._http = http
        self._owns_http = http is None

    @classmethod
    def from_settings(cls, settings: Settings) -> Outputs:
        """The service for a session: the configured download folder, the record in the
        data folder (``--demo`` has its own data folder, so its own record)."""
        return cls(
            settings.paths.download_dir,
            record_file=settings.paths.data_dir / RECORD_NAME,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The keyless client (created on first use, inside the running event loop)."""
        from faltui.core.outputs.fetch import keyless_client

        if self._http is None:
            self._http = keyless_client()
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client (when this service created it)."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Outputs:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- what is on disk already --------------------------------------------------------

    def local_copy(self, item: Saveable | str) -> Path | None:
        """The intact local copy of an output (or URL) saved earlier, if any."""
        key = item if isinstance(item, str) else item_key(item)
        return self.record.local_copy(key)

    # -- previews -----------------------------------------------------------------------

    async def preview_bytes(self, url: str, cap: int = PREVIEW_MAX_BYTES) -> bytes:
        """The bytes of a file for a preview, at most ``cap`` of them (``PreviewTooLarge``).

        ``data:`` URLs are decoded (in a thread when long); a file saved earlier is read from
        disk; anything else is fetched keylessly and dropped as soon as it passes the cap.
        """
        from faltui.core.outputs.fetch import fetch_capped, too_large

        if is_data_url(url):
            if decoded_size_estimate(url) > cap + 3:
                raise PreviewTooLarge(too_large(decoded_size_estimate(url), cap))
            data = await self._decode(url)
            if len(data) > cap:
                raise PreviewTooLarge(too_large(len(data), cap))
            return data
        saved = self.local_copy(url)
        if saved is not None:
            size = saved.stat().st_size
            if size > cap:
                raise PreviewTooLarge(too_large(size, cap))
            return await asyncio.to_thread(saved.read_bytes)
        return await fetch_capped(self.http, url, cap)

    async def head_bytes(self, url: str, limit: int) -> tuple[bytes, int | None]:
        """The first ``limit`` bytes of a file and its full size (``None``: not known).

        For headers (audio length, a GLB's JSON): a saved copy is read from disk, a ``data:``
        URL decoded, anything else fetched keylessly only as far as ``limit``.
        """
        from faltui.core.outputs.fetch import fetch_head, too_large

        if is_data_url(url):
            if decoded_size_estimate(url) > PREVIEW_MAX_BYTES + 3:
                raise PreviewTooLarge(too_large(decoded_size_estimate(url), PREVIEW_MAX_BYTES))
            data = await self._decode(url)
            return data[:limit], len(data)
        saved = self.local_copy(url)
        if saved is not None:
            return await asyncio.to_thread(_read_head, saved, limit)
        return await fetch_head(self.http, url, limit)

    @staticmethod
    async def _decode(url: str) -> bytes:
        try:
            if len(url) > THREAD_DECODE_ABOVE:
                return await asyncio.to_thread(decode_data_url, url)
            return decode_data_url(url)
        except DataUrlError as exc:
            raise DownloadError(str(exc)) from None

    # -- saving -------------------------------------------------------------------------

    async def download(
        self,
        item: Saveable,
        folder: str | Path | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        reuse: bool = True,
    ) -> Saved:
        """Save one output (see ``download_all``); raises ``DownloadError``/``SaveError``."""
        report = await self.download_all([item], folder, on_progress=on_progress, reuse=reuse)
        if report.failed:
            failure = report.failed[0]
            raise failure.error or DownloadError(failure.reason, status=failure.status)
        return report.saved[0]

    async def download_all(
        self,
        items: Sequence[Saveable],
        folder: str | Path | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        reuse: bool = True,
    ) -> DownloadReport:
        """Save every output into ``folder`` (default: the download folder), a few at a time.

        Never overwrites (``x.png``, ``x-1.png``…). A failed file does not stop the others:
        each failure is in the report with its reason. ``on_progress`` gets the file and byte
        counts after every chunk and every file. With ``reuse``, an output already saved in
        that folder (per the record, and still intact) is reported as saved, not fetched.
        """
        target = Path(folder).expanduser() if folder is not None else self.download_dir
        report = DownloadReport(target)
        tally = _Tally(len(items), on_progress)
        if not items:
            return report
        try:
            target = ensure_folder(target)
        except SaveError as exc:
            report.failed = [Failure(item, str(exc), None, exc) for item in items]
            tally.fail_all()
            return report
        gate = asyncio.Semaphore(self.concurrency)

        async def one(slot: int, item: Saveable) -> Saved | Failure:
            async with gate:
                outcome = await self._save_one(slot, item, target, tally, reuse)
            tally.finish(slot, isinstance(outcome, Saved))
            return outcome

        tally.emit()
        outcomes = await asyncio.gather(*(one(n, item) for n, item in enumerate(items)))
        report.saved = [o for o in outcomes if isinstance(o, Saved)]
        report.failed = [o for o in outcomes if isinstance(o, Failure)]
        return report

    async def _save_one(
        self, slot: int, item: Saveable, folder: Path, tally: _Tally, reuse: bool
    ) -> Saved | Failure:
        key = item_key(item)
        if reuse:
            earlier = self.local_copy(key)
            if earlier is not None and earlier.parent == folder.resolve():
                size = earlier.stat().st_size
                tally.expect(slot, size)
                tally.add(slot, size)
                return Saved(item, earlier, size, reused=True)
        try:
            if isinstance(item, TextOutput):
                data = item.text.encode("utf-8")
                path, size = self._write(folder, item.file_name, data, slot, tally)
            elif is_data_url(item.url):
                data = await self._decode(item.url)
                path, size = self._write(folder, file_name_for(item), data, slot, tally)
            else:
                path, size = await self._stream(item, folder, slot, tally)
        except DownloadError as exc:
            earlier = self.local_copy(key)
            if earlier is None:  # nothing saved before: the failure stands
                return Failure(item, str(exc), exc.status, exc)
            try:  # the URL is gone (or unreachable), but a copy was saved elsewhere before
                data = await asyncio.to_thread(_read_file, earlier)
                tally.discard(slot)  # bytes of the failed attempt, if any
                name = file_name_for(item) if isinstance(item, OutputFile) else earlier.name
                path, size = self._write(folder, name, data, slot, tally)
            except SaveError as error:
                return Failure(item, str(error), None, error)
            self.record.add(key, path, size)
            return Saved(item, path, size, copied_from=earlier)
        except SaveError as exc:
            return Failure(item, str(exc), None, exc)
        self.record.add(key, path, size)
        return Saved(item, path, size)

    @staticmethod
    def _write(folder: Path, name: str, data: bytes, slot: int, tally: _Tally) -> tuple[Path, int]:
        tally.expect(slot, len(data))
        path, fd = reserve(folder, name)
        with _reserved(path, fd) as sink:
            sink.write(data)
        tally.add(slot, len(data))
        return path, len(data)

    async def _stream(
        self, output: OutputFile, folder: Path, slot: int, tally: _Tally
    ) -> tuple[Path, int]:
        """Fetch first, reserve the name only once the host answered 2xx, stream to disk."""
        import httpx

        from faltui.core.outputs.fetch import content_length, open_file, transport_failure

        async with open_file(self.http, output.url) as response:
            tally.expect(slot, content_length(response))
            path, fd = reserve(folder, file_name_for(output))
            received = 0
            with _reserved(path, fd) as sink:
                try:
                    async for chunk in response.aiter_bytes(CHUNK):  # decoded if compressed
                        sink.write(chunk)
                        received += len(chunk)
                        tally.add(slot, len(chunk))
                except httpx.HTTPError as exc:
                    raise transport_failure(exc, output.url, received) from exc
        return path, received


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SaveError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_head(path: Path, limit: int) -> tuple[bytes, int]:
    with path.open("rb") as source:
        return source.read(limit), os.fstat(source.fileno()).st_size


class _reserved:
    """``with _reserved(path, fd) as sink``: write a reserved file; on any error remove it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.sink: IO[bytes] = os.fdopen(fd, "wb")

    def __enter__(self) -> IO[bytes]:
        return self.sink

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        try:
            self.sink.close()
        except OSError as error:
            if kind is None:
                self.path.unlink(missing_ok=True)
                raise SaveError(f"cannot write {self.path}: {error.strerror or error}") from error
        if kind is not None:
            self.path.unlink(missing_ok=True)
            if issubclass(kind, OSError):
                raise SaveError(
                    f"cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}"
                ) from exc
