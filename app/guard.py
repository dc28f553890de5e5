"""Admission of an HTTP request, before its body is read: whose it is (Host and Origin), the API key, and the
body's size.

Without `DOCQA_API_KEY` any web page the user visits could post to the loopback server (a cross-site form, or a
DNS-rebound name): so, as Jupyter and Streamlit do, a request whose `Origin` is not the server's own is refused,
and a server bound to loopback answers only to a loopback `Host`. With a key, the key is checked first and a
body is never read for a request without it. A body over its limit gets 413 without being read.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from app.errors import error_response
from docqa.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PUBLIC = {"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}  # no key needed
DOCS_ASSETS = "/static-offline-docs/"  # the docs pages' scripts and styles (`fastapi_offline`): no key needed
UPLOAD = ("POST", "/documents")
MULTIPART_SLACK = 64 * 1024  # the multipart headers around an uploaded file


class Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


class Guard:
    """ASGI middleware: refuses with the error contract's JSON what should not reach the application."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], settings: Settings, host: str | None):
        self.app = app
        self.key = settings.api_key.get_secret_value().encode() if settings.api_key else None
        self.loopback_only = host in LOOPBACK  # None (in-process tests): no Host check
        self.max_file_mb = settings.max_file_mb
        self.max_request_kb = settings.max_request_kb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {name.decode("latin-1"): value for name, value in scope["headers"]}
        try:
            self.check_caller(scope["path"], headers)
            receive = await self.bounded_body(scope, headers, receive)
        except Refused as refused:
            response = error_response(scope["path"], refused.message, refused.status)
            return await response(scope, receive, send)
        await self.app(scope, receive, send)

    def check_caller(self, path: str, headers: dict[str, bytes]) -> None:
        if self.key is not None:
            public = path in PUBLIC or path.startswith(DOCS_ASSETS)
            if not public and not self.authorised(headers.get("authorization", b"")):
                raise Refused(401, "missing or wrong API key (Authorization: Bearer ...)")
            return
        host = headers.get("host", b"").decode("latin-1")
        if self.loopback_only and _split(f"//{host}", "Host").hostname not in LOOPBACK:
            raise Refused(403, f"Host {host!r} is not this server's: only a loopback address is answered")
        origin = headers.get("origin")
        if origin is not None and _split(origin.decode("latin-1"), "Origin").netloc.lower() != host.lower():
            raise Refused(
                403,
                f"cross-site request refused (Origin {origin.decode('latin-1')!r} is not {host!r}); set "
                "DOCQA_API_KEY to call the API from another site",
            )

    def authorised(self, header: bytes) -> bool:
        scheme, _, token = header.partition(b" ")
        return scheme.lower() == b"bearer" and secrets.compare_digest(token.strip(), self.key or b"")

    async def bounded_body(self, scope: Scope, headers: dict[str, bytes], receive: Receive) -> Receive:
        """`receive` itself when the declared `Content-Length` is within the limit (the server holds the client
        to it); a chunked body is read up to the limit, then replayed."""
        if (scope["method"], scope["path"]) == UPLOAD:
            limit = int(self.max_file_mb * 2**20) + MULTIPART_SLACK
            too_large = Refused(413, f"file too large (more than {self.max_file_mb:g} MB, DOCQA_MAX_FILE_MB)")
        else:
            limit = self.max_request_kb * 1024
            too_large = Refused(
                413, f"request body too large (more than {self.max_request_kb} KB, DOCQA_MAX_REQUEST_KB)"
            )
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise Refused(400, "invalid Content-Length")
            if int(length) > limit:
                raise too_large
            return receive
        if b"chunked" not in headers.get("transfer-encoding", b"").lower():
            return receive
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return receive
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                raise too_large
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()  # what follows the body: the client's disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


def _split(url: str, header: str) -> SplitResult:
    """`url` split, or 400 naming the `header` it came from when it is not a URL ("[bad")."""
    try:
        return urlsplit(url)
    except ValueError as error:  # a malformed IPv6 address
        raise Refused(400, f"malformed {header} header {url.removeprefix('//')!r}: {error}") from None
