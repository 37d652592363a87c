"""Foreign trust anchors in the store (``pki.trust.TrustStore``): table ``trust_anchors`` of migration
``0003_contracts``. Adding is audited (``trust.add``) in the same transaction; re-adding a certificate
already trusted for that kind changes nothing.

``certificates(kind)`` is on the hot path of every CertificateInstallationReq; the parsed certificates are
cached for ``cache_seconds`` per process (an added anchor takes effect in this process at once, in others
within that time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Boolean, Column, Index, LargeBinary, MetaData, String, Table, Text, bindparam, select

from ca_store.engine import translate_errors
from ca_store.store import SqlStore
from pki.model import AuditEvent
from pki.trust import TrustedCertificate, TrustKind, check_trust_candidate, fingerprint

__all__ = ["SqlTrustStore", "trust_anchors_table"]

_metadata = MetaData()

# Must match ca_store/migrations/versions/0003_contracts.py.
trust_anchors_table = Table(
    "trust_anchors",
    _metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("is_root", Boolean, nullable=False),
    Column("not_after", String(40), nullable=False),
    Column("der", LargeBinary, nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("added_by", String(256), nullable=False),
    Index("ix_trust_anchors_kind", "kind"),
)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


class SqlTrustStore:
    """``pki.trust.TrustStore`` over a ``SqlStore``."""

    def __init__(self, store: SqlStore, *, cache_seconds: float = 10.0) -> None:
        self.store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[TrustKind, tuple[float, tuple[x509.Certificate, ...]]] = {}
        self._lock = threading.Lock()
        t = trust_anchors_table.c
        self._exists = store.sql.compile(select(t.fingerprint).where(
            t.fingerprint == bindparam("fp"), t.kind == bindparam("kind")))
        self._insert = store.sql.compile(trust_anchors_table.insert().values(
            {name: bindparam(name) for name in trust_anchors_table.c.keys()}))

    def _query(self, statement: Any) -> list[Any]:
        with translate_errors(self.store.target), self.store.engine.connect() as conn:
            return list(conn.execute(statement))

    def add(
        self, kind: TrustKind, certificates: Sequence[x509.Certificate], *, actor: str, at: datetime
    ) -> list[TrustedCertificate]:
        kind = TrustKind(kind)
        checked = [(cert, check_trust_candidate(cert)) for cert in certificates]  # refuse before writing
        with self.store.transaction() as tx:
            for cert, is_root in checked:
                fp = fingerprint(cert)
                if tx.execute(self._exists, {"fp": fp, "kind": kind.value}, "trust anchor").fetchone():
                    continue
                subject = cert.subject.rfc4514_string()
                values: dict[str, Any] = {
                    "fingerprint": fp, "kind": kind.value, "subject": subject,
                    "is_root": is_root, "not_after": _ts(cert.not_valid_after_utc),
                    "der": cert.public_bytes(Encoding.DER), "added_at": _ts(at), "added_by": actor,
                }
                tx.execute(self._insert, values, f"trust anchor {fp[:16]}")
                tx.audit(AuditEvent("trust.add", f"trust:{kind.value}:{fp}", actor, at,
                                    {"subject": subject, "root": str(is_root).lower()}))
        with self._lock:
            self._cache.pop(kind, None)
        wanted = {fingerprint(cert) for cert, _ in checked}
        return [t for t in self.list(kind) if t.fingerprint in wanted]

    def list(self, kind: TrustKind | None = None) -> list[TrustedCertificate]:
        t = trust_anchors_table.c
        statement = select(trust_anchors_table).order_by(t.kind, t.added_at, t.subject)
        if kind is not None:
            statement = statement.where(t.kind == TrustKind(kind).value)
        out = []
        for row in self._query(statement):
            r = row._mapping
            out.append(TrustedCertificate(
                kind=TrustKind(r["kind"]), fingerprint=r["fingerprint"], subject=r["subject"],
                is_root=bool(r["is_root"]), not_after=datetime.fromisoformat(r["not_after"]), der=bytes(r["der"]),
                added_at=datetime.fromisoformat(r["added_at"]), added_by=r["added_by"],
            ))
        return out

    def certificates(self, kind: TrustKind) -> tuple[x509.Certificate, ...]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(kind)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        certs = tuple(x509.load_der_x509_certificate(t.der) for t in self.list(kind))
        with self._lock:
            self._cache[kind] = (now, certs)
        return certs
