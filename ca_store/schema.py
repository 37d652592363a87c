"""The tables, as SQLAlchemy Core ``Table`` objects (Core, not the ORM: issuance writes one certificate and
one audit row per transaction thousands of times a second).

The tables are compiled to SQL once per dialect (``ca_store.sql``); values are converted by
``ca_store.codec``. The schema itself is created and evolved only by the Alembic migrations in
``ca_store/migrations``; these definitions must match them (``tests/ca_store/test_connectivity.py`` checks).

References between tables are foreign keys checked at commit (DEFERRABLE INITIALLY DEFERRED): a root CA's
certificate names the root as its issuer before the root's CA row exists in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ca_store.codec import SERIAL_HEX_DIGITS

__all__ = ["metadata", "meta", "keys", "cas", "certificates", "crls", "audit", "NAME_LEN", "UtcDateTime", "HexSerial"]

NAME_LEN = 128

# Integer primary keys: BIGINT on PostgreSQL, but INTEGER on SQLite so the column aliases the rowid.
_Id = BigInteger().with_variant(Integer(), "sqlite")
# Aware UTC timestamps, and serials as fixed-width hex (see ca_store.codec).
UtcDateTime = DateTime(timezone=True).with_variant(String(32), "sqlite")
HexSerial = String(SERIAL_HEX_DIGITS)

metadata = MetaData()
_REVOKED = text("revoked_at IS NOT NULL")


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, deferrable=True, initially="DEFERRED")


meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

keys = Table(
    "keys",
    metadata,
    Column("label", String(NAME_LEN), primary_key=True),
    Column("algorithm", String(32), nullable=False),
    Column("blob", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

cas = Table(
    "cas",
    metadata,
    Column("name", String(NAME_LEN), primary_key=True),
    Column("profile", String(64), nullable=False),
    Column("serial", HexSerial, nullable=False),
    Column("certificate_der", LargeBinary, nullable=False),
    Column("issuer", String(NAME_LEN), _fk("cas.name"), nullable=True),
    Column("key_label", String(NAME_LEN), _fk("keys.label"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("crl_distribution", Boolean, nullable=False),
)

certificates = Table(
    "certificates",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("serial", HexSerial, nullable=False),
    Column("issuer", String(NAME_LEN), _fk("cas.name"), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("der", LargeBinary, nullable=False),
    Column("requester", String(256), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("replaces", HexSerial, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revocation_reason", String(32), nullable=True),
    Index("ix_certificates_serial", "serial", unique=True),
    # Only what the hot paths need (migration 0004): every index is one more page written per issuance. A CRL
    # reads the revoked certificates of one CA; the partial index holds only those, so issuing never touches it.
    Index("ix_certificates_revoked_issuer", "issuer", sqlite_where=_REVOKED, postgresql_where=_REVOKED),
)

crls = Table(
    "crls",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("issuer", String(NAME_LEN), _fk("cas.name"), nullable=False),
    Column("number", HexSerial, nullable=False),
    Column("this_update", UtcDateTime, nullable=False),
    Column("next_update", UtcDateTime, nullable=False),
    Column("der", LargeBinary, nullable=False),
    UniqueConstraint("issuer", "number", name="uq_crls_issuer_number"),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", _Id, primary_key=True, autoincrement=False),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(512), nullable=False),
    Column("actor", String(256), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON object of strings
)
