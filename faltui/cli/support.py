"""What every subcommand shares: settings (with ``--demo``), the session's services, output
streams, exit codes."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from faltui.core.config import Settings
from faltui.core.job import EventCallback
from faltui.core.text import one_line, safe_block, safe_json, safe_text
from faltui.services import Services, build_services

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


#: On a stderr that is not a terminal, a progress line is repeated at most this often (s)
#: unless what it says changes.
PROGRESS_EVERY = 5.0


@dataclass
class Console:
    """JSON and plain results go to ``out`` (stdout); messages and progress go to ``err``."""

    out: TextIO
    err: TextIO
    clock: Callable[[], float] = time.monotonic
    _progress_key: str | None = field(default=None, init=False, repr=False)
    _progress_at: float = field(default=0.0, init=False, repr=False)

    def json(self, value: Any) -> None:
        """Print a JSON document on stdout (control and bidi characters escaped)."""
        self.out.write(safe_json(value) + "\n")
        self.out.flush()

    def line(self, text: str = "") -> None:
        """Print plain output on stdout (made safe: see ``faltui.core.text``)."""
        self.out.write(safe_text(text) + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """Print a message on stderr (made safe and long lines cut: see ``faltui.core.text``)."""
        self.err.write(safe_block(text) + "\n")
        self.err.flush()

    def progress(self, text: str, key: str | None = None) -> None:
        """A one-line progress message on stderr.

        On a terminal the line is rewritten in place. Anywhere else (a log file, a pipe) a line
        is written only when ``key`` — what the line means, e.g. a state or a 10% step;
        default the text — changes, or once every ``PROGRESS_EVERY`` seconds.
        """
        text = one_line(text, limit=200)
        if self.err.isatty():
            self.err.write("\r\033[2K" + text)
            self.err.flush()
            return
        now = self.clock()
        key = text if key is None else key
        if key == self._progress_key and now - self._progress_at < PROGRESS_EVERY:
            return
        self._progress_key, self._progress_at = key, now
        self.err.write(text + "\n")
        self.err.flush()

    def end_progress(self) -> None:
        """Finish a progress line started by :meth:`progress`."""
        if self.err.isatty():
            self.err.write("\n")
            self.err.flush()


@contextlib.asynccontextmanager
async def cli_services(
    settings: Settings, console: Console, *, on_event: EventCallback | None = None
) -> AsyncIterator[Services]:
    """``async with cli_services(settings, console) as services``: a command's services,
    from the one builder, each made on first use and closed on the way out.

    Every set-up problem (e.g. what a journal repair kept) is printed on stderr once, when
    it happens. ``on_event``: the job manager's event callback (progress printing).
    """
    services = build_services(
        settings, on_event=on_event, on_problem=lambda text: console.note(f"faltui: {text}")
    )
    try:
        yield services
    except BaseException:
        try:
            await services.aclose()
        except Exception as exc:  # the command's own error is the one to report
            console.note(f"faltui: closing: {exc}")
        raise
    await services.aclose()


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


# -- argument types ---------------------------------------------------------------------------


def positive_float(text: str) -> float:
    """An argparse type: a number above zero (``--timeout``, ``--interval``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--limit``, ``--lifecycle``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def start_timeout(text: str) -> float:
    """An argparse type: fal's start timeout, more than one second (fal-protocol §4.8)."""
    value = positive_float(text)
    if value <= 1:
        raise argparse.ArgumentTypeError(f"must be more than 1 second, got {text}")
    return value


class CliParser(argparse.ArgumentParser):
    """argparse with one-line usage errors: ``faltui run: argument --timeout: … (see --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")
