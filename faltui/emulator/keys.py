"""The emulator's built-in keys (apart from ``common`` so that ``faltui --demo`` can name the
demo key before the web server is imported)."""

#: The demo key: an ordinary (API-scope) key.
DEMO_KEY = "demo-key-id:demo-key-secret"
#: An Admin-scope demo key: everything the demo key can do, plus ``GET /v1/models/usage``.
ADMIN_KEY = "demo-admin-id:demo-admin-secret"
#: A key answered with 403 "User is locked".
LOCKED_KEY = "locked-key:locked"
