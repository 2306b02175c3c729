"""What a download run tells its caller: progress figures while it runs, a report at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from faltui.core.errors import FaltuiError
from faltui.core.outputs.find import OutputFile, Saveable, file_name_for


def human_size(size: int | None) -> str:
    """``"812 B"``, ``"1.2 KiB"``, ``"3.4 MiB"``; empty when unknown."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def item_name(item: Saveable) -> str:
    """The file name an output is saved under (before any ``-N`` suffix)."""
    return file_name_for(item) if isinstance(item, OutputFile) else item.file_name


def describe_item(item: Saveable) -> str:
    """Where an output sits and what it is called, e.g. ``images[1] (fox.png)``."""
    return f"{item.label} ({item_name(item)})"


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download run stands. ``bytes_total`` is None while a file's size is unknown."""

    files_total: int
    files_done: int
    files_failed: int
    bytes_done: int
    bytes_total: int | None


@dataclass(frozen=True)
class Saved:
    """An output that is on disk at ``path`` (``reused``: an earlier download, not fetched now;
    ``copied_from``: the URL failed, so the copy saved earlier elsewhere was copied here)."""

    item: Saveable
    path: Path
    size: int
    reused: bool = False
    copied_from: Path | None = None


@dataclass(frozen=True)
class Failure:
    """An output that could not be saved, and why (``status``: the file host's HTTP status)."""

    item: Saveable
    reason: str
    status: int | None = None
    #: The error itself (a ``DownloadError`` or ``SaveError``).
    error: FaltuiError | None = field(default=None, compare=False, repr=False)

    @property
    def url(self) -> str | None:
        """The file's URL (None for a text output)."""
        return getattr(self.item, "url", None)

    def __str__(self) -> str:
        return f"{describe_item(self.item)}: {self.reason}"


@dataclass
class DownloadReport:
    """The outcome of ``Outputs.download_all``: every output is in exactly one list."""

    folder: Path
    saved: list[Saved] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many outputs were asked for."""
        return len(self.saved) + len(self.failed)

    @property
    def complete(self) -> bool:
        """True when every output is on disk."""
        return not self.failed

    def headline(self) -> str:
        """One line: ``Saved 3 files to /x``; ``Saved 2 of 3 files to /x; 1 failed``."""
        fetched = [s for s in self.saved if not s.reused]
        reused = len(self.saved) - len(fetched)
        if self.total == 0:
            return "Nothing to save."
        if len(self.saved) == 1 and not self.failed:
            only = self.saved[0]
            if only.copied_from is not None:
                return (
                    f"Saved {only.path} from the copy saved earlier ({only.copied_from}); "
                    "its URL no longer answers"
                )
            return f"Already saved: {only.path}" if only.reused else f"Saved {only.path}"
        if self.total == 1 and self.failed:
            failure = self.failed[0]
            verb = "download" if isinstance(failure.item, OutputFile) else "save"
            return f"Could not {verb} {item_name(failure.item)}: {failure.reason}"
        if not self.saved:
            return f"Could not save any of the {self.total} files"
        counted = (
            f"{len(self.saved)} of {self.total} files" if self.failed else f"{self.total} files"
        )
        line = f"Saved {counted} to {self.folder}"
        if reused:
            line += f" ({reused} already there)"
        copied = sum(1 for s in self.saved if s.copied_from is not None)
        if copied:
            line += f" ({copied} from copies saved earlier: their URLs no longer answer)"
        if self.failed:
            line += f"; {len(self.failed)} failed"
        return line

    def failure_lines(self, limit: int | None = None) -> list[str]:
        """One line per failure (``images[1] (x.png): the file is no longer served …``)."""
        lines = [str(failure) for failure in self.failed[:limit]]
        if limit is not None and len(self.failed) > limit:
            lines.append(f"… and {len(self.failed) - limit} more")
        return lines
