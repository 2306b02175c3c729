"""Another process holding the journal locked, for the tests of what faltui does then."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Takes an exclusive write lock on the journal (argv[1]) and holds it until killed; with
#: argv[2] == "rollback" in rollback mode first, where nobody can even read it meanwhile.
_LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2:] == ["rollback"]:
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("BEGIN EXCLUSIVE")
    if sys.argv[2:] != ["rollback"]:
        conn.execute("UPDATE schema_version SET version = version")
    print("locked", flush=True)
    time.sleep(120)
    """
)


@contextmanager
def journal_locked(path: Path, *, rollback: bool = False) -> Iterator[subprocess.Popen[str]]:
    """Hold ``path`` locked by another process until the block ends (the lock is taken when
    this returns)."""
    argv = [sys.executable, "-c", _LOCKER, str(path), *(["rollback"] if rollback else [])]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.kill()
        proc.wait()
