"""HTTP plumbing of the client: the shared ``AsyncClient``, back-off, submit headers."""

from __future__ import annotations

import email.utils
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from faltui.core.config import Settings

PRIORITIES = ("normal", "low")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently retryable calls are repeated."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, rng: Callable[[], float], retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        backoff = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        backoff = min(backoff * (0.5 + rng()), self.max_delay)
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.max_retry_after))
        return max(backoff, 0.0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(when.timestamp() - now, 0.0)


def make_http_client(
    settings: Settings,
    *,
    http2: bool = False,
    max_connections: int = 256,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The shared ``AsyncClient``: explicit timeouts, pool sized for hundreds of jobs.

    No default headers (auth is decided per request) and no automatic redirects (an API call
    never needs one; downloads opt in per request). ``http2`` (needs the ``h2`` package)
    multiplexes requests on one connection per host where the server offers HTTP/2; status
    streams get pools of their own (``faltui.core.client.pools``).
    """
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=max(settings.read_timeout, 30.0),
    )
    # Keep-alive expiry below the common 5 s server idle timeout: reusing a connection the server
    # is closing looks like a dropped answer, which a submit may not retry.
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=min(64, max_connections),
        keepalive_expiry=4.0,
    )
    return httpx.AsyncClient(
        timeout=timeout, limits=limits, follow_redirects=False, http2=http2, verify=verify
    )


def submit_headers(
    *,
    priority: str | None = None,
    runner_hint: str | None = None,
    start_timeout: float | None = None,
    lifecycle_seconds: int | None = None,
) -> dict[str, str]:
    """The optional submit headers of fal-protocol §4.8 (validated)."""
    headers: dict[str, str] = {}
    if priority is not None:
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
        headers["X-Fal-Queue-Priority"] = priority
    if runner_hint:
        headers["X-Fal-Runner-Hint"] = runner_hint
    if start_timeout is not None:
        if start_timeout <= 1:
            raise ValueError("start timeout must be more than 1 second")
        value = f"{start_timeout:g}"
        headers["X-Fal-Request-Timeout"] = value
        headers["X-Fal-Request-Start-Timeout"] = value
    if lifecycle_seconds is not None:
        if lifecycle_seconds <= 0:
            raise ValueError("lifecycle must be a positive number of seconds")
        headers["X-Fal-Object-Lifecycle-Preference"] = json.dumps(
            {"expiration_duration_seconds": int(lifecycle_seconds)}
        )
    return headers
