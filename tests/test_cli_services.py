"""Every CLI command gets its services from the one builder (``faltui.services``), made on
first use: a command never opens what it does not need (a locked journal cannot slow down
``models`` or ``schema``), and ``run`` still refuses to submit without a writable journal."""

from __future__ import annotations

import ast
import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from beyond_support import point_cli_at, run_cli

from faltui.cli import support
from faltui.core import journal as journal_module
from faltui.core.config import load_settings
from faltui.core.journal import Journal
from faltui.emulator import Emulator
from faltui.services import MEMBERS, Services
from tests.journal_lock import journal_locked

FLUX = "fal-ai/flux/dev"
CLI_DIR = Path(__file__).resolve().parents[1] / "faltui" / "cli"

#: The classes of the session's services: only ``faltui.services`` makes them.
SERVICE_CLASSES = {
    "AutoDownloader",
    "Catalog",
    "FalClient",
    "JobManager",
    "Journal",
    "Library",
    "Outputs",
    "PresetStore",
    "PriceBook",
    "SpendTracker",
}


def constructions(source: str) -> list[str]:
    """Calls in ``source`` that make a service: ``FalClient(...)``, ``Outputs.from_settings(...)``,
    and calls of the builder itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in SERVICE_CLASSES | {"build_services"}:
            found.append(f"line {node.lineno}: {func.id}(")
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in SERVICE_CLASSES
        ):
            found.append(f"line {node.lineno}: {func.value.id}.{func.attr}(")
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    source = textwrap.dedent(
        """
        client = FalClient(settings)
        outputs = Outputs.from_settings(settings)
        services = build_services(settings)
        """
    )
    assert constructions(source) == [
        "line 2: FalClient(",
        "line 3: Outputs.from_settings(",
        "line 4: build_services(",
    ]


def test_no_cli_module_makes_a_service_itself() -> None:
    made = {
        path.name: found
        for path in sorted(CLI_DIR.glob("*.py"))
        if (found := constructions(path.read_text(encoding="utf-8")))
    }
    # The one call of the builder, in cli_services.
    assert made == {"support.py": [made["support.py"][0]]}
    assert made["support.py"][0].endswith("build_services(")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Services]:
    """Every ``Services`` the CLI builds, in order."""
    seen: list[Services] = []
    real = support.build_services

    def spy(*args: object, **kwargs: object) -> Services:
        services = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(services)
        return services

    monkeypatch.setattr(support, "build_services", spy)
    return seen


def made(services: Services) -> set[str]:
    return {member for member in MEMBERS if services.made(member)}


def assert_closed(services: Services) -> None:
    if services.made("client"):
        assert services.client.http.is_closed
    if services.made("journal"):
        with pytest.raises(journal_module.JournalError, match="closed"):
            services.journal.load_all()


def test_each_command_builds_one_session_and_makes_only_what_it_uses(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    built: list[Services],
) -> None:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, out, err = run_cli(capsys, "run", "-m", FLUX, "-p", "a wren", "-w")
    assert code == 0, err
    (services,) = built
    (job,) = services.jobs.jobs()  # the job the command ran is the builder's manager's
    assert job.result == json.loads(out)
    assert {"client", "catalog", "journal", "jobs"} <= made(services)
    assert "spend" not in made(services)  # no budget set: today's spend is never read
    assert_closed(services)

    cases: list[tuple[list[str], set[str]]] = [
        (["models", "flux"], {"catalog", "client"}),  # the live search shares the client
        (["schema", FLUX], {"catalog"}),  # cached by the run: no connection made
        (["pricing", FLUX], {"client"}),
        (["status", FLUX, job.request_id or ""], {"client", "journal"}),
        (["history"], {"client", "journal", "prices"}),
        (["preset", "list"], {"presets"}),
    ]
    for argv, expected in cases:
        built.clear()
        code, _, err = run_cli(capsys, *argv)
        assert code == 0, (argv, err)
        (services,) = built
        assert made(services) == expected, argv
        assert_closed(services)


# -- a journal locked by another process --------------------------------------------------------


@pytest.fixture
def locked_journal(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[subprocess.Popen[str]]:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    monkeypatch.setattr(journal_module, "LOCK_WAIT", 0.5)
    path = load_settings().paths.journal_file
    Journal(path).close()
    with journal_locked(path, rollback=True) as proc:
        yield proc


def test_models_and_schema_never_touch_a_locked_journal_but_run_refuses(
    emulator: Emulator,
    locked_journal: subprocess.Popen[str],
    capsys: pytest.CaptureFixture[str],
    built: list[Services],
) -> None:
    for argv in (["models", "flux"], ["schema", FLUX], ["schema", FLUX, "--json"]):
        built.clear()
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, err
        assert out and "journal" not in err and "locked" not in err
        (services,) = built
        assert not services.made("journal")  # so it waited for no lock

    built.clear()
    submits = emulator.counters["submit"]
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "-p", "x", "-w")
    assert code == 2, err
    assert "locked by" in err and "Traceback" not in err
    # Said when the journal was opened (once per command: before, ``run`` opened it twice),
    # and as the reason the submit was refused.
    assert err.count("is locked by") == 2
    assert emulator.counters["submit"] == submits  # nothing sent unrecorded
    (services,) = built
    assert services.made("journal")
