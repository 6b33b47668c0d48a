"""Serve an ASGI app with real uvicorn on 127.0.0.1 from a background thread."""

import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn


class BackgroundServer:
    """Run an ASGI app under uvicorn in its own thread and event loop, on a free port."""

    def __init__(self, app: Any, *, name: str = "asgi-server") -> None:
        self.app = app
        self.name = name
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """The server's root URL, such as ``http://127.0.0.1:41234``."""
        if self.port is None:
            raise RuntimeError(f"{self.name} is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def thread(self) -> threading.Thread | None:
        """The thread serving requests while running."""
        return self._thread

    def start(self, timeout: float = 10.0) -> None:
        """Bind a free port and return once uvicorn accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        # proto must say TCP: asyncio only sets TCP_NODELAY on sockets that do, and without it
        # every answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # As uvicorn does: lets the port be bound again while closed connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            http="h11",
            lifespan="on",
            log_config=None,  # leave the test run's logging alone
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        # uvicorn installs signal handlers only in the main thread, so none are installed here.
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.002)

    def stop(self, timeout: float = 5.0) -> None:
        """Shut uvicorn down, join its thread and free the port."""
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError(f"{self.name} thread did not stop")
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.port = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
