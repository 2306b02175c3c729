"""``Emulator``: the fal emulator running under uvicorn in a daemon thread.

It listens on two ports: the main one serves the queue, REST (storage, tokens), CDN, platform
and OpenAPI hosts by path; the second (``run_port``) is the sync-run host (``fal.run``), where
``POST /{endpoint id}`` runs the model at once. So a client configured the documented way
(``FAL_QUEUE_RUN_HOST=host:port``, ``FAL_RUN_HOST=host:run_port``) reaches both.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from faltui.core.config import Paths, Settings
from faltui.emulator.app import build_app
from faltui.emulator.catalog import EmulatorCatalog
from faltui.emulator.chaos import Chaos
from faltui.emulator.common import ADMIN_KEY, DEMO_KEY, LOCKED_KEY
from faltui.emulator.files import FileStore, StoredFile
from faltui.emulator.outputs import OutputBuilder
from faltui.emulator.persist import JobJournal
from faltui.emulator.sockets import EmulatorStartError as EmulatorStartError
from faltui.emulator.sockets import bind_socket, origin, service_urls
from faltui.emulator.state import EmulatedJob, JobStore
from faltui.emulator.streams import ChangeFeed
from faltui.emulator.tokens import TokenStore

START_TIMEOUT = 10.0
#: Seconds an idle keep-alive connection stays open (nginx's default).
KEEP_ALIVE_SECONDS = 75


class _QuietForcedShutdown(logging.Filter):
    """Drops uvicorn's report of the lifespan task being cancelled by a forced shutdown (open
    streams or keep-alive connections when the emulator stops): expected, not an error. It
    comes either as a record with the exception or as Starlette's traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        text = record.getMessage()
        if isinstance(exc, asyncio.CancelledError) and "lifespan" in text:
            return False
        return not (
            text.startswith("Traceback")
            and "lifespan" in text
            and text.rstrip().endswith("CancelledError")
        )


logging.getLogger("uvicorn.error").addFilter(_QuietForcedShutdown())


def _check_certificate(certfile: str, keyfile: str | None) -> None:
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise EmulatorStartError(f"cannot use certificate {certfile}: {reason}") from None


