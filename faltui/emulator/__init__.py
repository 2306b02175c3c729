"""The local fal emulator: fal's HTTP protocol on loopback with real generated files."""
