"""The subcommands: their parser, and running one (``faltui.cli.main`` with arguments).

Every subcommand prints JSON (or plain results) on stdout and messages on stderr, and exits
non-zero on failure (1), bad usage or input (2), timeout (3) or interruption (130).
``--demo`` anywhere on the line runs against the built-in fal emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from faltui import __version__
from faltui.cli.session import session_settings
from faltui.cli.support import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliFailure,
    CliParser,
    Console,
    positive_float,
    positive_int,
    start_timeout,
)
from faltui.core.config import Settings
from faltui.core.errors import (
    ApiError,
    ConfigError,
    EndpointIdError,
    FaltuiError,
    ValidationFailed,
)
from faltui.core.journal import JournalError

Handler = Callable[[argparse.Namespace, Settings, Console], Coroutine[Any, Any, int]]


def _add_run(sub: argparse._SubParsersAction[CliParser]) -> None:
    from faltui.cli import run as cli_run

    p = sub.add_parser(
        "run",
        aliases=["generate"],
        help="run a model (queue; -w waits, -a prints the request id, --sync uses fal.run)",
        description="Build the input from flags, validate it against the model's schema, submit.",
    )
    p.add_argument(
        "-m",
        "--model",
        required=True,
        action="append",
        help="endpoint id, e.g. fal-ai/flux/dev; several -m run a sweep on each model "
        "(the flags build the first one's input)",
    )
    p.add_argument("-p", "--prompt", help="prompt text")
    p.add_argument("-t", "--text", help="text input (text-to-speech models)")
    p.add_argument("--image-url", help="image URL or local path (uploaded automatically)")
    p.add_argument("--video-url", help="video URL or local path (uploaded automatically)")
    p.add_argument("--audio-url", help="audio URL or local path (uploaded automatically)")
    p.add_argument("--aspect-ratio", help="aspect ratio, e.g. 16:9")
    p.add_argument("--duration", help="duration (typed by the model's schema)")
    p.add_argument("--seed", help="seed (integer, or 'random': a fresh seed per job, the default)")
    p.add_argument(
        "--size", help="image_size preset: square, portrait, landscape, a fal preset or WxH"
    )
    p.add_argument("--num-images", help="number of images")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="any input: k=v (typed by the schema), k:=<json>, nested a.b=v; repeatable",
    )
    p.add_argument("--json-input", metavar="FILE", help="start from a JSON input file (- = stdin)")
    p.add_argument(
        "--preset",
        metavar="NAME",
        help="start from a saved preset of this model (faltui preset list); flags change it",
    )
    p.add_argument(
        "--from",
        dest="from_job",
        metavar="JOB",
        help="fill the inputs that take files (image_url, *_urls…) from a finished job's "
        "outputs (job id or request id); the new job records it as its parent",
    )
    p.add_argument(
        "--yes", action="store_true", help="submit even when the estimate passes the [budget]"
    )
    p.add_argument(
        "-n",
        "--count",
        type=int,
        default=1,
        metavar="N",
        help="submit N jobs, seeds varied like the TUI's submit ×N (seed S: S, S+1, …; "
        "random: a fresh seed each); with N > 1 stdout has one JSON line per job",
    )
    p.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="FIELD=VALUES",
        help="run every combination of these values: seed=1..8, guidance_scale=2,4,6, "
        'steps=10..50 step 10, scheduler=*, prompt:=\'["a","b"]\'; repeatable '
        "(one JSON line per job; priority low)",
    )
    p.add_argument(
        "--max-in-flight",
        type=positive_int,
        metavar="N",
        help="a sweep keeps at most N of its jobs unfinished at once",
    )
    p.add_argument("--webhook", default=os.environ.get("FAL_WEBHOOK"), help="fal_webhook URL")
    p.add_argument(
        "--priority", choices=["normal", "low"], help="queue priority (a sweep's default: low)"
    )
    p.add_argument(
        "--lifecycle", type=positive_int, metavar="SECONDS", help="output object lifetime"
    )
    p.add_argument(
        "--start-timeout", type=start_timeout, metavar="SECONDS", help="X-Fal-Request-Timeout"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-w", "--wait", action="store_true", help="wait and print the result JSON")
    mode.add_argument("-a", "--async", dest="async_", action="store_true", help="print the id")
    mode.add_argument("--sync", action="store_true", help="run synchronously (fal.run)")
    p.add_argument("--logs", action="store_true", help="print the model's log lines while waiting")
    p.add_argument("--timeout", type=positive_float, help="give up waiting after SECONDS (exit 3)")
    p.add_argument("--download", metavar="DIR", help="download every output file into DIR")
    p.add_argument("--no-validate", action="store_true", help="skip schema validation")
    p.set_defaults(handler=cli_run.cmd_run)


def _add_queue(sub: argparse._SubParsersAction[CliParser]) -> None:
    from faltui.cli import library as cli_library
    from faltui.cli import queue as cli_queue

    for name, handler, text in (
        ("status", cli_queue.cmd_status, "one status check (with queue position and logs)"),
        ("result", cli_queue.cmd_result, "the result JSON of a completed request"),
        ("cancel", cli_queue.cmd_cancel, "cancel a queued or running request"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("endpoint", help="endpoint id")
        p.add_argument("request_id")
        if name == "status":
            p.add_argument("--logs", action="store_true", help="include log lines")
        p.set_defaults(handler=handler)

    p = sub.add_parser("poll", help="wait for a request and print its result")
    p.add_argument("endpoint")
    p.add_argument("request_id")
    p.add_argument("--interval", type=positive_float, default=None, help="poll interval (s)")
    p.add_argument("--timeout", type=positive_float, help="give up after SECONDS (exit 3)")
    p.add_argument("--logs", action="store_true", help="print log lines")
    p.add_argument("--download", metavar="DIR", help="download output files into DIR")
    p.set_defaults(handler=cli_queue.cmd_poll)

    p = sub.add_parser("history", help="jobs in the local journal (--import: and from fal)")
    p.add_argument("--limit", type=positive_int, default=20)
    p.add_argument("--json", action="store_true")
    cli_library.add_import_arguments(p)
    p.set_defaults(handler=cli_queue.cmd_history)

    p = sub.add_parser(
        "resume",
        help="wait for journaled jobs that had not finished (unknown outcomes reconciled first)",
    )
    p.add_argument("--timeout", type=positive_float)
    p.set_defaults(handler=cli_queue.cmd_resume)

    p = sub.add_parser(
        "reconcile",
        help="find jobs whose submit outcome is unknown in fal's request history",
        description=(
            "A submit that may have reached fal without an answer is never resent. This looks "
            "it up in fal's request history (same endpoint, sent around the same time, exactly "
            "the same input): exactly one match re-attaches the job; otherwise it stays unknown."
        ),
    )
    p.add_argument("jobs", nargs="*", metavar="JOB", help="local job ids (default: every one)")
    p.set_defaults(handler=cli_queue.cmd_reconcile)


def _add_catalog(sub: argparse._SubParsersAction[CliParser]) -> None:
    from faltui.cli import catalog as cli_catalog

    p = sub.add_parser("models", help="search and list models")
    p.add_argument("query", nargs="?", help="search words")
    p.add_argument("-c", "--category")
    p.add_argument("-l", "--limit", type=positive_int, default=20)
    p.add_argument("--featured", action="store_true", help="a curated list, by category")
    p.add_argument("--json", action="store_true", help="model objects as JSON")
    p.set_defaults(handler=cli_catalog.cmd_models)

    p = sub.add_parser("schema", help="a model's inputs and outputs")
    p.add_argument("model", nargs="?", help="endpoint id")
    p.add_argument("--file", help="a saved OpenAPI document instead of a model id")
    p.add_argument("--json", action="store_true", help="print the raw OpenAPI document")
    p.add_argument("--input", dest="only", action="store_const", const="input")
    p.add_argument("--output", dest="only", action="store_const", const="output")
    p.set_defaults(handler=cli_catalog.cmd_schema)

    p = sub.add_parser("pricing", help="unit prices of models")
    p.add_argument("models", nargs="+", metavar="ID")
    p.set_defaults(handler=cli_catalog.cmd_pricing)


def _add_misc(sub: argparse._SubParsersAction[CliParser]) -> None:
    from faltui.cli import misc as cli_misc
    from faltui.emulator import cli as emulator_cli

    p = sub.add_parser("upload", help="upload a local file to fal's CDN and print its URL")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print {file, url} objects")
    p.add_argument("--lifecycle", type=positive_int, metavar="SECONDS")
    p.set_defaults(handler=cli_misc.cmd_upload)

    p = sub.add_parser("locate", help="where faltui keeps config, cache, journal, downloads")
    p.set_defaults(handler=cli_misc.cmd_locate)

    p = sub.add_parser("emulator", help="run the local fal emulator in the foreground")
    emulator_cli.add_arguments(p)
    p.set_defaults(handler=None, emulator=True)


def _add_beyond(sub: argparse._SubParsersAction[CliParser]) -> None:
    """Spend, presets and the local library (issue #12)."""
    from faltui.cli import compare as cli_compare
    from faltui.cli import library as cli_library
    from faltui.cli import presets as cli_presets
    from faltui.cli import spend as cli_spend

    cli_compare.add_parser(sub)
    cli_spend.add_parser(sub)
    cli_presets.add_parser(sub)
    cli_library.add_rerun_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = CliParser(
        prog="faltui",
        description="A terminal workbench for fal.ai. With no command, opens the full-screen app.",
        epilog="--demo (anywhere) runs against the built-in local fal emulator.",
    )
    parser.add_argument("--version", action="version", version=f"faltui {__version__}")
    parser.add_argument("--demo", action="store_true", help="use the built-in fal emulator")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub)
    _add_queue(sub)
    _add_catalog(sub)
    _add_misc(sub)
    _add_beyond(sub)
    return parser


