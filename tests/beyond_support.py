"""Shared pieces of the CLI tests: a CLI pointed at an emulator, run in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from faltui.cli import main
from faltui.emulator import DEMO_KEY, Emulator

FLUX = "fal-ai/flux/dev"


def point_cli_at(
    emulator: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, key: str = DEMO_KEY
) -> Path:
    """A fresh faltui home (returned) and every base URL and the key set for ``emulator``."""
    unset = ("FAL_KEY_ID", "FAL_KEY_SECRET", "FAL_RUN_HOST", "FAL_QUEUE_RUN_HOST", "FAL_WEBHOOK")
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FALTUI_HOME", str(home))
    monkeypatch.setenv("FAL_KEY", key)
    monkeypatch.chdir(home.parent)
    for name, url in emulator.urls.items():
        monkeypatch.setenv(f"FALTUI_{name.upper()}_URL", url)
    return home


def write_config(home: Path, text: str) -> None:
    """Write ``home``'s config.toml."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text, encoding="utf-8")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``faltui *argv`` in process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
