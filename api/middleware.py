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

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

__all__ = ["BodyLimitMiddleware", "ErrorBarrierMiddleware"]

log = logging.getLogger("pnc.api")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    response = error_response(scope["path"], 400, "invalid Content-Length")
                    await response(scope, receive, send)
                    return
                if declared > self.max_bytes:
                    response = error_response(scope["path"], 413, self._message())
                    await response(scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)


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
