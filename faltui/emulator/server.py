"""``Emulator``: the fal emulator running under uvicorn in a daemon thread."""

from __future__ import annotations

import signal
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
from faltui.emulator.common import DEMO_KEY, LOCKED_KEY
from faltui.emulator.files import FileStore, StoredFile
from faltui.emulator.outputs import OutputBuilder
from faltui.emulator.state import EmulatedJob, JobStore

START_TIMEOUT = 10.0
#: Attributes of a running ``Emulator`` that ``reset()`` keeps: where and how it serves.
_SERVING = frozenset(
    {"host", "port", "ssl_certfile", "ssl_keyfile", "_server", "_thread", "_closing"}
)


class Emulator:
    """A local fal: queue, sync run, storage, platform catalog and OpenAPI on one origin.

    ``time_scale`` shrinks every timeline (tests use ~0.02: jobs finish in ~0.1–0.3 s);
    ``clock`` replaces ``time.time`` for timelines. Pass a certificate and key to serve HTTPS.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        time_scale: float = 1.0,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.ssl_certfile = str(ssl_certfile) if ssl_certfile else None
        self.ssl_keyfile = str(ssl_keyfile) if ssl_keyfile else None
        self._state_args = (time_scale, clock)
        self.counters: Counter[str] = Counter()
        self.chaos = Chaos()
        self.store = JobStore(clock or time.time, time_scale)
        self.catalog = EmulatorCatalog()
        self.files = FileStore()
        self.outputs = OutputBuilder(self.catalog, self.files)
        #: Keys accepted by ``Authorization: Key …``.
        self.keys: set[str] = {DEMO_KEY}
        #: Keys answered with 403 "User is locked".
        self.locked_keys: set[str] = {LOCKED_KEY}
        #: Keep only the last N log lines in status responses (a sliding window); None = all.
        self.log_window: int | None = None
        #: Seconds between SSE keep-alive comments.
        self.sse_keepalive: float = max(0.05, 15.0 * time_scale)
        #: Results older than this (clock seconds after completion) answer 404; None = never.
        self.result_ttl: float | None = None
        #: Webhook deliveries: {url, body, status_code | error}.
        self.webhooks: list[dict[str, Any]] = []
        self.cdn_tokens: set[str] = set()
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
    def scheme(self) -> str:
        """``https`` with a certificate, else ``http``."""
        return "https" if self.ssl_certfile else "http"

    @property
    def base_url(self) -> str:
        """``http(s)://host:port`` (loopback address when bound to all interfaces)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        """Base URLs for ``Settings.urls``."""
        base = self.base_url
        return {
            "queue": base,
            "run": base + "/run",
            "rest": base,
            "cdn": base,
            "platform": base + "/v1",
            "openapi": base + "/api/openapi/queue/openapi.json",
        }

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

    def reset(self) -> None:
        """Back to the state of a new emulator, still serving on the same socket.

        Forgets every job, file, counter, webhook, scripted outcome and chaos knob, and undoes
        changed settings (time scale, ticks, keys, windows). Everything ``__init__`` sets that
        is not the socket or the server thread is rebuilt, so a new knob is reset without a
        change here. Requests still in flight finish against the state they started with.
        """
        time_scale, clock = self._state_args
        fresh = Emulator(time_scale=time_scale, clock=clock)
        for name, value in vars(fresh).items():
            if name not in _SERVING:
                setattr(self, name, value)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving in a daemon thread; returns once the socket is listening."""
        if self._server is not None:
            return self
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
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="faltui-emulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"emulator failed to start on {self.host}:{self.port}")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError("emulator did not start in time")
            time.sleep(0.005)
        for listener in server.servers:
            for sock in listener.sockets:
                self.port = sock.getsockname()[1]
                break
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (open streams are closed)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._closing = True
        server.should_exit = True
        if thread is not None:
            # Idle keep-alive (notably TLS) connections may never report closing: give them a
            # moment, then stop waiting for them.
            thread.join(timeout=0.3)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout=10)
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


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve_forever(host: str = "127.0.0.1", port: int = 8765, *, time_scale: float = 1.0) -> None:
    """Run an emulator in the foreground, printing its base URL and key, until Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    emulator = Emulator(host, port, time_scale=time_scale).start()
    print(f"faltui fal emulator listening on {emulator.base_url}", flush=True)
    print(f"  FAL_KEY={DEMO_KEY}", flush=True)
    for name, url in emulator.urls.items():
        print(f"  FALTUI_{name.upper()}_URL={url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while emulator._thread is not None and emulator._thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
