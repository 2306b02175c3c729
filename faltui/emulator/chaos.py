"""Fault injection: forced error responses, dropped connections, latency and random misbehaviour.

Route names are the keys of ``Emulator.counters`` (submit, status, result, cancel, ...).
Scripted faults (``fail_next``/``drop_next``) come first; then the random rates set with
``Chaos.configure`` (the text form ``faltui emulator --chaos`` takes, see ``parse_chaos``).
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

#: Scope key under which the server's per-request cycle object is stashed (for dropping).
CYCLE_KEY = "faltui.emulator.cycle"

NGINX_BODY = (
    "<html>\r\n<head><title>{code} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{code}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
DEFAULT_ERROR_TYPES = {
    429: "rate_limited",
    500: "internal_error",
    502: "runner_incomplete_response",
    503: "runner_scheduling_failure",
    504: "request_timeout",
}
#: Status codes ``rateNNN`` may name (fal JSON errors carrying ``x-fal-request-id``).
RATE_CODES = (408, 409, 429, 500, 502, 503, 504)
#: Status codes ``ingressNNN`` may name (nginx HTML page, no ``x-fal-request-id``).
INGRESS_CODES = (502, 503, 504)
#: Route names (the keys of ``Emulator.counters``) faults can target.
ROUTES = (
    "submit",
    "status",
    "status_stream",
    "result",
    "cancel",
    "run",
    "models",
    "pricing",
    "openapi",
    "requests",
    "usage",
    "tokens",
    "storage_token",
    "upload",
    "upload_initiate",
    "multipart_initiate",
    "multipart_part",
    "multipart_complete",
    "file",
)
_DURATION = re.compile(r"^(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)?$")


@dataclass
class ForcedFailure:
    """One scripted error response."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    with_request_id: bool = True
    #: Run the handler first (the request is accepted), then answer with this failure.
    after: bool = False

    def response(self) -> Response:
        """The Starlette response to send instead of the real one."""
        headers = dict(self.headers)
        if self.with_request_id:
            headers.setdefault("x-fal-request-id", str(uuid.uuid4()))
        body = self.body
        if body is None and not self.with_request_id and self.status in (502, 503, 504):
            return Response(NGINX_BODY.format(code=self.status), self.status, headers, "text/html")
        if body is None:
            error_type = DEFAULT_ERROR_TYPES.get(self.status, "bad_request")
            body = {"detail": f"Emulated failure {self.status}", "error_type": error_type}
            headers.setdefault("X-Fal-Error-Type", error_type)
        if isinstance(body, str | bytes):
            return Response(body, self.status, headers, "text/plain")
        return Response(json.dumps(body), self.status, headers, "application/json")


@dataclass(frozen=True)
class ChaosSettings:
    """Random misbehaviour, each rate a probability in [0, 1] per call (or per job)."""

    #: status → probability of a fal JSON error with ``x-fal-request-id``.
    rates: dict[int, float] = field(default_factory=dict)
    #: status → probability of an nginx ingress page without ``x-fal-request-id``.
    ingress: dict[int, float] = field(default_factory=dict)
    #: Probability that a call runs and then loses its answer (connection closed).
    drop: float = 0.0
    #: Seconds added before every answer.
    latency: float = 0.0
    #: Probability that a new job runs ten times longer.
    slow: float = 0.0
    #: Probability that a new job ends with a model crash (500 result).
    error: float = 0.0
    #: Routes the per-call rates apply to (``None``: every route).
    routes: frozenset[str] | None = None
    #: Seed of the random generator (``None``: unseeded).
    seed: int | None = None

    def describe(self) -> str:
        """The settings in ``parse_chaos`` syntax (``""`` when nothing is set)."""
        parts = [f"rate{code}={p:g}" for code, p in sorted(self.rates.items()) if p]
        parts += [f"ingress{code}={p:g}" for code, p in sorted(self.ingress.items()) if p]
        for name in ("drop", "slow", "error"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value:g}")
        if self.latency:
            parts.append(f"latency={self.latency * 1000:g}ms")
        if self.routes is not None:
            parts.append("routes=" + "+".join(sorted(self.routes)))
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ",".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (for ``/_emulator/chaos``)."""
        return {
            "text": self.describe(),
            "rates": {str(k): v for k, v in self.rates.items()},
            "ingress": {str(k): v for k, v in self.ingress.items()},
            "drop": self.drop,
            "latency_ms": round(self.latency * 1000, 3),
            "slow": self.slow,
            "error": self.error,
            "routes": sorted(self.routes) if self.routes is not None else None,
            "seed": self.seed,
        }


def _probability(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r}: expected a probability between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}={text!r}: expected a probability between 0 and 1")
    return value


def parse_duration(text: str) -> float:
    """Seconds of ``50ms``, ``0.2s`` or ``0.2`` (seconds); ``ValueError`` otherwise."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise ValueError(f"latency={text!r}: expected a duration like 50ms or 0.2s")
    value = float(match.group("value"))
    return value / 1000 if match.group("unit") == "ms" else value


