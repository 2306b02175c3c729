"""The protocol layer: no Textual imports anywhere below this package."""
