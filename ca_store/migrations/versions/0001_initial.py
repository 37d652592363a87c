"""Initial schema: meta, keys, cas, certificates, crls and the append-only audit log.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types in ca_store.schema (a migration never changes with later code).
_TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")  # aware UTC / ISO 8601 text
_SERIAL = sa.String(40)  # 40-digit zero-padded hex
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NAME = 128


def _fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, deferrable=True, initially="DEFERRED")


_APPEND_ONLY_MESSAGE = "audit log is append-only"

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END",
    f"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END",
]

_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION pnc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}'; END $$",
    "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION pnc_audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION pnc_audit_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "keys",
        sa.Column("label", sa.String(_NAME), primary_key=True),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "cas",
        sa.Column("name", sa.String(_NAME), primary_key=True),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("serial", _SERIAL, nullable=False),
        sa.Column("certificate_der", sa.LargeBinary, nullable=False),
        sa.Column("issuer", sa.String(_NAME), _fk("cas.name"), nullable=True),
        sa.Column("key_label", sa.String(_NAME), _fk("keys.label"), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("crl_distribution", sa.Boolean, nullable=False),
    )
    op.create_table(
        "certificates",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("serial", _SERIAL, nullable=False),
        sa.Column("issuer", sa.String(_NAME), _fk("cas.name"), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("not_before", _TS, nullable=False),
        sa.Column("not_after", _TS, nullable=False),
        sa.Column("der", sa.LargeBinary, nullable=False),
        sa.Column("requester", sa.String(256), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("replaces", _SERIAL, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
    )
    op.create_index("ix_certificates_serial", "certificates", ["serial"], unique=True)
    op.create_index("ix_certificates_issuer", "certificates", ["issuer"])
    op.create_index("ix_certificates_profile", "certificates", ["profile"])
    op.create_index("ix_certificates_not_after", "certificates", ["not_after"])
    op.create_table(
        "crls",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("issuer", sa.String(_NAME), _fk("cas.name"), nullable=False),
        sa.Column("number", _SERIAL, nullable=False),
        sa.Column("this_update", _TS, nullable=False),
        sa.Column("next_update", _TS, nullable=False),
        sa.Column("der", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("issuer", "number", name="uq_crls_issuer_number"),
    )
    op.create_table(
        "audit",
        sa.Column("seq", _ID, primary_key=True, autoincrement=False),
        sa.Column("prev_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    # Append-only audit log: the database itself refuses UPDATE/DELETE (and TRUNCATE) on it.
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit")
        op.execute("DROP TRIGGER IF EXISTS audit_no_update_delete ON audit")
        op.execute("DROP FUNCTION IF EXISTS pnc_audit_append_only()")
    for table in ("audit", "crls", "certificates", "cas", "keys", "meta"):
        op.drop_table(table)
