"""Contract provisioning: contracts (eMAID <-> PCID), the contract certificates issued for them, and the
foreign trust anchors (OEM / V2G / MO roots and sub-CAs) (``ca_store.contracts``, ``ca_store.trust``).

Revision ID: 0003_contracts
Revises: 0002_api_clients
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0003_contracts"
down_revision = "0002_api_clients"
branch_labels = None
depends_on = None

_TS = sa.String(40)  # ISO 8601 UTC text, as in 0002 (written and read only by ca_store.contracts / trust)


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("emaid", sa.String(15), primary_key=True),  # normalised, with check character
        sa.Column("pcid", sa.String(18), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("not_after", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_index("ix_contracts_pcid", "contracts", ["pcid"])
    op.create_table(
        "contract_certificates",
        sa.Column("serial", sa.String(40), primary_key=True),  # 40-digit hex, as certificates.serial
        sa.Column("emaid", sa.String(15), sa.ForeignKey("contracts.emaid", deferrable=True,
                                                         initially="DEFERRED"), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
    )
    op.create_index("ix_contract_certificates_emaid", "contract_certificates", ["emaid"])
    op.create_table(
        "trust_anchors",
        sa.Column("fingerprint", sa.String(64), primary_key=True),  # SHA-256 of the DER, hex
        sa.Column("kind", sa.String(8), primary_key=True),  # oem | v2g | mo (one certificate may be both)
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("is_root", sa.Boolean, nullable=False),
        sa.Column("not_after", _TS, nullable=False),
        sa.Column("der", sa.LargeBinary, nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("added_by", sa.String(256), nullable=False),
    )
    op.create_index("ix_trust_anchors_kind", "trust_anchors", ["kind"])


def downgrade() -> None:
    op.drop_table("trust_anchors")
    op.drop_table("contract_certificates")
    op.drop_table("contracts")
