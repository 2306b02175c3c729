"""clipboard.copy_text (pyperclip, OSC 52 fallback) and opener.open_target."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyperclip
import pytest

from faltui.tui import clipboard, opener
from faltui.tui.clipboard import copy_text, is_ssh


class FakeApp:
    """Records what Textual's OSC 52 copy would have sent."""

    def __init__(self) -> None:
        self.copied: list[str] = []

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)


@pytest.fixture(autouse=True)
def no_ssh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.delenv("TMUX", raising=False)  # tests may run inside tmux or screen
    monkeypatch.delenv("STY", raising=False)


def test_pyperclip_used_when_it_works(monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", got.append)
    app = FakeApp()
    assert copy_text(app, "https://cdn/x.png") == "pyperclip"
    assert got == ["https://cdn/x.png"]
    assert app.copied == []


def test_falls_back_to_osc52_without_a_clipboard_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> None:
        raise pyperclip.PyperclipException("could not find a copy/paste mechanism")

    monkeypatch.setattr(pyperclip, "copy", broken)
    app = FakeApp()
    assert copy_text(app, "hello") == "osc52"
    assert app.copied == ["hello"]
    assert "OSC 52" in clipboard.describe("osc52")


def test_over_ssh_uses_osc52_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", got.append)
    app = FakeApp()
    assert copy_text(app, "x", env={"SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"}) == "osc52"
    assert got == [] and app.copied == ["x"]
    assert is_ssh({"SSH_TTY": "/dev/pts/1"})
    assert not is_ssh({})


def test_open_target_refuses_over_ssh_and_without_display(monkeypatch: pytest.MonkeyPatch) -> None:
    spawned: list[list[str]] = []
    monkeypatch.setattr(opener, "_spawn", lambda argv: spawned.append(argv) or True)
    url = "https://example.com/a.png"
    assert opener.open_target(url, env={"SSH_TTY": "/dev/pts/0", "DISPLAY": ":0"}) is False
    assert opener.open_target(url, env={}, platform="linux") is False
    assert spawned == []


def test_open_target_spawns_the_desktop_opener(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spawned: list[list[str]] = []
    monkeypatch.setattr(opener, "_spawn", lambda argv: spawned.append(argv) or True)
    monkeypatch.setattr(opener.shutil, "which", lambda name: "/usr/bin/xdg-open")
    url = "https://example.com/a.png"
    assert opener.open_target(url, env={"DISPLAY": ":0"}, platform="linux") is True
    assert spawned[-1] == ["/usr/bin/xdg-open", url]
    file = tmp_path / "out.png"
    file.write_bytes(b"x")
    assert opener.open_target(file, env={}, platform="darwin") is True
    assert spawned[-1] == ["open", file.resolve().as_uri()]


def test_spawn_reports_a_missing_program() -> None:
    assert opener._spawn(["/nonexistent/opener-binary"]) is False


class FakeTmux:
    """Answers ``tmux load-buffer`` like a tmux of the given version would."""

    def __init__(self, *, has_w: bool = True, present: bool = True) -> None:
        self.has_w = has_w
        self.present = present
        self.calls: list[tuple[list[str], bytes]] = []

    def __call__(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        if not self.present:
            raise FileNotFoundError("tmux")
        data = kwargs.get("input")
        assert isinstance(data, bytes)
        self.calls.append((args, data))
        code = 1 if ("-w" in args and not self.has_w) else 0
        return subprocess.CompletedProcess(args, code, b"", b"")


def _no_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> None:
        raise pyperclip.PyperclipException("could not find a copy/paste mechanism")

    monkeypatch.setattr(pyperclip, "copy", broken)


def test_in_tmux_the_text_goes_through_tmux_not_a_dropped_osc52(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_system_clipboard(monkeypatch)
    tmux, app = FakeTmux(), FakeApp()
    how = copy_text(app, "https://cdn/x.png", env={"TMUX": "/tmp/tmux-0/default,1,0"}, run=tmux)
    assert how == clipboard.TMUX and app.copied == []
    assert tmux.calls == [(["tmux", "load-buffer", "-w", "-"], b"https://cdn/x.png")]
    assert "tmux" in clipboard.describe(how) and "OSC 52" not in clipboard.describe(how)


def test_an_old_tmux_gets_the_buffer_and_the_setting_to_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_system_clipboard(monkeypatch)
    tmux, app = FakeTmux(has_w=False), FakeApp()
    how = copy_text(app, "abc", env={"TMUX": "x"}, run=tmux)
    assert how == clipboard.TMUX_BUFFER
    assert "set-clipboard on" in clipboard.describe(how)


def test_tmux_missing_falls_back_to_osc52(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_clipboard(monkeypatch)
    app = FakeApp()
    assert copy_text(app, "abc", env={"TMUX": "x"}, run=FakeTmux(present=False)) == "osc52"
    assert app.copied == ["abc"]


def test_gnu_screen_is_named_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_clipboard(monkeypatch)
    app = FakeApp()
    how = copy_text(app, "abc", env={"STY": "1234.pts-0"})
    assert how == clipboard.OSC52_SCREEN and app.copied == ["abc"]
    assert "screen" in clipboard.describe(how)


def test_system_clipboard_still_first_inside_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", got.append)
    tmux = FakeTmux()
    assert copy_text(FakeApp(), "abc", env={"TMUX": "x"}, run=tmux) == "pyperclip"
    assert got == ["abc"] and tmux.calls == []
