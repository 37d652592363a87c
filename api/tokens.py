"""Stateless bearer tokens: compact JWS with HMAC-SHA256 (RFC 7519 JWT, RFC 7515, alg HS256).

The server secret lives in the store (``ca_store.clients.ClientRepository.token_secret``), so every worker
verifies every token without a database lookup. Verification accepts exactly our own header (no ``alg``
negotiation: RFC 8725 §3.1 "perform algorithm verification"), compares the MAC in constant time, then checks
``exp``/``nbf`` against the injected clock. Token text never appears in an error message or log line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pki.requester import Requester, Role

__all__ = ["TokenError", "TokenClaims", "TokenSigner"]

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
_MAX_TOKEN = 4096


class TokenError(Exception):
    """A bearer token was refused; ``str()`` says why without quoting the token."""


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64url(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client_id: str
    requester: Requester
    issued_at: int
    expires_at: int


_VERIFIED_LIMIT = 4096


class TokenSigner:
    def __init__(self, secret: bytes, clock: Callable[[], datetime], *, issuer: str = "pnc") -> None:
        if len(secret) < 32:
            raise ValueError("token secret must be at least 256 bits")
        self._secret = secret
        self._clock = clock
        self.issuer = issuer
        # Tokens whose signature and claims verified, with their not-before: a client sends the same token with
        # every request, so the MAC, base64 and JSON work is done once per token; validity times are checked on
        # every use. Bounded; a hit needs the exact token string.
        self._verified: dict[str, tuple[TokenClaims, int]] = {}

    def _mac(self, signing_input: bytes) -> bytes:
        return hmac.new(self._secret, signing_input, hashlib.sha256).digest()

    def issue(self, client_id: str, requester: Requester, ttl: timedelta, *, audience: str | None = None,
              scope: str = "") -> str:
        now = int(self._clock().timestamp())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": client_id,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl.total_seconds()),
            "name": requester.name,
            "role": requester.role.value,
            "evse_operator_ids": sorted(requester.evse_operator_ids),
        }
        if requester.organization:
            payload["org"] = requester.organization
        if audience:
            payload["aud"] = audience
        if scope:
            payload["scope"] = scope
        body = _b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        signing_input = _HEADER + b"." + body
        return (signing_input + b"." + _b64url(self._mac(signing_input))).decode()

    def verify(self, token: str) -> TokenClaims:
        known = self._verified.get(token)
        if known is None:
            known = self._verify(token)
            if len(self._verified) >= _VERIFIED_LIMIT:
                self._verified.clear()
            self._verified[token] = known
        claims, not_before = known
        now = self._clock().timestamp()  # validity is checked on every use, remembered or not
        if now >= claims.expires_at:
            self._verified.pop(token, None)
            raise TokenError("token expired")
        if now < not_before:
            raise TokenError("token not yet valid")
        return claims

    def _verify(self, token: str) -> tuple[TokenClaims, int]:
        raw = token.encode("ascii", "replace")
        if len(raw) > _MAX_TOKEN:
            raise TokenError("token too long")
        parts = raw.split(b".")
        if len(parts) != 3:
            raise TokenError("malformed token")
        header, body, mac = parts
        try:
            given = _unb64url(mac)
        except (binascii.Error, ValueError):
            raise TokenError("malformed token") from None
        expected = self._mac(header + b"." + body)
        # Both checks always run; hmac.compare_digest is constant-time in the MAC value.
        if not hmac.compare_digest(given, expected) or not hmac.compare_digest(header, _HEADER):
            raise TokenError("token signature invalid")
        try:
            claims = json.loads(_unb64url(body))
            if claims.get("iss") != self.issuer:
                raise TokenError("token issued by someone else")
            requester = Requester(
                name=str(claims["name"]),
                role=Role(claims["role"]),
                evse_operator_ids=frozenset(str(i) for i in claims.get("evse_operator_ids", [])),
                organization=claims.get("org"),
            )
            return (TokenClaims(str(claims["sub"]), requester, int(claims["iat"]), int(claims["exp"])),
                    int(claims.get("nbf", 0)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TokenError("malformed token claims") from None
