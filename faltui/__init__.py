"""faltui: a keyboard-driven terminal workbench for fal.ai generative models."""

from faltui.core.version import __version__

__all__ = ["__version__"]