def run_command(args_list: list[str], demo: bool) -> int:
    """Parse the arguments (``--demo`` taken out) and run the subcommand; the exit code."""
    parser = build_parser()
    args = parser.parse_args(args_list)
    console = Console(sys.stdout, sys.stderr)
    if getattr(args, "emulator", False):
        from faltui.emulator import cli as emulator_cli

        return emulator_cli.run(args)
    if args.command is None:  # only options (none of them exits): the TUI
        from faltui.cli import open_tui

        return open_tui(demo)
    try:
        with session_settings(demo) as settings:
            code: int = asyncio.run(args.handler(args, settings, console))
            return code
    except KeyboardInterrupt:
        console.note("interrupted")
        return EXIT_INTERRUPTED
    except CliFailure as exc:
        console.note(f"faltui: {exc}")
        return exc.code
    except ValidationFailed as exc:
        console.note("faltui: the input is not valid (nothing was sent):")
        for error in exc.errors:
            console.note(f"  {error}")
        return EXIT_USAGE
    except (ConfigError, EndpointIdError, JournalError) as exc:
        console.note(f"faltui: {exc}")
        return EXIT_USAGE
    except ApiError as exc:
        console.note(f"faltui: {exc}")
        return EXIT_FAILED
    except FaltuiError as exc:
        console.note(f"faltui: {exc}")
        return EXIT_FAILED
    except RecursionError:
        console.note("faltui: a JSON value is nested too deeply to be handled")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``faltui models | head``): nothing left to say, and Python
        # must not complain about flushing stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
