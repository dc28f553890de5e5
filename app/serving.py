"""How `docqa serve` runs the HTTP API: in this process, or in N worker processes on one port, each with its own
engine over the same index folder (docqa/store/index.py says how they stay consistent).

Each worker listens on a socket of its own, bound with SO_REUSEPORT, so that the system spreads connections
over the workers. (A listening socket shared by the workers, as uvicorn's `--workers` does, lets the worker
that wakes first accept a whole burst of connections: clients that keep their connection and open it together,
a connection pool, would all talk to one worker.) The parent keeps the port bound without listening (it gets
no connection; another program cannot take the port), restarts a worker that dies, and stops them all on
SIGINT or SIGTERM. Every response names the process that answered (`X-Docqa-Worker: <pid>`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import MutableMapping
from typing import Any

from app.guard import Receive, Scope, Send
from docqa.errors import ConfigError
from docqa.settings import get_settings

log = logging.getLogger("docqa.serve")
APP = "app.api:served_app"  # the factory each process imports
HEADER = b"x-docqa-worker"
STOP_SECONDS = 30  # a worker still running this long after SIGTERM is killed


def serve(host: str, port: int, workers: int) -> None:
    """Serve the API on `host`:`port` with `workers` processes."""
    import uvicorn

    # the workers, and the app of this process, read their settings from the environment
    os.environ.update(DOCQA_SERVE_HOST=host, DOCQA_SERVE_WORKERS=str(workers))
    get_settings.cache_clear()
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level="info")
        return
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    try:
        reserved = _bound(host, port)  # a port in use fails here, at once
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_work, args=(host, port)) for _ in range(workers)]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        for process in processes:
            process.start()
        log.info("docqa serve: %d workers on http://%s:%d (parent process %d)", workers, host, port, os.getpid())
        while not stop.wait(1):
            for i, process in enumerate(processes):
                if not process.is_alive():
                    log.warning("worker %s exited (code %s): starting another", process.pid, process.exitcode)
                    processes[i] = spawn.Process(target=_work, args=(host, port))
                    processes[i].start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn's graceful shutdown
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
        reserved.close()


def _work(host: str, port: int) -> None:
    """One worker process: uvicorn on its own socket."""
    import uvicorn

    listening = _bound(host, port)
    uvicorn.Server(uvicorn.Config(APP, factory=True, log_level="info")).run(sockets=[listening])


def _bound(host: str, port: int) -> socket.socket:
    family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    bound = socket.socket(family, kind)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    bound.bind(address)
    return bound


class WorkerHeader:
    """ASGI middleware adding `X-Docqa-Worker: <pid>` to every HTTP response."""

    def __init__(self, app: Any):
        self.app = app
        self.pid = str(os.getpid()).encode()  # the app is made in its worker process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_named(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, self.pid)]
            await send(message)

        await self.app(scope, receive, send_named)
