"""Pure ASGI middlewares: the request body cap and the error barrier.

Body cap: 413 Content Too Large (RFC 9110 §15.5.14).

A declared ``Content-Length`` over the cap is refused before any byte of the body is read. A chunked body is
counted while the app reads it; crossing the cap raises an ``HTTPException(413)`` inside the app, which the
error handlers render in the path's format (FastAPI re-raises HTTP exceptions from body parsing unchanged).

Error barrier: an unexpected exception becomes a 500 in the path's format and is logged once, with its
traceback. Starlette's own last-resort handler re-raises after answering, which makes uvicorn drop the
keep-alive connection, so the client's next pooled request fails with a connection reset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

__all__ = ["BodyLimitMiddleware", "ErrorBarrierMiddleware", "declared_length_problem", "capped_receive", "too_large"]

log = logging.getLogger("pnc.api")


def declared_length_problem(scope: Scope, max_bytes: int) -> tuple[int, str] | None:
    """(status, message) refusing a request whose declared ``Content-Length`` is invalid or over the cap, else
    None (a chunked body declares no length: ``capped_receive`` counts it)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = -1
            if declared < 0:
                return 400, "invalid Content-Length"
            if declared > max_bytes:
                return 413, too_large(max_bytes)
    return None


def too_large(max_bytes: int) -> str:
    return f"request body larger than {max_bytes} bytes"


def capped_receive(receive: Receive, max_bytes: int, refuse: Callable[[], Exception]) -> Receive:
    """``receive``, counting the body and raising ``refuse()`` once it passes the cap."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise refuse()
        return message

    return capped


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refuse(self) -> Exception:
        return HTTPException(413, too_large(self.max_bytes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = declared_length_problem(scope, self.max_bytes)
        if problem is not None:
            await error_response(scope["path"], *problem)(scope, receive, send)
            return
        await self.app(scope, capped_receive(receive, self.max_bytes, self._refuse), send)


class ErrorBarrierMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half-sent response: only closing the connection can tell the client
            await error_response(scope["path"], 500, "internal error")(scope, receive, send)
