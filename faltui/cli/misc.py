"""``upload`` and ``locate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from faltui.cli.support import EXIT_OK, EXIT_USAGE, CliFailure, Console
from faltui.core.client import FalClient
from faltui.core.config import Settings, mask_key
from faltui.core.storage import upload_file


async def cmd_upload(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Upload files to fal's CDN; print one URL per line (or JSON)."""
    settings.require_key()
    paths = [Path(f).expanduser() for f in args.files]
    for path in paths:
        if not path.is_file():
            raise CliFailure(f"{path}: no such file", EXIT_USAGE)
    client = FalClient(settings)
    uploaded: list[dict[str, str]] = []
    try:
        for path in paths:
            name = path.name

            def progress(sent: int, total: int, name: str = name) -> None:
                percent = 100 * sent / total if total else 100
                console.progress(f"uploading {name}: {percent:.0f}%")

            url = await upload_file(
                client, path, progress=progress, lifecycle_seconds=args.lifecycle
            )
            console.end_progress()
            uploaded.append({"file": str(path), "url": url})
            if not args.json:
                console.line(url)
    finally:
        await client.aclose()
    if args.json:
        console.json(uploaded if len(uploaded) > 1 else uploaded[0])
    return EXIT_OK


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
            "urls": settings.urls,
        }
    )
    return EXIT_OK
