"""The HTTP edge's one error translation: core errors -> status codes, and each path family's error format.

Formats ("dialects"), chosen by path so that every client gets the shape it parses:

* RFC 7030 EST paths: ``text/plain`` human-readable message (RFC 7030 §4.2.3; globalsign/est does the same).
* OPCP paths (``/v1/root``, ``/v1/ccp``, ...): ``{"errorMessages": [...], "traceId": "<uuid>"}`` (OPCP
  ``Error`` schema; CitrineOS reads ``errorMessages``).
* ``/oauth/token``: ``{"error": ..., "error_description": ...}`` (RFC 6749 §5.2).
* Everything else: ``application/problem+json`` (RFC 9457).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from pki import errors
from pki.requester import NotAuthorized

__all__ = [
    "ApiError",
    "Dialect",
    "dialect_for",
    "error_response",
    "pki_error_response",
    "api_error_response",
    "status_for",
    "install_error_handlers",
    "EST_OPERATIONS",
    "STATUS",
]

log = logging.getLogger("pnc.api")

EST_OPERATIONS = frozenset({"cacerts", "simpleenroll", "simplereenroll", "csrattrs"})
_OPCP_PREFIXES = ("/v1/root", "/v1/ccp", "/v1/oem", "/v1/cps", "/v1/vra", "/HubjectWS/", "/opnc/")

# Core error class -> HTTP status; the most specific class in the MRO wins.
STATUS: dict[type[errors.PkiError], int] = {
    errors.InvalidInput: 400,
    errors.PolicyRefused: 400,  # CSR content refused: wrong curve, subject rule, validity, lint
    NotAuthorized: 403,
    errors.IssuerUnusable: 503,  # our CA is expired/revoked: a server-side condition
    errors.PathInvalid: 400,
    errors.NotFound: 404,
    errors.AlreadyExists: 409,
    errors.AlreadyRevoked: 409,
    errors.KeyAccessError: 503,  # started without the CA key passphrase
    errors.StoreUnavailable: 503,
    errors.IntegrityError: 500,
    errors.SignerError: 502,
}

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable"}


class Dialect:
    EST = "est"
    OPCP = "opcp"
    OAUTH = "oauth"
    PROBLEM = "problem"


class ApiError(Exception):
    """An error decided at the HTTP edge (authentication, routing, body size). ``code`` is a stable token
    (the OAuth ``error`` value on the token endpoint)."""

    def __init__(self, status: int, detail: str, *, code: str = "error",
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = dict(headers or {})


def status_for(exc: errors.PkiError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def dialect_for(path: str) -> str:
    if path == "/oauth/token":
        return Dialect.OAUTH
    if path.startswith("/.well-known/") or path.startswith("/opnc/v1/pki/est"):
        return Dialect.EST
    if any(segment in EST_OPERATIONS for segment in path.split("/")[1:4]):
        return Dialect.EST  # OPCP root-level EST paths: /{ca}/simpleenroll[/...]
    if path.startswith(_OPCP_PREFIXES):
        return Dialect.OPCP
    return Dialect.PROBLEM


def error_response(path: str, status: int, detail: str, *, code: str = "error",
                   headers: Mapping[str, str] | None = None) -> Response:
    dialect = dialect_for(path)
    hdrs = dict(headers or {})
    if dialect == Dialect.EST:
        return PlainTextResponse(detail + "\n", status_code=status, headers=hdrs)
    if dialect == Dialect.OPCP:
        return JSONResponse({"errorMessages": [detail], "traceId": str(uuid.uuid4())}, status, headers=hdrs)
    if dialect == Dialect.OAUTH:
        hdrs.setdefault("Cache-Control", "no-store")
        return JSONResponse({"error": code, "error_description": detail}, status, headers=hdrs)
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    if code != "error":
        body["code"] = code
    return JSONResponse(body, status, headers=hdrs, media_type="application/problem+json")


def pki_error_response(method: str, path: str, exc: errors.PkiError) -> Response:
    """A core error in the path's format, with its status (logged when it is the service's fault)."""
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s: %s", method, path, exc)
    return error_response(path, status, exc.message, code=exc.code)


def api_error_response(path: str, exc: ApiError) -> Response:
    return error_response(path, exc.status, exc.detail, code=exc.code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers for core errors, ``ApiError``, routing/HTTP errors and request validation. Unexpected
    exceptions are answered by ``api.middleware.ErrorBarrierMiddleware``."""
    async def on_pki(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.PkiError)
        return pki_error_response(request.method, request.url.path, exc)

    async def on_api(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return api_error_response(request.url.path, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such resource: {request.method} {request.url.path}"
        return error_response(request.url.path, exc.status_code, detail, headers=exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for e in exc.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            problems.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))
        return error_response(request.url.path, 400, "invalid request: " + "; ".join(problems),
                              code="invalid_request")

    app.add_exception_handler(errors.PkiError, on_pki)
    app.add_exception_handler(ApiError, on_api)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
