"""The EST enrolment lane: ``POST`` enrolments, the API's hot path, go from the ASGI server straight to
``api.est.handle`` instead of through the framework's routing and middleware stack (measured: about a fifth of
the server's time per enrolment went to routing, request/response wrapping and the exception layers).

Everything a request meets on the framework path is kept, in the same form: the body cap (400 for a bad declared
length, 413 over the cap, also for a chunked body), errors rendered in the path's dialect by the same functions
(``ApiError``, core ``PkiError`` with its status) and the same error barrier for anything else (a logged 500
unless the response had started). Every other request passes through to the app unchanged.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError, api_error_response, pki_error_response
from api.est import POST_OPERATIONS, handle, parse_est_path
from api.middleware import ErrorBarrierMiddleware, capped_receive, declared_length_problem, too_large
from pki.errors import PkiError

__all__ = ["EnrolmentLane"]

_PARSED = "pnc.est_path"  # scope key: the parsed EST path (op, label, iso, alg, opnc) of a request in the lane


class EnrolmentLane:
    """Pure ASGI middleware, the app's outermost of its own: POST EST enrolments served here, the rest by ``app``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._guarded = ErrorBarrierMiddleware(self._serve)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parsed = parse_est_path(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if parsed is None or parsed[0] not in POST_OPERATIONS:
            await self.app(scope, receive, send)
            return
        scope[_PARSED] = parsed
        await self._guarded(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self._enrol(scope, receive)
        except ApiError as exc:
            response = api_error_response(scope["path"], exc)
        except PkiError as exc:
            response = pki_error_response(scope["method"], scope["path"], exc)
        await response(scope, receive, send)

    async def _enrol(self, scope: Scope, receive: Receive) -> Response:
        problem = declared_length_problem(scope, self.max_bytes)  # refused before any of the body is read
        if problem is not None:
            raise ApiError(*problem)
        request = Request(scope, capped_receive(receive, self.max_bytes, self._refuse))
        op, label, iso, alg, opnc = scope[_PARSED]
        if opnc:
            query = request.query_params
            label, iso = query.get("caDomain"), query.get("iso15118Version")
        return await handle(request, op, label, iso, alg)

    def _refuse(self) -> Exception:
        return ApiError(413, too_large(self.max_bytes))
