"""Command-line entry point: no subcommand opens the TUI; subcommands serve scripts.

Every subcommand prints JSON (or plain results) on stdout and messages on stderr, and exits
non-zero on failure (1), bad usage or input (2), timeout (3) or interruption (130).
``--demo`` anywhere on the line runs against the built-in fal emulator.

Opening the TUI imports neither the subcommands (``faltui.cli.commands``) nor their parser:
start-up time is spent on the app alone.
"""

from __future__ import annotations

import gc
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the subcommands' parser (and argparse) load only for a subcommand
    import argparse

#: Exit codes of a TUI session that could not start (the subcommands' codes).
_EXIT_FAILED, _EXIT_USAGE, _EXIT_INTERRUPTED = 1, 2, 130


def split_demo(argv: list[str]) -> tuple[list[str], bool]:
    """Take ``--demo`` out of the arguments wherever it is (before a ``--``)."""
    if "--" in argv:
        cut = argv.index("--")
        head, tail = argv[:cut], argv[cut:]
    else:
        head, tail = argv, []
    demo = "--demo" in head
    return [a for a in head if a != "--demo"] + tail, demo


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from faltui.cli.commands import build_parser as build

    return build()


def main(argv: list[str] | None = None) -> int:
    """Run faltui; returns the process exit code."""
    args_list, demo = split_demo(list(sys.argv[1:] if argv is None else argv))
    if not args_list:
        return open_tui(demo)
    from faltui.cli.commands import run_command

    return run_command(args_list, demo)


def open_tui(demo: bool) -> int:
    """Run the full-screen app until the user quits (``demo``: on the local emulator)."""
    # Until the first frame is drawn no cyclic garbage collection runs: start-up allocates
    # hundreds of thousands of long-lived objects (modules, classes, widgets, styles), and the
    # collections they trigger (two full ones among them) took ~130 ms of the ~800 ms to the
    # first frame while freeing next to nothing.
    gc.disable()
    from faltui.tui import image_probe

    image_probe.start()  # textual-image asks the terminal about itself while the app loads
    from faltui.cli.session import session_settings
    from faltui.core.errors import ConfigError, FaltuiError
    from faltui.core.text import safe_block
    from faltui.emulator.sockets import EmulatorStartError

    first_frame = threading.Event()  # the demo emulator's server starts once it is drawn

    def on_first_frame() -> None:
        gc.enable()
        first_frame.set()

    try:
        with session_settings(demo, background=True, start_when=first_frame) as settings:
            from faltui.tui.app import FaltuiApp

            # What importing left alive lives as long as the process: later full collections
            # need not walk it again.
            gc.freeze()
            FaltuiApp(settings, on_first_frame=on_first_frame).run()
            return 0
    except KeyboardInterrupt:
        message, code = "interrupted", _EXIT_INTERRUPTED
    except (ConfigError, EmulatorStartError) as exc:
        message, code = f"faltui: {exc}", _EXIT_USAGE
    except FaltuiError as exc:
        message, code = f"faltui: {exc}", _EXIT_FAILED
    finally:
        gc.enable()
        image_probe.wait()  # never leave the terminal to a probe half done
    sys.stderr.write(safe_block(message) + "\n")
    return code
