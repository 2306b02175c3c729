"""A self-signed certificate authority for ``faltui emulator --tls``.

The CA is kept in a folder (``ca.pem`` + ``ca-key.pem``) and reused, so a client trusts it
once (``SSL_CERT_FILE`` / ``NODE_EXTRA_CA_CERTS``); a server certificate for the names the
emulator answers to is issued at every start (``cert.pem`` + ``key.pem``). Needs ``trustme``
(``pip install 'faltui[tls]'``).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class TlsError(RuntimeError):
    """The certificate files cannot be made (one line for a user)."""


@dataclass(frozen=True)
class TlsFiles:
    """Where the CA and the server certificate are."""

    ca: Path
    cert: Path
    key: Path


def identities(host: str, public_urls: list[str | None]) -> list[str]:
    """Names and addresses the certificate must cover."""
    names = ["localhost", "127.0.0.1", "::1"]
    candidates = [host] + [urlsplit(url).hostname for url in public_urls if url]
    for name in candidates:
        if not name or name in ("0.0.0.0", "::") or name in names:
            continue
        names.append(name)
    return names


def _valid_identity(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return all(part and len(part) < 64 for part in name.split("."))


def make_tls_files(folder: Path, names: list[str]) -> TlsFiles:
    """Load or create the CA in ``folder``, issue a server certificate for ``names``."""
    try:
        import trustme
    except ImportError:
        raise TlsError("--tls needs the 'trustme' package: pip install 'faltui[tls]'") from None
    bad = [name for name in names if not _valid_identity(name)]
    if bad:
        raise TlsError(f"cannot issue a certificate for {bad[0]!r}")
    files = TlsFiles(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    ca_key = folder / "ca-key.pem"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if files.ca.is_file() and ca_key.is_file():
            ca = trustme.CA.from_pem(files.ca.read_bytes(), ca_key.read_bytes())
        else:
            ca = trustme.CA(organization_name="faltui emulator")
            ca.cert_pem.write_to_path(str(files.ca))
            ca.private_key_pem.write_to_path(str(ca_key))
            os.chmod(ca_key, 0o600)
        leaf = ca.issue_cert(*names)
        leaf.private_key_pem.write_to_path(str(files.key))
        os.chmod(files.key, 0o600)
        for index, blob in enumerate(leaf.cert_chain_pems):
            blob.write_to_path(str(files.cert), append=index > 0)
    except OSError as exc:
        raise TlsError(f"cannot write certificates to {folder}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise TlsError(f"cannot use the CA in {folder}: {exc}") from None
    return files
