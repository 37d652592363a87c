"""Record factories for the store tests (the store treats DER as opaque bytes, so no real certificates)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pki.model import AuditEvent, CaRecord, CertificateRecord, CrlRecord, KeyRecord
from pki.ports import StoreTx

__all__ = ["NOW", "certificate", "seed_ca", "event", "crl", "new_serial"]

NOW = datetime(2025, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)


def new_serial() -> int:
    return secrets.randbits(159) | (1 << 158)  # a full 159-bit number, like the core draws


def certificate(serial: int | None = None, *, issuer: str = "root", profile: str = "secc",
                created_at: datetime = NOW, **extra: object) -> CertificateRecord:
    fields: dict[str, object] = {
        "serial": new_serial() if serial is None else serial,
        "issuer": issuer,
        "profile": profile,
        "subject": "CN=DE*ICE*E45B*78C,O=Example CPO,C=DE,DC=CPO",
        "not_before": NOW - timedelta(minutes=5),
        "not_after": NOW + timedelta(days=90),
        "der": secrets.token_bytes(600),
        "requester": "tester",
        "created_at": created_at,
    }
    fields.update(extra)
    return CertificateRecord(**fields)  # type: ignore[arg-type]


def seed_ca(tx: StoreTx, name: str = "root", *, issuer: str | None = None, profile: str = "v2g-root") -> CaRecord:
    """A key, the CA's own certificate and the CA row, in the order the core writes them."""
    tx.add_key(KeyRecord(f"ca:{name}", "EC-P256", b"sealed-key-blob", NOW))
    cert = certificate(issuer=issuer or name, profile=profile)
    tx.add_certificate(cert)
    ca = CaRecord(name, profile, cert.serial, cert.der, issuer, f"ca:{name}", NOW, crl_distribution=issuer is not None)
    tx.add_ca(ca)
    return ca


def event(action: str = "cert.issue", target: str = "cert:01", **details: str) -> AuditEvent:
    return AuditEvent(action, target, "tester", NOW, details)


def crl(issuer: str = "root", number: int = 1) -> CrlRecord:
    return CrlRecord(issuer, number, NOW, NOW + timedelta(days=7), secrets.token_bytes(300))
