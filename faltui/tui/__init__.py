"""The Textual app: wiring, screens, widgets, themes."""
