"""The emulator behind ``faltui --demo``: persistent, on the same ports as last time.

Jobs and files live in the demo data folder (``Emulator(data_dir=...)``), and the emulator
listens on the ports it had before (``emulator.json``) so the URLs faltui's journal stored in
an earlier session — status URLs, result files — still answer. When those ports are taken
(another demo running) it takes free ones.

``start_demo`` returns a serving emulator. ``BackgroundDemo`` is what the TUI uses: it binds
the ports at once (so the URLs are known) and starts the web server in a thread while the
first frame is drawn; a request sent before the server is up waits in the port's listen
queue and is answered once it is.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from faltui.emulator.sockets import EmulatorStartError, bind_socket, origin, service_urls

if TYPE_CHECKING:
    from faltui.emulator.server import Emulator

PORTS_FILE = "emulator.json"
HOST = "127.0.0.1"
#: Connections the kernel holds for the server before it accepts them (uvicorn's default).
BACKLOG = 2048
#: Seconds the server waits for its ``gate`` at most before it starts anyway.
GATE_TIMEOUT = 5.0


def _saved_ports(folder: Path) -> tuple[int, int]:
    try:
        saved = json.loads((folder / PORTS_FILE).read_text(encoding="utf-8"))
        return int(saved["port"]), int(saved["run_port"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0, 0


def _save_ports(folder: Path, port: int, run_port: int) -> None:
    with contextlib.suppress(OSError):
        (folder / PORTS_FILE).write_text(
            json.dumps({"port": port, "run_port": run_port}), encoding="utf-8"
        )


def start_demo(folder: Path, *, time_scale: float = 1.0) -> Emulator:
    """A started demo emulator keeping its state in ``folder``."""
    from faltui.emulator.server import Emulator

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    port, run_port = _saved_ports(folder)
    emulator = Emulator(port=port, run_port=run_port, time_scale=time_scale, data_dir=folder)
    try:
        emulator.start()
    except EmulatorStartError:
        if not (port or run_port):
            raise
        emulator = Emulator(time_scale=time_scale, data_dir=folder)
        emulator.start()
    _save_ports(folder, emulator.port, emulator.run_port)
    return emulator


def _bind_pair(port: int, run_port: int) -> tuple[socket.socket, socket.socket]:
    main = bind_socket(HOST, port)
    try:
        run = bind_socket(HOST, run_port)
    except EmulatorStartError:
        main.close()
        raise
    return main, run


class BackgroundDemo:
    """The demo emulator, serving from a thread started by ``start``.

    ``start`` binds both ports (last session's, or free ones when those are taken) and puts
    them in listening state before it returns, so ``urls`` are final and a client may send at
    once: the kernel queues its connection until the server, started in the thread, accepts
    it. ``gate``, when given, holds the server's start until it is set, ``GATE_TIMEOUT`` at
    most (the TUI sets it once its first frame is drawn, so that importing and starting the
    web server does not compete with drawing it).
    """

    def __init__(
        self, folder: Path, *, time_scale: float = 1.0, gate: threading.Event | None = None
    ) -> None:
        self.folder = Path(folder)
        self.time_scale = time_scale
        self.gate = gate
        #: Set once the server serves, or once it failed to (then ``error`` says why).
        self.ready = threading.Event()
        self.error: str | None = None
        self.emulator: Emulator | None = None
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        #: The bound ports (main, run), kept: a server that fails closes its sockets.
        self._ports: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def urls(self) -> dict[str, str]:
        """Base URLs for ``Settings.urls`` (known once ``start`` returned)."""
        if self._ports is None:
            raise RuntimeError("the demo emulator is not started")
        main, run = self._ports
        return service_urls(origin("http", HOST, main), origin("http", HOST, run))

    def start(self) -> BackgroundDemo:
        """Bind and listen on the ports now; serve from a thread (``EmulatorStartError`` when no
        port can be bound)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        port, run_port = _saved_ports(self.folder)
        try:
            sockets = _bind_pair(port, run_port)
        except EmulatorStartError:
            if not (port or run_port):
                raise
            sockets = _bind_pair(0, 0)
        for sock in sockets:
            sock.listen(BACKLOG)
        self._sockets = sockets
        self._ports = (sockets[0].getsockname()[1], sockets[1].getsockname()[1])
        _save_ports(self.folder, *self._ports)
        self._thread = threading.Thread(target=self._serve, name="faltui-demo-start", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sockets is not None
        try:
            if self.gate is not None:
                deadline = time.monotonic() + GATE_TIMEOUT
                while not self.gate.wait(0.05) and time.monotonic() < deadline:
                    if self._stopping.is_set():  # the session ended first: nothing to serve
                        return
            from faltui.emulator.server import Emulator

            emulator = Emulator(HOST, time_scale=self.time_scale, data_dir=self.folder)
            emulator.start(sockets=self._sockets)
            self.emulator = emulator
        except Exception as exc:  # a client must not wait for a server that never comes
            self.error = str(exc) or type(exc).__name__
            for sock in self._sockets:
                sock.close()
        finally:
            self.ready.set()

    def stop(self) -> None:
        """Stop serving (waits for a start under way to finish first)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        elif self._sockets is not None:
            for sock in self._sockets:
                sock.close()
