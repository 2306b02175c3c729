"""Allow ``python -m faltui``."""

from faltui.cli import main

raise SystemExit(main())
