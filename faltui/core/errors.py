"""Typed errors raised by the core.

Every error carries a human message suitable for showing to a user as-is (text that came
from the server stays literal: callers must not interpret it as markup).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FaltuiError(Exception):
    """Base class of every error the core raises on purpose."""


class ConfigError(FaltuiError):
    """The configuration (file, environment, key) is missing or malformed."""


class MissingKeyError(ConfigError):
    """No fal API key could be found."""

    def __init__(self) -> None:
        super().__init__(
            "No fal API key found. Set FAL_KEY (or FAL_KEY_ID and FAL_KEY_SECRET), put "
            'key = "…" in the config file (see `faltui locate`), or use --demo to run '
            "against the local emulator."
        )


class EndpointIdError(FaltuiError, ValueError):
    """An endpoint id is malformed."""


@dataclass
class FieldError:
    """One validation problem, located by a path of field names / list indexes."""

    path: tuple[str | int, ...]
    message: str
    kind: str = ""

    @property
    def dotted(self) -> str:
        """The path as ``a.b[0].c`` (or ``(input)`` for the whole input)."""
        out = ""
        for part in self.path:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += ("." if out else "") + part
        return out or "(input)"

    def __str__(self) -> str:
        return f"{self.dotted}: {self.message}"


class ValidationFailed(FaltuiError):
    """Local validation of an input found one or more problems (nothing was sent)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass
class ApiError(FaltuiError):
    """An HTTP error answer from fal (or a transport failure, with ``status`` 0)."""

    message: str
    status: int = 0
    error_type: str | None = None
    body: Any = None
    request_id: str | None = None
    retryable: bool | None = None
    field_errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        head = f"HTTP {self.status}" if self.status else "network error"
        if self.error_type:
            head += f" ({self.error_type})"
        if self.field_errors:
            lines = "\n".join(f"  {e}" for e in self.field_errors)
            return f"{head}: {self.message}\n{lines}"
        return f"{head}: {self.message}"


class UnauthorizedError(ApiError):
    """401: the key is missing, malformed or revoked."""


class LockedError(ApiError):
    """403 (or 402): the account is locked, e.g. its balance is exhausted."""


class NotFoundError(ApiError):
    """404: unknown application, request id, or an expired result."""


class ApiValidationError(ApiError):
    """422: fal (or the model) rejected the input; ``field_errors`` names the fields."""


class RateLimitedError(ApiError):
    """429: too many requests."""


class AppError(ApiError):
    """Any other error answer: the model or fal's platform failed (``error_type`` says how)."""


@dataclass
class TransportError(ApiError):
    """The request could not be completed: connect failure, timeout, dropped connection.

    ``maybe_sent`` is true when the request may have reached the server (read timeout,
    connection dropped after sending): a submit in that state must never be retried blindly.
    """

    maybe_sent: bool = False


@dataclass
class OutcomeUnknownError(TransportError):
    """A submit or sync run may have reached fal, but no answer says what became of it.

    Raised after a read timeout, a dropped answer, a 504 or a 5xx fal may have produced after
    accepting the request (fal-protocol §7.4). It is never resent: resending could run, and
    bill, the request twice. The request history (§9.4) can tell what happened.
    ``status`` is the HTTP status (0 when no answer came at all).
    """

    maybe_sent: bool = True
    #: What happened, without the "may have been accepted" explanation (for job messages).
    detail: str = ""


class AlreadyCompletedError(ApiError):
    """Cancel of a request that had already finished (fal answers 400 ALREADY_COMPLETED)."""
