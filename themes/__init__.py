"""Built-in theme files (TOML), shipped as the package ``faltui.builtin_themes``."""