class Emulator:
    """A local fal: queue, sync run, storage, platform catalog and OpenAPI.

    ``time_scale`` shrinks every timeline (tests use ~0.02: jobs finish in ~0.1–0.3 s);
    ``clock`` replaces ``time.time`` for timelines. Pass a certificate and key to serve HTTPS.
    ``run_port`` is the sync-run port (``0``: any free port). With ``data_dir`` the jobs and
    files are kept there and taken back at the next start (``persist.py``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        run_port: int = 0,
        time_scale: float = 1.0,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
        clock: Callable[[], float] | None = None,
        data_dir: str | Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.run_port = run_port
        self.ssl_certfile = str(ssl_certfile) if ssl_certfile else None
        self.ssl_keyfile = str(ssl_keyfile) if ssl_keyfile else None
        self.counters: Counter[str] = Counter()
        self.chaos = Chaos()
        self.store = JobStore(clock or time.time, time_scale)
        self.store.random_outcome = self.chaos.job_outcome
        self.catalog = EmulatorCatalog()
        #: Folder keeping jobs and files across restarts (``None``: memory only).
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else None
        self.files = FileStore(self.data_dir / "files" if self.data_dir else None)
        self.journal = JobJournal(self.data_dir) if self.data_dir else None
        #: Jobs taken back from ``data_dir`` at start.
        self.restored_jobs = 0
        self.outputs = OutputBuilder(self.catalog, self.files)
        #: Keys accepted by ``Authorization: Key …``.
        self.keys: set[str] = {DEMO_KEY, ADMIN_KEY}
        #: Keys with Admin scope (``GET /v1/models/usage``); also in ``keys``.
        self.admin_keys: set[str] = {ADMIN_KEY}
        #: Keys answered with 403 "User is locked".
        self.locked_keys: set[str] = {LOCKED_KEY}
        #: How usage's ``auth_method`` names each key (never the key itself).
        self.key_labels: dict[str, str] = {DEMO_KEY: "Demo key", ADMIN_KEY: "Admin key"}
        #: Keep only the last N log lines in status responses (a sliding window); None = all.
        self.log_window: int | None = None
        #: Seconds between SSE keep-alive comments.
        self.sse_keepalive: float = max(0.05, 15.0 * time_scale)
        #: Results older than this (clock seconds after completion) answer 404; None = never.
        self.result_ttl: float | None = None
        #: Origin put in returned URLs instead of the request's own (``--public-url``).
        self.public_url: str | None = None
        #: The same for requests on the sync-run port (``--public-run-url``).
        self.public_run_url: str | None = None
        #: Endpoint ids (or ``"*"``) whose status/result/cancel live only at the full-id URLs
        #: submit returns; their ``owner/app`` URLs answer 404 (like fal-js issue #214).
        self.returned_urls_only: set[str] = set()
        #: Webhook deliveries: {url, body, status_code | error}.
        self.webhooks: list[dict[str, Any]] = []
        self.cdn_tokens: set[str] = set()
        self.temporary_tokens = TokenStore()
        #: Called by ``reset`` (route modules register their own state here).
        self.reset_hooks: list[Callable[[], None]] = []
        #: The running app's stream feed (set when serving; woken on stop).
        self.stream_feed: ChangeFeed | None = None
        self._defaults = self._knobs()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    # --- introspection -----------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        """Multiplier of every timeline (applies to jobs submitted after a change)."""
        return self.store.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self.store.time_scale = value

    @property
    def jobs(self) -> dict[str, EmulatedJob]:
        """Every request seen, by request id."""
        return self.store.jobs

    @property
    def uploads(self) -> dict[str, StoredFile]:
        """Uploaded files by path (``b/<hex>/<name>``)."""
        return self.files.uploads

    @property
    def closing(self) -> bool:
        """True while stopping (open streams end)."""
        return self._closing

    @property
    def running(self) -> bool:
        """True while serving."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def scheme(self) -> str:
        """``https`` with a certificate, else ``http``."""
        return "https" if self.ssl_certfile else "http"

    def _origin(self, port: int) -> str:
        return origin(self.scheme, self.host, port)

    @property
    def base_url(self) -> str:
        """``http(s)://host:port`` of the queue/REST/CDN/platform port (loopback when bound to
        all interfaces)."""
        return self._origin(self.port)

    @property
    def run_url(self) -> str:
        """``http(s)://host:run_port``: the sync-run host (fal.run)."""
        return self._origin(self.run_port)

    @property
    def urls(self) -> dict[str, str]:
        """Base URLs for ``Settings.urls``."""
        return service_urls(self.base_url, self.run_url)

    def settings(self, home: Path, key: str | None = DEMO_KEY) -> Settings:
        """Settings pointing at this emulator with every faltui path under ``home``."""
        home = Path(home)
        paths = Paths(home / "config", home / "cache", home / "data", home / "downloads")
        return Settings(
            key=key,
            key_source="emulator" if key else "",
            urls=self.urls,
            paths=paths,
            poll_interval=max(0.01, 0.5 * self.time_scale),
            demo=True,
        )

    # --- scripting ---------------------------------------------------------------------------

    def script_next_jobs(self, outcome: str, count: int = 1) -> None:
        """Make the next ``count`` jobs end ``ok | app_error | validation | timeout | slow``.

        ``fast`` (starts ``IN_PROGRESS`` at submit) is accepted too.
        """
        self.store.script(outcome, count)

    def _knobs(self) -> dict[str, Any]:
        return {
            "time_scale": self.time_scale,
            "keys": set(self.keys),
            "admin_keys": set(self.admin_keys),
            "locked_keys": set(self.locked_keys),
            "log_window": self.log_window,
            "sse_keepalive": self.sse_keepalive,
            "result_ttl": self.result_ttl,
            "returned_urls_only": set(self.returned_urls_only),
            "key_labels": dict(self.key_labels),
            "public_url": self.public_url,
            "public_run_url": self.public_run_url,
        }

    def reset(self) -> None:
        """Back to a fresh emulator: no jobs, files, uploads, tokens, webhooks, counters or
        chaos; every test knob (time scale, keys, log window, ...) as constructed; the catalog
        as it was when serving started (``--schemas`` stay, endpoints added later go). The
        listening ports stay."""
        self.store.reset()
        self.catalog.restore()
        self.files.clear()
        self.counters.clear()
        self.chaos.reset()
        if self.journal is not None:
            self.journal.clear()
        self.webhooks.clear()
        self.cdn_tokens.clear()
        self.temporary_tokens.clear()
        for hook in list(self.reset_hooks):
            hook()
        for name, value in self._defaults.items():
            setattr(self, name, type(value)(value) if isinstance(value, (set, dict)) else value)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, sockets: tuple[socket.socket, socket.socket] | None = None) -> Emulator:
        """Start serving in a daemon thread; returns once both sockets are listening.

        ``sockets`` are the main and sync-run sockets, already bound (``bind_socket``), to
        serve on instead of binding ``port`` and ``run_port`` here. Raises
        ``EmulatorStartError`` (a one-line reason) when a port is out of range or in use, or
        the certificate cannot be used.
        """
        if self._server is not None:
            return self
        self.catalog.keep_as_baseline()  # what it serves from the start (--schemas): kept
        if self.port and self.port == self.run_port:
            raise EmulatorStartError(f"the run port must differ from the port ({self.port})")
        if self.ssl_certfile:
            _check_certificate(self.ssl_certfile, self.ssl_keyfile)
        if self.journal is not None and self.journal.append not in self.store.listeners:
            try:
                self.restored_jobs = self.journal.load(self.store)
            except OSError as exc:
                where = self.data_dir
                raise EmulatorStartError(f"cannot use {where}: {exc.strerror or exc}") from None
            self.store.listeners.append(self.journal.append)
        if sockets is not None:
            main, run = sockets
        else:
            main = bind_socket(self.host, self.port)
            try:
                run = bind_socket(self.host, self.run_port)
            except EmulatorStartError:
                main.close()
                raise
        self.port, self.run_port = main.getsockname()[1], run.getsockname()[1]
        self._closing = False
        config = uvicorn.Config(
            build_app(self),
            host=self.host,
            port=self.port,
            log_level="warning",
            log_config=None,
            access_log=False,
            http="h11",
            ws="none",
            lifespan="on",
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
            timeout_graceful_shutdown=2,
            # uvicorn closes idle connections after 5 s; a client that reuses one at that moment
            # sends into a closing socket ("other side closed"), which fal's front end, keeping
            # idle connections far longer, does not provoke. Keep them like a web front end.
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [main, run]}, name="faltui-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                main.close()
                run.close()
                raise EmulatorStartError(f"emulator failed to start on {self.host}:{self.port}")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise EmulatorStartError("emulator did not start in time")
            time.sleep(0.005)
        self._server, self._thread = server, thread
        self._sockets = (main, run)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (open streams are closed)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._closing = True
        server.should_exit = True
        if self.stream_feed is not None:
            self.stream_feed.wake_all()
        if thread is not None:
            # Idle keep-alive (notably TLS) connections may never report closing: give them a
            # moment, then stop waiting for them.
            thread.join(timeout=0.3)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout=10)
        for sock in getattr(self, "_sockets", ()):
            sock.close()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(host: str = "127.0.0.1", port: int = 8765, *, time_scale: float = 1.0) -> None:
    """Run an emulator in the foreground, printing its base URL and key, until Ctrl-C."""
    from faltui.emulator.foreground import run_foreground

    run_foreground(Emulator(host, port, time_scale=time_scale))
