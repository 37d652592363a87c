"""Authentication: the OAuth2 token endpoint and the bearer-token dependencies every protected route uses.

``POST /oauth/token`` implements the client-credentials grant (RFC 6749 §4.4) the way the Hubject/OPCP
clients call it: JSON body (MaEVe without ``audience``, EVerest with it) or form body (CitrineOS), or HTTP
Basic client authentication (RFC 6749 §2.3.1). It answers ``{"access_token", "token_type": "Bearer",
"expires_in", "scope"}`` with ``Cache-Control: no-store`` (§5.1).

Protected routes declare ``Depends(require_role(Role.CSMS, ...))`` and receive the ``pki.requester.Requester``.
Only ``Authorization: Bearer`` is read (RFC 6750 §2.1); MaEVe's extra ``x-api-key`` header is ignored.
Missing or bad tokens get 401 with ``WWW-Authenticate`` (RFC 6750 §3), a wrong role 403.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext, get_context
from api.credentials import DUMMY_HASH, verify_secret
from api.errors import ApiError
from api.tokens import TokenClaims, TokenError
from pki.requester import NotAuthorized, Requester, Role
from pki.requester import require_role as _policy_require_role

__all__ = ["router", "authenticate", "bearer_token", "require_role", "SCOPES"]

router = APIRouter(tags=["auth"])

# Informational OPCP-style scopes per role (Hubject tokens carry "rcpservice pcpservice ccpservice ...").
SCOPES: Mapping[Role, str] = {
    Role.CSMS: "pkigateway rcpservice",
    Role.OPERATOR: "pkigateway rcpservice admin",
    Role.MO: "ccpservice rcpservice",
    Role.OEM: "pcpservice rcpservice",
}

_CHALLENGE = 'Bearer realm="pnc"'
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="pnc"'}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _claims(request: Request, ctx: ApiContext) -> TokenClaims:
    """The verified claims of the request's bearer token (no I/O: HMAC and the clock)."""
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "authentication required: send Authorization: Bearer <token> from POST /oauth/token",
                       code="unauthorized", headers={"WWW-Authenticate": _CHALLENGE})
    try:
        return ctx.signer.verify(token)
    except TokenError as exc:
        raise ApiError(401, f"invalid bearer token: {exc}", code="invalid_token",
                       headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'}) from None


def _active(claims: TokenClaims, active: bool) -> Requester:
    if not active:
        raise ApiError(401, "invalid bearer token: client disabled", code="invalid_token",
                       headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})
    return claims.requester


def authenticate(request: Request, ctx: ApiContext) -> Requester:
    """The requester behind the bearer token (blocking: may re-read the client from the store)."""
    claims = _claims(request, ctx)
    return _active(claims, ctx.active.is_active(claims.client_id))


def require_role(*roles: Role | str) -> Callable[..., Awaitable[Requester]]:
    """A FastAPI dependency: the authenticated requester, which must hold one of ``roles`` (none given: any
    role). Use as ``requester: Annotated[Requester, Depends(require_role("mo"))]``. It runs on the event loop
    (a sync dependency would cost a thread-pool round trip per request); only the periodic re-read of the
    client's status goes to a thread."""
    wanted = tuple(Role(r) for r in roles)

    async def dependency(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> Requester:
        claims = _claims(request, ctx)
        active = ctx.active.cached(claims.client_id)
        if active is None:
            active = await run_in_threadpool(ctx.active.is_active, claims.client_id)
        requester = _active(claims, active)
        if wanted:
            try:
                _policy_require_role(requester, *wanted)
            except NotAuthorized as exc:
                raise ApiError(403, exc.message, code="insufficient_scope") from None
        return requester

    return dependency


# -- the token endpoint -------------------------------------------------------------------------------------

def _parse_body(content_type: str, body: bytes) -> dict[str, str]:
    if not body.strip():
        return {}
    if "json" in content_type or body.lstrip()[:1] == b"{":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError; RecursionError: deep nesting
            raise ApiError(400, "body is not valid JSON", code="invalid_request") from None
        if not isinstance(data, dict):
            raise ApiError(400, "body must be a JSON object", code="invalid_request")
        return {str(k): str(v) for k, v in data.items() if v is not None}
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ApiError(400, "form body is not UTF-8", code="invalid_request") from None
    return {k: v[0] for k, v in form.items()}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise ApiError(401, "malformed Basic credentials", code="invalid_client", headers=_BASIC_CHALLENGE) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise ApiError(401, "malformed Basic credentials", code="invalid_client", headers=_BASIC_CHALLENGE)
    return unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 §2.3.1: form-encoded before Base64


def _issue(ctx: ApiContext, client_id: str, secret: str, audience: str | None,
           challenge: Mapping[str, str] | None) -> dict[str, Any]:
    record = ctx.clients.get(client_id)
    # Run the KDF whether or not the client exists: timing must not reveal valid client ids.
    ok = verify_secret(secret, record.secret_hash if record is not None else DUMMY_HASH)
    if record is None or not ok or not record.active:
        # RFC 6749 §5.2: a client that authenticated with the Authorization header gets that scheme's challenge
        raise ApiError(401, "client authentication failed", code="invalid_client", headers=challenge)
    requester = Requester.of(record.name, record.role, record.evse_operator_ids, record.organization)
    scope = SCOPES.get(requester.role, "")
    ttl = ctx.settings.token_ttl
    token = ctx.signer.issue(record.client_id, requester, ttl, audience=audience, scope=scope)
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ttl.total_seconds()), "scope": scope}


@router.post("/oauth/token", summary="OAuth2 client-credentials token (JSON, form or HTTP Basic)")
async def token(request: Request, ctx: Annotated[ApiContext, Depends(get_context)]) -> JSONResponse:
    fields = _parse_body(request.headers.get("content-type", ""), await request.body())
    grant = fields.get("grant_type", "client_credentials")  # MaEVe/EVerest always send it; tolerate absence
    if grant != "client_credentials":
        raise ApiError(400, f"grant_type {grant!r} is not supported; use client_credentials",
                       code="unsupported_grant_type")
    basic = _basic_credentials(request)
    client_id, secret = basic if basic is not None else (fields.get("client_id"), fields.get("client_secret"))
    challenge = _BASIC_CHALLENGE if basic is not None else None
    if not client_id or not secret:
        raise ApiError(401, "client_id and client_secret are required", code="invalid_client", headers=challenge)
    answer = await run_in_threadpool(_issue, ctx, client_id, secret, fields.get("audience") or None, challenge)
    return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
