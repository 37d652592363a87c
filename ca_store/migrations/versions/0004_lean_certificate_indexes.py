"""Leaner certificate indexes: every index is one more page written to the WAL (SQLite) or heap of index
pages (PostgreSQL) per issuance, so keep only what a hot path reads.

* ``ix_certificates_serial`` (unique) stays: lookups by serial (OCSP, revoke, show) and uniqueness.
* ``ix_certificates_issuer`` becomes partial, ``WHERE revoked_at IS NOT NULL``: a CRL reads the revoked
  certificates of one CA, and an issuance (revoked_at NULL) never touches this index.
* ``ix_certificates_profile`` and ``ix_certificates_not_after`` go: listings walk the table newest first and
  stop at their limit, and nothing queries by expiry.

Revision ID: 0004_lean_certificate_indexes
Revises: 0003_contracts
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0004_lean_certificate_indexes"
down_revision = "0003_contracts"
branch_labels = None
depends_on = None

_REVOKED = sa.text("revoked_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_certificates_not_after", table_name="certificates")
    op.drop_index("ix_certificates_profile", table_name="certificates")
    op.drop_index("ix_certificates_issuer", table_name="certificates")
    op.create_index("ix_certificates_revoked_issuer", "certificates", ["issuer"],
                    sqlite_where=_REVOKED, postgresql_where=_REVOKED)


def downgrade() -> None:
    op.drop_index("ix_certificates_revoked_issuer", table_name="certificates")
    op.create_index("ix_certificates_issuer", "certificates", ["issuer"])
    op.create_index("ix_certificates_profile", "certificates", ["profile"])
    op.create_index("ix_certificates_not_after", "certificates", ["not_after"])
