"""What every subcommand shares: settings (with ``--demo``), output streams, exit codes."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

#: Exit codes: success, failure (the job or the API failed), bad usage or input, timeout.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_INTERRUPTED = 130


class CliFailure(Exception):
    """A failure the CLI reports as one clear line and an exit code (never a traceback)."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Console:
    """JSON and plain results go to ``out`` (stdout); messages and progress go to ``err``."""

    out: TextIO
    err: TextIO

    def json(self, value: Any) -> None:
        """Print a JSON document on stdout."""
        self.out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        self.out.flush()

    def line(self, text: str = "") -> None:
        """Print a line of plain output on stdout."""
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """Print a message on stderr."""
        self.err.write(safe_text(text) + "\n")
        self.err.flush()

    def progress(self, text: str) -> None:
        """Rewrite a one-line progress message on stderr when it is a terminal."""
        text = safe_text(text)
        if self.err.isatty():
            self.err.write("\r\033[2K" + text)
        else:
            self.err.write(text + "\n")
        self.err.flush()

    def end_progress(self) -> None:
        """Finish a progress line started by :meth:`progress`."""
        if self.err.isatty():
            self.err.write("\n")
            self.err.flush()


def safe_text(text: str) -> str:
    """Server text made inert for a terminal: control characters (escapes) become visible."""
    return "".join(
        ch if ch in "\n\t" or (ch.isprintable() and ch != "\x7f") else f"\\x{ord(ch):02x}"
        for ch in text
    )


def read_json_file(path: str) -> Any:
    """A JSON document from a file (``-`` for stdin), with a clear error."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).expanduser().read_text()
    except OSError as exc:
        raise CliFailure(f"cannot read {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliFailure(f"{path} is not valid JSON: {exc}", EXIT_USAGE) from exc
