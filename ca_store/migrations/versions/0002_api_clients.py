"""API clients: OAuth2 client-credentials holders of the HTTP API (``ca_store.clients``).

Revision ID: 0002_api_clients
Revises: 0001_initial
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0002_api_clients"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("evse_operator_ids", sa.Text, nullable=False),  # JSON array
        sa.Column("organization", sa.String(64), nullable=True),
        sa.Column("secret_hash", sa.String(256), nullable=False),  # scrypt$N$r$p$salt$hash, never the secret
        sa.Column("created_at", sa.String(40), nullable=False),  # ISO 8601 UTC
        sa.Column("disabled_at", sa.String(40), nullable=True),
        sa.UniqueConstraint("name", name="uq_clients_name"),
    )


def downgrade() -> None:
    op.drop_table("clients")
