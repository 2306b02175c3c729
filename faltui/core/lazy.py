"""Package names imported on first use (PEP 562): a package lists where each name lives and
its ``__getattr__`` imports that module only when the name is first asked for.

Keeps heavy dependencies (httpx, Starlette, Pillow) off the path of code that only needs a
package's light names, e.g. the TUI before its first frame.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name of ``where`` (name → module) is
    imported from its module on first use and kept in the package."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
