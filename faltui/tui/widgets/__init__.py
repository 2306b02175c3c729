"""One pane a module."""
