"""Why a result file could not be fetched (apart from ``fetch``, so that catching these does
not import the HTTP client)."""

from __future__ import annotations

from faltui.core.errors import FaltuiError

#: What a gone file's message says (the results pane recognises it).
GONE_NOTE = "the file is no longer served — fal keeps results for a limited time"


class DownloadError(FaltuiError):
    """A file could not be fetched; the message says why in words (``status``: HTTP status)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class FileGone(DownloadError):
    """The file host says the file is not there (any more)."""


class PreviewTooLarge(DownloadError):
    """The file is bigger than the preview cap; it was not pulled into memory."""
