"""Shared pieces of the conformance tests: a TLS certificate authority for the emulator and
the check that followed URLs stayed on the emulator."""

from __future__ import annotations

from pathlib import Path

import trustme


def make_tls_files(folder: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost, as PEM files in ``folder``."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(paths["ca"])
    cert.private_key_pem.write_to_path(paths["key"])
    for index, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(paths["cert"], append=index > 0)
    return paths


def off_origin(urls: list[str], *origins: str) -> list[str]:
    """The URLs not on any of ``origins`` (``scheme://host:port``)."""
    return [url for url in urls if not any(url.startswith(o + "/") for o in origins)]
