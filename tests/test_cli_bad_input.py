"""Bad local input: one line naming what is wrong, exit 2, never a traceback (issue #8, 7)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from faltui.cli import main
from faltui.core import storage
from faltui.emulator import Emulator
from tests.beyond_support import point_cli_at

FLUX = "fal-ai/flux/dev"


@pytest.fixture
def cli_env(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    return emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_exit_2(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.strip() and "\n" not in err.strip(), f"more than one line: {err!r}"
    for word in words:
        assert word in err, err


def test_upload_of_a_folder_says_it_is_a_folder(cli_env, capsys, tmp_path) -> None:
    code, _out, err = run(capsys, "upload", str(tmp_path))
    one_line_exit_2(code, err, "is a folder")
    assert cli_env.counters["upload"] == 0


def test_upload_of_an_empty_file_is_refused(cli_env, capsys, tmp_path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    code, _out, err = run(capsys, "upload", str(empty))
    one_line_exit_2(code, err, "is empty (0 bytes)")
    assert sum(cli_env.counters.values()) == 0


def test_an_empty_local_file_in_a_run_is_not_submitted(cli_env, capsys, tmp_path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    code, _out, err = run(
        capsys, "run", "-m", "fal-ai/flux/dev/image-to-image", "-p", "x", "--image-url", str(empty)
    )
    assert code == 1 and "is empty (0 bytes)" in err and "nothing was submitted" in err
    assert cli_env.counters["submit"] == 0


def test_upload_of_an_unreadable_file(cli_env, capsys, tmp_path, monkeypatch) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG" + b"0" * 32)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root reads anything: fake the refusal
        real_open = Path.open

        def refusing_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            if self == secret:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "open", refusing_open)
    else:
        secret.chmod(0)
    code, _out, err = run(capsys, "upload", str(secret))
    one_line_exit_2(code, err, "cannot read", "Permission denied")


def test_upload_of_a_missing_file(cli_env, capsys, tmp_path) -> None:
    code, _out, err = run(capsys, "upload", str(tmp_path / "nope.png"))
    one_line_exit_2(code, err, "no such file")


@pytest.mark.parametrize("model", [FLUX, "fal-ai/no-schema-here"])
def test_a_30000_deep_param_is_one_line(cli_env, capsys, model) -> None:
    deep = "[" * 30_000 + "]" * 30_000
    code, _out, err = run(capsys, "run", "-m", model, "-p", "x", "--param", f"image_size:={deep}")
    assert code == 2, err
    assert "Traceback" not in err and "RecursionError" not in err
    # The one input pipeline reads it: the message names the field, as every rejection does.
    assert err.strip().splitlines()[-1] == "  image_size: not valid JSON (nested too deeply)"
    assert cli_env.counters["submit"] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ("run", "-m", FLUX, "-p", "x", "-w", "--timeout", "0"),
        ("run", "-m", FLUX, "-p", "x", "-w", "--timeout", "-1"),
        ("run", "-m", FLUX, "-p", "x", "--start-timeout", "0.5"),
        ("run", "-m", FLUX, "-p", "x", "--lifecycle", "-3"),
        ("poll", FLUX, "rid", "--timeout", "0"),
        ("poll", FLUX, "rid", "--interval", "-1"),
        ("resume", "--timeout", "-1"),
        ("history", "--limit", "-5"),
        ("history", "--limit", "0"),
        ("models", "-l", "-1"),
        ("upload", "x", "--lifecycle", "0"),
        ("emulator", "--port", "99999"),
        ("emulator", "--port", "http"),
        ("emulator", "--time-scale", "0"),
    ],
    ids=lambda argv: " ".join(argv[:1] + argv[-2:]),
)
def test_out_of_range_numbers_are_one_line_and_exit_2(cli_env, capsys, argv) -> None:
    code, _out, err = run(capsys, *argv)
    one_line_exit_2(code, err, argv[-2])
    assert sum(cli_env.counters.values()) == 0


def test_emulator_on_a_port_in_use(capsys) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, _out, err = run(capsys, "emulator", "--port", str(port))
    one_line_exit_2(code, err, f"port {port}", "127.0.0.1", "in use")


def test_upload_progress_off_a_terminal_is_one_line_per_ten_percent(
    cli_env, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(storage, "CHUNK_SIZE", 8 * 1024)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024))  # 256 chunks
    code, _out, err = run(capsys, "upload", str(big))
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("uploading")]
    assert 2 <= len(lines) <= 11, lines
    assert lines[-1].endswith("100%")
