"""Saving into a folder without ever overwriting: one ``O_EXCL`` reservation per file.

A name is taken by creating the file exclusively (``x.png``, else ``x-1.png``, ``x-2.png``…),
so two savers — tasks, threads, or a CLI and a TUI at once — can never pick the same name:
there is no check-then-write window.
"""

from __future__ import annotations

import os
from pathlib import Path

from faltui.core.errors import FaltuiError

#: Give up after this many taken names (a folder with 10 000 ``x-N.png`` is not a real case).
MAX_SUFFIX = 10_000


class SaveError(FaltuiError):
    """A file could not be created or written in the target folder."""


def ensure_folder(folder: str | Path) -> Path:
    """``folder`` (``~`` expanded), created with its parents when missing."""
    target = Path(folder).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SaveError(f"cannot create the folder {target}: {exc.strerror or exc}") from exc
    return target


def _candidates(name: str) -> tuple[str, str]:
    """(stem, suffix) so that numbered names read ``stem-N suffix`` (``x-1.png``)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, dot + ext


def reserve(folder: Path, name: str) -> tuple[Path, int]:
    """Create ``folder/name`` exclusively (or the first free ``name-N``); (path, open fd).

    The caller owns the descriptor (open for writing) and must remove the path when it gives
    up on the file.
    """
    stem, suffix = _candidates(name)
    for n in range(MAX_SUFFIX):
        candidate = folder / (name if n == 0 else f"{stem}-{n}{suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:
            raise SaveError(f"cannot create {candidate}: {exc.strerror or exc}") from exc
        return candidate, fd
    raise SaveError(f"{folder} already holds {MAX_SUFFIX} files named like {name}")


def save_bytes(folder: str | Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a fresh file named like ``name`` in ``folder``; returns its path."""
    path, fd = reserve(ensure_folder(folder), name)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise SaveError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
