"""The storage and key ports the core consumes, implemented by ``ca_store`` (and later by other back ends).

The core only ever writes inside a ``Store.transaction()``: everything a use case writes (key, CA,
certificate, revocation, CRL) and its audit event commit together or not at all. A certificate is returned to
a caller only after its transaction committed ("stored before it is returned").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pki.model import (
    AuditEntry,
    AuditEvent,
    CaRecord,
    CertificateRecord,
    CrlRecord,
    KeyRecord,
    RevocationReason,
)

__all__ = ["StoreTx", "Store", "KeyStore", "PrivateKey", "PublicKey"]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class StoreTx(Protocol):
    """Writes within one transaction. Raises ``pki.errors.AlreadyExists`` on a duplicate key/CA name/serial."""

    def add_key(self, key: KeyRecord) -> None: ...

    def add_ca(self, ca: CaRecord) -> None: ...

    def add_certificate(self, cert: CertificateRecord) -> None: ...

    def mark_revoked(self, serial: int, at: datetime, reason: RevocationReason) -> CertificateRecord:
        """Record a revocation; raises NotFound / AlreadyRevoked. Returns the updated record."""
        ...

    def add_crl(self, crl: CrlRecord) -> None: ...

    def latest_crl_number(self, issuer: str) -> int:
        """The highest CRL number stored for ``issuer`` (0 if none), read inside this write transaction, so the
        next number cannot be taken by a concurrent writer before ``add_crl``."""
        ...

    def revoked_certificates(self, issuer: str) -> Sequence[CertificateRecord]:
        """The revoked certificates ``issuer`` signed, read inside this transaction (a CRL numbered in it lists
        every revocation committed before it)."""
        ...

    def revoked_among(self, serials: Sequence[int]) -> set[int]:
        """Which of ``serials`` are revoked, as of this transaction (a store may answer without a query when it
        knows nothing was revoked since it last looked, e.g. ``ca_store.store.UnrevokedCache``)."""
        ...

    def set_meta(self, key: str, value: bytes) -> None: ...

    def audit(self, event: AuditEvent) -> AuditEntry:
        """Append to the hash chain (serialised across processes) and return the entry."""
        ...


class Store(Protocol):
    def transaction(self, *, deferred_writes: bool = False) -> AbstractContextManager[StoreTx]:
        """Commit on normal exit, roll back on exception. Raises StoreUnavailable if the DB is unreachable.
        ``deferred_writes``: the caller reads no errors of ``add_certificate`` and ``audit`` inside the block, so
        the store may send those writes with the commit (one round trip to a database across the network); their
        errors (e.g. ``AlreadyExists``) are then raised when the block is left."""
        ...

    def is_initialized(self) -> bool: ...

    def get_meta(self, key: str) -> bytes | None: ...

    def get_key(self, label: str) -> KeyRecord | None: ...

    def get_ca(self, name: str) -> CaRecord | None: ...

    def list_cas(self) -> list[CaRecord]: ...

    def get_certificate(self, serial: int) -> CertificateRecord | None: ...

    def serial_exists(self, serial: int) -> bool: ...

    def list_certificates(
        self,
        *,
        issuer: str | None = None,
        profile: str | None = None,
        revoked: bool | None = None,
        limit: int | None = None,
    ) -> list[CertificateRecord]:
        """Newest first. ``revoked``: None = all, True = only revoked, False = only not revoked."""
        ...

    def revoked_certificates(self, issuer: str) -> Sequence[CertificateRecord]: ...

    def latest_crl(self, issuer: str) -> CrlRecord | None: ...

    def audit_entries(self) -> Iterator[AuditEntry]:
        """All entries in chain order (seq ascending)."""
        ...


class KeyStore(Protocol):
    """The signer seam: where CA keys live. ``load`` returns a ``cryptography`` private-key object, which may
    be a subclass backed by an HSM (PKCS#11): issuance code only ever calls ``sign``/``public_key`` on it
    through the builders, so swapping the key store never touches issuance."""

    def create(self, tx: StoreTx, label: str, algorithm: str, created_at: datetime) -> PrivateKey:
        """Generate a key, persist it (encrypted, or as an HSM reference) inside ``tx``, return the signer."""
        ...

    def load(self, label: str) -> PrivateKey:
        """Raises ``KeyAccessError`` if the key is missing or cannot be unlocked."""
        ...
