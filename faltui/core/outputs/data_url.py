"""``data:`` URLs (RFC 2397), decoded to their exact bytes.

fal answers with ``data:<mime>;base64,<payload>`` under ``sync_mode``; a URL may also carry
percent-encoded bytes (``data:,%FF%00``). Either way the decoded bytes are exactly the bytes that
were encoded: ``%FF`` is the byte 0xFF, never a UTF-8 replacement character.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_to_bytes

from faltui.core.errors import FaltuiError

#: ASCII whitespace, dropped from base64 payloads (``bytes.translate`` runs at C speed).
_WHITESPACE = b" \t\n\r\f\v"


class DataUrlError(FaltuiError, ValueError):
    """A ``data:`` URL that cannot be decoded."""


def is_data_url(url: str) -> bool:
    """True for ``data:…`` (scheme case-insensitive)."""
    return url[:5].lower() == "data:"


def _split(url: str) -> tuple[str, bool, str]:
    """(media type, base64?, payload) of a ``data:`` URL."""
    if not is_data_url(url):
        raise DataUrlError("not a data: URL")
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise DataUrlError("the data: URL is malformed (no comma before the data)")
    params = [part.strip() for part in header.split(";")]
    is_base64 = bool(params) and params[-1].lower() == "base64"
    return params[0] if params else "", is_base64, payload


def data_url_type(url: str) -> str | None:
    """The media type a ``data:`` URL declares (``image/png``), or None when it names none."""
    try:
        media_type, _, _ = _split(url)
    except DataUrlError:
        return None
    return media_type or None


def decoded_size_estimate(url: str) -> int:
    """An upper bound of the decoded size, computed without decoding (for size caps)."""
    _, is_base64, payload = _split(url)
    return (len(payload) * 3) // 4 + 3 if is_base64 else len(payload)


def decode_data_url(url: str) -> bytes:
    """The exact bytes of a ``data:`` URL (base64 or percent-encoded).

    Base64 payloads may be percent-encoded themselves and may contain whitespace (both happen
    in the wild); missing ``=`` padding is tolerated. Raises ``DataUrlError`` when malformed.
    """
    _, is_base64, payload = _split(url)
    raw = unquote_to_bytes(payload)
    if not is_base64:
        return raw
    raw = raw.translate(None, _WHITESPACE)
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:  # the URL-safe alphabet (-_ instead of +/)
        return base64.b64decode(raw, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataUrlError(f"the data: URL is malformed (bad base64: {exc})") from None