def parse_chaos(text: str) -> ChaosSettings:
    """Settings from ``"rate429=0.1,rate503=0.05,drop=0.05,latency=50ms"``.

    Keys: ``rateNNN`` (NNN in 408 409 429 500 502 503 504), ``ingressNNN`` (502 503 504),
    ``drop``, ``slow``, ``error`` (probabilities), ``latency`` (``50ms``/``0.2s``),
    ``routes`` (``submit+status``), ``seed`` (integer). ``""`` and ``off`` mean no chaos.
    Raises ``ValueError`` with a one-line reason.
    """
    settings = ChaosSettings()
    text = text.strip()
    if text.lower() in ("", "off", "none"):
        return settings
    rates: dict[int, float] = {}
    ingress: dict[int, float] = {}
    values: dict[str, Any] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not value:
            raise ValueError(f"{item!r}: expected name=value")
        if name.startswith("rate") and name[4:].isdigit():
            code = int(name[4:])
            if code not in RATE_CODES:
                allowed = " ".join(str(c) for c in RATE_CODES)
                raise ValueError(f"{name}: status must be one of {allowed}")
            rates[code] = _probability(name, value)
        elif name.startswith("ingress") and name[7:].isdigit():
            code = int(name[7:])
            if code not in INGRESS_CODES:
                raise ValueError(f"{name}: status must be one of 502 503 504")
            ingress[code] = _probability(name, value)
        elif name in ("drop", "slow", "error"):
            values[name] = _probability(name, value)
        elif name == "latency":
            values["latency"] = parse_duration(value)
        elif name == "routes":
            routes = frozenset(r.strip() for r in value.split("+") if r.strip())
            if not routes:
                raise ValueError("routes: name at least one route (submit+status+...)")
            unknown = sorted(routes - set(ROUTES))
            if unknown:
                known = " ".join(ROUTES)
                raise ValueError(f"routes: unknown route {unknown[0]!r} (known: {known})")
            values["routes"] = routes
        elif name == "seed":
            try:
                values["seed"] = int(value)
            except ValueError:
                raise ValueError(f"seed={value!r}: expected an integer") from None
        else:
            raise ValueError(
                f"unknown chaos setting {name!r} (known: rateNNN, ingressNNN, drop, latency, "
                "slow, error, routes, seed)"
            )
    total = sum(rates.values()) + sum(ingress.values())
    if total > 1.0:
        raise ValueError(f"error rates add up to {total:g}, more than 1")
    return replace(settings, rates=rates, ingress=ingress, **values)


