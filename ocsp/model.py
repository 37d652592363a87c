"""Values of the OCSP package: a CertID, a certificate's state, a parsed request, a ready answer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from pki.model import RevocationReason

__all__ = ["CertId", "Status", "CertState", "ParsedRequest", "Answer", "ResponseStatus", "GOOD", "UNKNOWN"]


class ResponseStatus(enum.IntEnum):
    """OCSPResponseStatus (RFC 6960 §4.2.1)."""

    SUCCESSFUL = 0
    MALFORMED_REQUEST = 1
    INTERNAL_ERROR = 2
    TRY_LATER = 3
    SIG_REQUIRED = 5
    UNAUTHORIZED = 6

    @property
    def der(self) -> bytes:
        """An unsuccessful OCSPResponse: SEQUENCE { ENUMERATED status } with no responseBytes."""
        return bytes((0x30, 0x03, 0x0A, 0x01, self.value))


@dataclass(frozen=True, slots=True)
class CertId:
    """RFC 6960 §4.1.1 CertID. ``hash_name``: "sha1", "sha256", "sha384", "sha512", another pyca hash name,
    or the dotted OID of an algorithm we do not know. ``raw``: the CertID's DER when the asn1crypto path
    parsed it (echoed verbatim in multi-CertID responses)."""

    hash_name: str
    name_hash: bytes
    key_hash: bytes
    serial: int
    raw: bytes | None = None

    @property
    def issuer_key(self) -> tuple[str, bytes, bytes]:
        return (self.hash_name, self.name_hash, self.key_hash)


class Status(enum.StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CertState:
    """What the store says about one serial under one issuer. ``extended`` marks the RFC 6960 §2.2
    "revoked" answer for a serial that was never issued."""

    status: Status
    revoked_at: datetime | None = None
    reason: RevocationReason | None = None
    extended: bool = False


GOOD = CertState(Status.GOOD)
UNKNOWN = CertState(Status.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    cert_ids: tuple[CertId, ...]
    nonce: bytes | None


@dataclass(frozen=True, slots=True)
class Answer:
    """A DER OCSPResponse ready to send. ``cacheable``: a pre-signed (no nonce) response, sent with RFC 5019
    §6 cache headers computed from ``this_update``/``next_update`` and ``etag``."""

    der: bytes
    cacheable: bool = False
    this_update: datetime | None = None
    next_update: datetime | None = None
    etag: str | None = None  # quoted, as sent in the ETag header
    status: ResponseStatus = ResponseStatus.SUCCESSFUL
    headers: tuple[tuple[bytes, bytes], ...] = field(default=(), compare=False)  # ETag, Last-Modified, Expires
    next_update_ts: float = field(default=0.0, compare=False)  # for the per-request max-age
    refresh_ts: float = field(default=0.0, compare=False)  # served from the cache until then
