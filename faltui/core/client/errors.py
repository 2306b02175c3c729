"""Turn fal's HTTP error answers into typed ``faltui.core.errors`` exceptions (fal-protocol §6).

fal uses several error bodies: ``{"detail": "text"}``, ``{"detail": [{loc, msg, type}, …]}``
(FastAPI/pydantic validation), ``{"detail": …, "error_type": "…"}`` (platform errors, with the
``X-Fal-Error-Type`` header as fallback), ``{"status": "ALREADY_COMPLETED"}`` (cancel) and the
Platform API envelope ``{"error": {"type", "message"}}``. Every message stays the server's own
text (callers show it literally), prefixed with what it means for the user.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from faltui.core.errors import (
    AlreadyCompletedError,
    ApiError,
    ApiValidationError,
    AppError,
    FieldError,
    LockedError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
)

#: Longest stretch of a non-JSON error body kept in a message.
MAX_TEXT = 300
_TAG = re.compile(r"<[^>]*>")


def parse_body(response: httpx.Response) -> Any:
    """The body as JSON when it is JSON, else its text (possibly empty)."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return None
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def field_errors_from_detail(detail: Any) -> list[FieldError]:
    """``detail`` items ``{loc, msg, type}`` as ``FieldError`` (path without a leading "body")."""
    if not isinstance(detail, list):
        return []
    errors: list[FieldError] = []
    for item in detail:
        if not isinstance(item, dict):
            errors.append(FieldError((), str(item)))
            continue
        loc = item.get("loc")
        path: tuple[str | int, ...] = ()
        if isinstance(loc, list | tuple):
            parts = list(loc)
            if parts and parts[0] == "body":
                parts = parts[1:]
            path = tuple(p if isinstance(p, int) else str(p) for p in parts)
        message = item.get("msg") or item.get("message") or json.dumps(item)
        errors.append(FieldError(path, str(message), str(item.get("type") or "")))
    return errors


def detail_text(body: Any) -> str:
    """A readable one-paragraph message from any error body shape."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list) and detail:
            return "; ".join(str(e) for e in field_errors_from_detail(detail))
        if isinstance(detail, dict):
            return str(detail.get("msg") or detail.get("message") or json.dumps(detail))
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str) and error:
            return error
        if isinstance(body.get("message"), str) and body["message"]:
            return str(body["message"])
        if isinstance(body.get("status"), str):
            return str(body["status"])
        return json.dumps(body)[:MAX_TEXT] if body else ""
    if isinstance(body, str):
        text = " ".join(_TAG.sub(" ", body).split())
        return text[:MAX_TEXT] + ("…" if len(text) > MAX_TEXT else "")
    if body is None:
        return ""
    return str(body)[:MAX_TEXT]


def body_error_type(body: Any, headers: httpx.Headers | None) -> str | None:
    """``error_type`` from the body (or the Platform envelope), else ``X-Fal-Error-Type``."""
    if isinstance(body, dict):
        if isinstance(body.get("error_type"), str) and body["error_type"]:
            return str(body["error_type"])
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            return str(error["type"])
    if headers is not None:
        value = headers.get("x-fal-error-type")
        if value:
            return str(value)
    return None


def _retryable(headers: httpx.Headers) -> bool | None:
    value = headers.get("x-fal-retryable")
    if value is None:
        return None
    return value.strip().lower() in {"1", "true", "yes"}


def _is_already_completed(body: Any, text: str) -> bool:
    if isinstance(body, dict) and body.get("status") == "ALREADY_COMPLETED":
        return True
    return "already completed" in text.lower()


def error_from_response(response: httpx.Response, *, action: str = "") -> ApiError:
    """The typed error for a non-2xx answer (the body must have been read).

    ``action`` (e.g. "submit", "result") only flavours the message.
    """
    status = response.status_code
    headers = response.headers
    body = parse_body(response)
    text = detail_text(body)
    error_type = body_error_type(body, headers)
    request_id = headers.get("x-fal-request-id") or None
    if request_id is None and isinstance(body, dict) and isinstance(body.get("request_id"), str):
        request_id = body["request_id"]
    retryable = _retryable(headers)
    reason = f" ({response.reason_phrase})" if response.reason_phrase else ""
    what = f"{action} failed" if action else "request failed"

    def msg(prefix: str) -> str:
        base = f"{prefix}: {text}" if text else prefix
        return f"{base} (request id {request_id})" if request_id else base

    kwargs: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "body": body,
        "request_id": request_id,
        "retryable": retryable,
    }
    if status == 401:
        return UnauthorizedError(
            msg("the API key was rejected (check FAL_KEY or `faltui locate`)"), **kwargs
        )
    if status in (402, 403):
        return LockedError(msg("access denied — account locked or out of balance"), **kwargs)
    if status == 404:
        return NotFoundError(msg(f"{what}: not found"), **kwargs)
    if status == 400 and _is_already_completed(body, text):
        return AlreadyCompletedError(msg("the request had already completed"), **kwargs)
    if status == 422:
        detail = body.get("detail") if isinstance(body, dict) else None
        fields = field_errors_from_detail(detail)
        if fields:
            prefix = "the input was rejected"
            if any(f.kind == "content_policy_violation" for f in fields):
                prefix = "the input was rejected (content policy)"
            message = f"{prefix} (request id {request_id})" if request_id else prefix
            if error_type is None and any(f.kind == "content_policy_violation" for f in fields):
                kwargs["error_type"] = "content_policy_violation"
            return ApiValidationError(message, field_errors=fields, **kwargs)
        return ApiValidationError(msg("the input was rejected"), **kwargs)
    if status == 429:
        return RateLimitedError(msg("rate limited — too many requests"), **kwargs)
    if status == 504 and headers.get("x-fal-request-timeout-type", "").lower() == "user":
        kwargs["error_type"] = error_type or "request_timeout"
        kwargs["retryable"] = False
        return AppError(msg("the request hit its own timeout"), **kwargs)
    if error_type:
        return AppError(msg(f"{what}{reason}"), **kwargs)
    return ApiError(msg(f"{what}{reason}"), **kwargs)


def is_ingress_error(response: httpx.Response) -> bool:
    """A 502/503/504 page from the ingress (nginx) rather than from fal (fal-protocol §4.9).

    Needs both signs (PY's rule): no ``x-fal-request-id`` header *and* a body that is not JSON
    and names nginx. A JSON body or a request id means fal's own servers answered: the request
    may have been taken. (Whether it may be *resent* is the caller's business: never after a
    504, see ``FalClient``.)
    """
    if response.status_code not in (502, 503, 504):
        return False
    if response.headers.get("x-fal-request-timeout-type"):
        return False
    if "x-fal-request-id" in response.headers:
        return False
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return False
    try:
        json.loads(text)
    except ValueError:
        return "nginx" in text.lower()
    return False


def retryable_flag(response: httpx.Response) -> bool | None:
    """``X-Fal-Retryable`` as a boolean (None when absent)."""
    return _retryable(response.headers)
