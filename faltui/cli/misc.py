"""``upload`` and ``locate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from faltui.cli.support import EXIT_OK, EXIT_USAGE, CliFailure, Console, cli_services
from faltui.core.config import Settings, mask_key
from faltui.core.storage import upload_file
from faltui.core.text import one_line


async def cmd_upload(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Upload files to fal's CDN; print one URL per line (or JSON)."""
    settings.require_key()
    paths = [Path(f).expanduser() for f in args.files]
    for path in paths:
        check_local_file(path)
    uploaded: list[dict[str, str]] = []
    async with cli_services(settings, console) as services:
        for path in paths:
            name = one_line(path.name, 80)

            def progress(sent: int, total: int, name: str = name) -> None:
                percent = 100 * sent / total if total else 100
                step = int(percent // 10)  # off a terminal: one line per 10%
                console.progress(f"uploading {name}: {percent:.0f}%", key=f"{name} {step}")

            url = await upload_file(
                services.client, path, progress=progress, lifecycle_seconds=args.lifecycle
            )
            console.end_progress()
            uploaded.append({"file": str(path), "url": url})
            if not args.json:
                console.line(one_line(url))
    if args.json:
        console.json(uploaded if len(uploaded) > 1 else uploaded[0])
    return EXIT_OK


def check_local_file(path: Path) -> None:
    """Refuse, with one line and exit 2, a path that is not a readable, non-empty file.

    A 0-byte file is refused: fal's models cannot use an empty input, and an empty file is
    almost always a mistake (a failed download, a wrong name).
    """
    shown = one_line(str(path), 300)
    if path.is_dir():
        raise CliFailure(f"{shown} is a folder, not a file", EXIT_USAGE)
    if not path.exists():
        raise CliFailure(f"{shown}: no such file", EXIT_USAGE)
    if not path.is_file():
        raise CliFailure(f"{shown} is not a regular file", EXIT_USAGE)
    try:
        with path.open("rb") as handle:
            handle.read(1)
        size = path.stat().st_size
    except OSError as exc:
        raise CliFailure(f"cannot read {shown}: {exc.strerror or exc}", EXIT_USAGE) from exc
    if size == 0:
        raise CliFailure(f"{shown} is empty (0 bytes): nothing to upload", EXIT_USAGE)


async def cmd_locate(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Where faltui keeps its files, and which key and URLs are in use (key masked)."""
    p = settings.paths
    console.json(
        {
            "config_file": str(p.config_file),
            "user_themes": str(p.user_themes_dir),
            "cache_dir": str(p.cache_dir),
            "journal": str(p.journal_file),
            "state": str(p.state_file),
            "downloads": str(p.download_dir),
            "key": mask_key(settings.key),
            "key_source": settings.key_source or "none",
            "key_problem": settings.key_problem,
            "urls": settings.urls,
        }
    )
    return EXIT_OK
