"""Which process answered: with `docqa serve --workers N`, each response names its worker process
(`X-Docqa-Worker: <pid>`), so that a client or a test can tell the workers apart."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from app.guard import Receive, Scope, Send

HEADER = b"x-docqa-worker"


class WorkerHeader:
    """ASGI middleware adding the `X-Docqa-Worker` header to every HTTP response."""

    def __init__(self, app: Any):
        self.app = app
        self.pid = str(os.getpid()).encode()  # read per app: the app is made in the worker process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_named(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, self.pid)]
            await send(message)

        await self.app(scope, receive, send_named)
