"""How `docqa serve` runs the HTTP API: uvicorn, in this process or in N worker processes sharing the port (its
`workers`: the parent binds the socket, restarts a worker that dies and stops them on SIGINT or SIGTERM), each
with its own engine over the same index folder (docqa/store/index.py says how they stay consistent). Every
response names the process that answered (`X-Docqa-Worker: <pid>`); a path with a trailing slash is served as the
path without it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import MutableMapping
from typing import Any

from app.guard import Receive, Scope, Send
from docqa.errors import DocqaError
from docqa.settings import get_settings

APP = "app.api:served_app"  # the factory each process imports
HEADER = b"x-docqa-worker"
# A server process runs one engine call per core at a time (app/api.py): BLAS threads on top of them only spin
# against each other (20 clients on /ask, one worker: 3.5 req/s with OpenBLAS's 2 threads, 15.7 with 1).
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def serve(host: str, port: int, workers: int) -> None:
    """Serve the API on `host`:`port` with `workers` processes."""
    import uvicorn

    check_port_free(host, port)
    # the workers, and the app of this process, read their settings from the environment
    os.environ.update(DOCQA_SERVE_HOST=host, DOCQA_SERVE_WORKERS=str(workers))
    for name in BLAS_THREADS:  # before numpy is imported; a value the user set is kept
        os.environ.setdefault(name, "1")
    get_settings.cache_clear()
    uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level="info")


def check_port_free(host: str, port: int) -> None:
    """Fail at once, before any engine loads, when `host`:`port` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DocqaError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


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


class TrailingSlash:
    """ASGI middleware serving `/ask/` as `/ask` (every path but `/`): FastAPI would answer it with an empty 307
    redirect, which clients posting a body do not all follow."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/" and scope["path"].endswith("/"):
            scope = {**scope, "path": scope["path"].rstrip("/") or "/"}
        await self.app(scope, receive, send)
