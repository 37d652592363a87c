"""The EST enrolment lane: ``POST`` enrolments, the API's hot path, go from the ASGI server straight to
``api.est.handle`` instead of through the framework's routing and middleware stack (measured: about a tenth of
the server's time per enrolment went to routing, request/response wrapping and the exception layers).

Everything a request meets on the framework path is kept, in the same form: the body cap (400 for a bad declared
length, 413 over the cap, also for a chunked body), errors rendered in the path's dialect by the same functions
(``ApiError``, core ``PkiError`` with its status, anything else a logged 500 unless the response had started).
Every other request passes through to the app unchanged.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response, status_for
from api.est import POST_OPERATIONS, handle, parse_est_path
from pki.errors import PkiError

__all__ = ["EnrolmentLane"]

log = logging.getLogger("pnc.api")


class EnrolmentLane:
    """Pure ASGI middleware, the app's outermost of its own: POST EST enrolments served here, the rest by ``app``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parsed = parse_est_path(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if parsed is None or parsed[0] not in POST_OPERATIONS:
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            response = await self._enrol(scope, receive, parsed)
        except ApiError as exc:
            response = error_response(scope["path"], exc.status, exc.detail, code=exc.code, headers=exc.headers)
        except PkiError as exc:
            status = status_for(exc)
            if status >= 500:
                log.error("%s %s: %s", scope["method"], scope["path"], exc)
            response = error_response(scope["path"], status, exc.message, code=exc.code)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            response = error_response(scope["path"], 500, "internal error")
        try:
            await response(scope, receive, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half-sent response: only closing the connection can tell the client
            await error_response(scope["path"], 500, "internal error")(scope, receive, send)

    async def _enrol(self, scope: Scope, receive: Receive,
                     parsed: tuple[str, str | None, str | None, str | None, bool]) -> Response:
        self._check_declared_length(scope)
        request = Request(scope, self._capped(receive))
        op, label, iso, alg, opnc = parsed
        if opnc:
            query = request.query_params
            label, iso = query.get("caDomain"), query.get("iso15118Version")
        return await handle(request, op, label, iso, alg)

    def _check_declared_length(self, scope: Scope) -> None:
        """A declared body over the cap is refused before any of it is read."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    raise ApiError(400, "invalid Content-Length")
                if declared > self.max_bytes:
                    raise ApiError(413, self._too_large())

    def _capped(self, receive: Receive) -> Receive:
        """``receive``, counting the body (a chunked body declares no length) and refusing it past the cap."""
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise ApiError(413, self._too_large())
            return message

        return capped

    def _too_large(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"
