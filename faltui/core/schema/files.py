"""What a file input may hold: a URL fal fetches, or a local file faltui uploads first.

The one rule for every path into a model (the form, ``faltui run``, the job manager, uploads):

- ``http://`` and ``https://`` URLs and ``data:`` URLs are sent as typed (surrounding blanks
  trimmed). fal fetches nothing else, so any other ``scheme://`` (``ftp://``, ``s3://`` …)
  is refused with a message naming the scheme — never mistaken for a missing local file.
- ``file://`` URLs name local files: percent-escapes are decoded (``a%20b.png`` is
  ``a b.png``); the host must be empty or ``localhost``.
- Anything else is a local path (``~`` expanded, relative to the working directory), which
  must name an existing file (not a folder). Local files are uploaded on submit.

Nothing here touches the network; :func:`file_problem` looks at the disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

#: URL schemes fal fetches inputs from (``data:`` has no ``//``).
REMOTE_SCHEMES = ("http", "https")

_SCHEME_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_DATA_URL = re.compile(r"^data:", re.IGNORECASE)

FileKind = Literal["remote", "local", "unsupported"]

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class FileRef:
    """What a file value names: a remote URL, a local path, or a scheme fal cannot fetch."""

    kind: FileKind
    text: str
    path: Path | None = None
    problem: str = ""


def read_file_ref(value: str) -> FileRef:
    """Classify a file value (see the module docstring). Never raises."""
    text = value.strip()
    if _DATA_URL.match(text):
        return FileRef("remote", text)
    match = _SCHEME_URL.match(text)
    if match is None:
        return FileRef("local", text, _expand(text))
    scheme = match.group(1).lower()
    if scheme in REMOTE_SCHEMES:
        return FileRef("remote", text)
    if scheme != "file":
        problem = (
            f"{scheme}:// URLs are not supported: fal fetches http(s):// and data: URLs "
            "(a local file is uploaded: give its path)"
        )
        return FileRef("unsupported", text, problem=problem)
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        problem = (
            f"a file:// URL names a local file; {parts.netloc!r} is read as a host here: "
            "write file:///absolute/path or just the path"
        )
        return FileRef("unsupported", text, problem=problem)
    return FileRef("local", text, _expand(unquote(parts.path)))


def _expand(text: str) -> Path:
    """``~`` and ``~user`` expanded; an unknown user's ``~name`` stays as written."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def local_path(value: str) -> Path | None:
    """The local path a file value names (``~``, ``file://``), or None for a URL."""
    ref = read_file_ref(value)
    return ref.path if ref.kind == "local" and ref.text else None


def file_problem(value: str) -> str | None:
    """Why a (non-empty) file value cannot be sent, or None when it can."""
    ref = read_file_ref(value)
    if not ref.text:
        return "empty: expected an http(s):// URL or a local file path"
    if ref.kind == "unsupported":
        return ref.problem
    if ref.kind == "remote" or ref.path is None:
        return None
    path = ref.path
    try:
        if path.is_file():
            return None
        if path.is_dir():
            return f"is a folder, not a file: {path}"
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, no permission …
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return f"cannot use local file {path}: {reason}"
    return f"no such local file: {path} (expected an http(s):// URL or a local file path)"


def sendable(value: str) -> str:
    """The value to put in the payload: URLs trimmed, local files as absolute paths."""
    ref = read_file_ref(value)
    if ref.kind == "local" and ref.path is not None:
        return str(ref.path.absolute())
    return ref.text


def is_file_key(key: Any) -> bool:
    """fal's naming convention for file inputs: ``*_url`` and ``*_urls`` (§10.3)."""
    return isinstance(key, str) and (key.endswith("_url") or key.endswith("_urls"))


def file_values_by_key(payload: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    """``(path, string)`` for every string under a ``*_url`` / ``*_urls`` key, at any depth."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            here = (*path, key)
            if is_file_key(key) and isinstance(value, str):
                yield here, value
            elif is_file_key(key) and isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str):
                        yield (*here, i), item
                    else:
                        yield from file_values_by_key(item, (*here, i))
            else:
                yield from file_values_by_key(value, here)
    elif isinstance(payload, list):
        for i, item in enumerate(payload):
            yield from file_values_by_key(item, (*path, i))
