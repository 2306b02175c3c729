"""``faltui emulator``: the emulator as a stand-alone tool (options, checks, foreground run).

``add_arguments`` fills an argparse (sub)parser; ``run`` starts the emulator and serves until
Ctrl-C. Every bad option ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from faltui.emulator.server import Emulator

DEFAULT_PORT = 8123
EXIT_USAGE = 2


class UsageError(ValueError):
    """A bad option (the message is one line)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``faltui emulator`` options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="queue/REST/CDN/API port")
    parser.add_argument(
        "--run-port",
        type=int,
        default=None,
        metavar="PORT",
        help="sync-run (fal.run) port (default: --port + 1; 0: any free port)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiplier of every job timeline (0.1: ten times faster)",
    )
    tls = parser.add_argument_group("HTTPS")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a self-signed CA kept in --tls-dir (prints the CA path)",
    )
    tls.add_argument("--tls-dir", type=Path, metavar="DIR", help="where the CA is kept")
    tls.add_argument("--cert", type=Path, metavar="FILE", help="serve HTTPS with this certificate")
    tls.add_argument("--key", type=Path, metavar="FILE", help="private key of --cert")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="origin for returned URLs (behind a proxy), e.g. https://fal.example.test",
    )
    parser.add_argument("--public-run-url", metavar="URL", help="the same for the sync-run port")
    parser.add_argument(
        "--schemas",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="serve extra endpoints from the OpenAPI documents (*.json) in DIR (repeatable)",
    )
    parser.add_argument(
        "--chaos",
        default="",
        metavar="TEXT",
        help='misbehave at random, e.g. "rate429=0.1,rate503=0.05,drop=0.05,latency=50ms"',
    )
    parser.add_argument(
        "--returned-urls-only",
        default="",
        metavar="IDS",
        help="endpoint ids (comma-separated, or 'all') whose owner/app status URLs answer 404",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep jobs and files in DIR: results survive a restart",
    )


def _check_url(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise UsageError(f"{option} must be an origin like https://host[:port], got {value!r}")
    return value.rstrip("/")


def _tls_dir(args: argparse.Namespace) -> Path:
    if args.tls_dir is not None:
        return Path(args.tls_dir).expanduser()
    from faltui.core.config import Paths

    return Paths.discover().data_dir / "emulator-tls"


def build(args: argparse.Namespace) -> tuple[Emulator, str | None]:
    """An emulator (not started) configured from the options, and the CA file to trust."""
    from faltui.emulator.chaos import parse_chaos
    from faltui.emulator.schema_files import SchemaFileError, load_schema_dir
    from faltui.emulator.server import Emulator
    from faltui.emulator.tls import TlsError, identities, make_tls_files

    if not args.time_scale > 0:
        raise UsageError(f"--time-scale must be a positive number, got {args.time_scale:g}")
    for option, port in (("--port", args.port), ("--run-port", args.run_port)):
        if port is not None and not 0 <= port <= 65535:
            raise UsageError(f"{option} {port} is out of range (0-65535)")
    run_port = args.run_port
    if run_port is None:
        run_port = args.port + 1 if args.port and args.port < 65535 else 0
    if args.tls and args.cert:
        raise UsageError("use either --tls or --cert/--key, not both")
    if bool(args.cert) != bool(args.key):
        raise UsageError("--cert and --key go together")
    public = _check_url("--public-url", args.public_url)
    public_run = _check_url("--public-run-url", args.public_run_url)
    try:
        chaos = parse_chaos(args.chaos)
    except ValueError as exc:
        raise UsageError(f"--chaos: {exc}") from None
    added = []
    for folder in args.schemas:
        try:
            added.extend(load_schema_dir(folder))
        except SchemaFileError as exc:
            raise UsageError(f"--schemas: {exc}") from None
    ca_file = None
    cert, key = args.cert, args.key
    if args.tls:
        try:
            files = make_tls_files(_tls_dir(args), identities(args.host, [public, public_run]))
        except TlsError as exc:
            raise UsageError(str(exc)) from None
        cert, key, ca_file = files.cert, files.key, str(files.ca)
    for option, path in (("--cert", cert), ("--key", key)):
        if path is not None and not Path(path).is_file():
            raise UsageError(f"{option} {path}: no such file")
    emulator = Emulator(
        args.host,
        args.port,
        run_port=run_port,
        time_scale=args.time_scale,
        ssl_certfile=cert,
        ssl_keyfile=key,
        data_dir=args.data_dir,
    )
    emulator.public_url, emulator.public_run_url = public, public_run
    emulator.chaos.configure(chaos)
    ids = {i.strip() for i in args.returned_urls_only.split(",") if i.strip()}
    emulator.returned_urls_only = {"*"} if "all" in ids else ids
    for endpoint_id, doc in added:
        emulator.catalog.add(endpoint_id, doc, tags=["local"])
    return emulator, ca_file


def run(args: argparse.Namespace, err: TextIO | None = None) -> int:
    """``faltui emulator``: serve until Ctrl-C; 2 with one line on stderr for bad options."""
    from faltui.emulator.foreground import run_foreground
    from faltui.emulator.sockets import EmulatorStartError

    stream = err or sys.stderr
    try:
        emulator, ca_file = build(args)
        run_foreground(emulator, ca_file=ca_file, extra=_schema_lines(args, emulator))
    except (UsageError, EmulatorStartError) as exc:
        print(f"faltui emulator: {exc}", file=stream, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0
    return 0


def _schema_lines(args: argparse.Namespace, emulator: Emulator) -> list[str]:
    if not args.schemas:
        return []
    local = [m["endpoint_id"] for m in emulator.catalog.models if "local" in m["metadata"]["tags"]]
    return [f"Serving {len(local)} endpoint(s) from --schemas: {', '.join(local)}"]


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m faltui.emulator.cli``)."""
    parser = argparse.ArgumentParser(prog="faltui emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
