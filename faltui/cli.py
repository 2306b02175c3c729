"""Command-line entry point (placeholder until the CLI lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run faltui."""
    print("faltui: not yet implemented", file=sys.stderr)
    return 1