class Chaos:
    """Knobs that make the emulator misbehave: scripted faults and random rates."""

    def __init__(self) -> None:
        #: Seconds added before every response (scripted; random settings add theirs).
        self.latency: float = 0.0
        self.settings = ChaosSettings()
        self._random = random.Random()
        self._failures: dict[str, list[ForcedFailure]] = {}
        self._drops: dict[str, int] = {}
        self._lock = threading.Lock()

    def configure(self, settings: ChaosSettings) -> None:
        """Replace the random settings (scripted faults are kept)."""
        with self._lock:
            self.settings = settings
            self._random = random.Random(settings.seed)

    def fail_next(
        self,
        route: str,
        status: int,
        count: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        with_request_id: bool = True,
        after: bool = False,
    ) -> None:
        """Answer the next ``count`` calls of ``route`` with ``status`` (handler not run).

        Without ``body``: 502/503/504 without a request id get nginx's HTML page (an ingress
        error), everything else a fal JSON error ``{"detail", "error_type"}``. With ``after``
        the handler runs first (a submit is accepted, a job created) and its answer is
        replaced by the failure: a gateway timeout after fal took the request.
        """
        failure = ForcedFailure(status, body, dict(headers or {}), with_request_id, after)
        with self._lock:
            self._failures.setdefault(route, []).extend([failure] * count)

    def drop_next(self, route: str, count: int = 1) -> None:
        """Run the handler of the next ``count`` calls, then close without any response."""
        with self._lock:
            self._drops[route] = self._drops.get(route, 0) + count

    def delay(self) -> float:
        """Seconds to wait before answering the current call."""
        return self.latency + self.settings.latency

    def _applies(self, route: str) -> bool:
        routes = self.settings.routes
        return routes is None or route in routes

    def take_failure(self, route: str) -> ForcedFailure | None:
        """Pop the next scripted failure of ``route``, else draw a random one."""
        with self._lock:
            queue = self._failures.get(route)
            if queue:
                return queue.pop(0)
            settings = self.settings
            if not (settings.rates or settings.ingress) or not self._applies(route):
                return None
            draw = self._random.random()
        for code, probability in sorted(settings.rates.items()):
            if draw < probability:
                return ForcedFailure(code)
            draw -= probability
        for code, probability in sorted(settings.ingress.items()):
            if draw < probability:
                return ForcedFailure(code, with_request_id=False)
            draw -= probability
        return None

    def take_drop(self, route: str) -> bool:
        """Consume one scripted drop of ``route``, else draw against the drop rate."""
        with self._lock:
            left = self._drops.get(route, 0)
            if left > 0:
                self._drops[route] = left - 1
                return True
            if self.settings.drop and self._applies(route):
                return self._random.random() < self.settings.drop
            return False

    def job_outcome(self) -> str | None:
        """A random outcome for a new job (``slow``/``app_error``) or ``None``."""
        settings = self.settings
        if not (settings.slow or settings.error):
            return None
        with self._lock:
            draw = self._random.random()
        if draw < settings.error:
            return "app_error"
        if draw < settings.error + settings.slow:
            return "slow"
        return None

    def pending(self) -> dict[str, Any]:
        """Scripted faults not used yet: ``{"failures": {route: n}, "drops": {route: n}}``."""
        with self._lock:
            return {
                "failures": {r: len(q) for r, q in self._failures.items() if q},
                "drops": {r: n for r, n in self._drops.items() if n},
            }

    def reset(self) -> None:
        """Forget every scripted failure, drop, latency and random setting."""
        with self._lock:
            self._failures.clear()
            self._drops.clear()
            self.latency = 0.0
            self.settings = ChaosSettings()
            self._random = random.Random()


class DroppedResponse(Response):
    """Closes the client connection without sending a status line."""

    def __init__(self) -> None:
        super().__init__(b"", 500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cycle = scope.get(CYCLE_KEY)
        transport = getattr(cycle, "transport", None)
        if cycle is None or transport is None:  # not under uvicorn's h11 server: best effort
            raise ConnectionAbortedError("emulated dropped connection")
        cycle.disconnected = True
        transport.close()


class RequestContextMiddleware:
    """Outermost ASGI layer: remembers uvicorn's request cycle (so a handler can drop it) and
    marks requests that arrived on the sync-run port."""

    def __init__(self, app: Any, sync_port: Any) -> None:
        self.app = app
        #: Callable returning the sync-run port (known only once the sockets are bound).
        self.sync_port = sync_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[CYCLE_KEY] = getattr(send, "__self__", None)
            server = scope.get("server")
            port = self.sync_port()
            scope["faltui.emulator.sync"] = bool(port and server and server[1] == port)
        await self.app(scope, receive, send)
