"""faltui: a keyboard-driven terminal workbench for fal.ai generative models."""

__version__ = "0.1.0"
