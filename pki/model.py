"""Frozen values that cross module boundaries: CA and certificate records, revocation reasons, audit events."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

__all__ = [
    "RevocationReason",
    "CaRecord",
    "CertificateRecord",
    "CrlRecord",
    "AuditEvent",
    "AuditEntry",
    "KeyRecord",
]


class RevocationReason(enum.StrEnum):
    """RFC 5280 §5.3.1 CRLReason; the value is the name used on the CLI and in JSON."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"
    AA_COMPROMISE = "aACompromise"

    @property
    def code(self) -> int:
        """The RFC 5280 integer code (value 7 is unused; removeFromCRL is not a revocation reason here)."""
        return _REASON_CODES[self]

    @property
    def flag(self) -> x509.ReasonFlags:
        return _REASON_FLAGS[self]

    @classmethod
    def parse(cls, text: str) -> RevocationReason:
        """Accept the RFC name in any case, with or without separators, or the integer code."""
        key = text.strip().replace("-", "").replace("_", "").lower()
        for reason in cls:
            if reason.value.lower() == key or str(reason.code) == key:
                return reason
        raise ValueError(f"unknown revocation reason {text!r}; one of: {', '.join(r.value for r in cls)}")


_REASON_CODES = {
    RevocationReason.UNSPECIFIED: 0,
    RevocationReason.KEY_COMPROMISE: 1,
    RevocationReason.CA_COMPROMISE: 2,
    RevocationReason.AFFILIATION_CHANGED: 3,
    RevocationReason.SUPERSEDED: 4,
    RevocationReason.CESSATION_OF_OPERATION: 5,
    RevocationReason.CERTIFICATE_HOLD: 6,
    RevocationReason.PRIVILEGE_WITHDRAWN: 9,
    RevocationReason.AA_COMPROMISE: 10,
}
_REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
    RevocationReason.AA_COMPROMISE: x509.ReasonFlags.aa_compromise,
}


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A CA key as the store keeps it: ``blob`` is opaque to the store (encrypted PKCS#8, or an HSM URI)."""

    label: str
    algorithm: str  # "EC-P256", "EC-P384", "RSA-2048", ...
    blob: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CaRecord:
    """A CA this service operates. Its certificate is also a ``CertificateRecord`` (serial ``serial``)."""

    name: str
    profile: str
    serial: int
    certificate_der: bytes
    issuer: str | None  # name of the parent CA; None for a root
    key_label: str
    created_at: datetime
    crl_distribution: bool = False  # put a CRL DP into certificates this CA issues

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.certificate_der)


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """A certificate we signed (leaf or CA), stored before it is returned."""

    serial: int
    issuer: str  # CA name that signed it (for a root: its own name)
    profile: str
    subject: str  # RFC 4514
    not_before: datetime
    not_after: datetime
    der: bytes
    requester: str
    created_at: datetime
    replaces: int | None = None  # serial of the certificate this one renews / re-keys
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


@dataclass(frozen=True, slots=True)
class CrlRecord:
    issuer: str
    number: int
    this_update: datetime
    next_update: datetime
    der: bytes


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audited action. ``action`` is one of: key.create, ca.create, cert.issue, cert.renew, cert.rekey,
    cert.revoke, crl.issue (extended by later features). ``target`` names the object ("cert:<hex serial>",
    "ca:<name>", "key:<label>")."""

    action: str
    target: str
    actor: str
    at: datetime
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An event as appended to the hash chain: ``hash = H(prev_hash, seq, event)`` (see ``pki.audit``)."""

    seq: int
    event: AuditEvent
    prev_hash: bytes
    hash: bytes
