"""API clients (OAuth2 client-credentials, RFC 6749 §4.4) and the API's token-signing secret, in the store.

The table is created by migration ``0002_api_clients``. A client row holds only a KDF hash of the secret
(the secret itself is shown once, at creation). Client ids are never reused: a disabled client keeps its
row (and its name) so audit entries that name it stay unambiguous. Creation and disabling are audited.

Each write commits in one store transaction together with its audit entry (``client.add``,
``client.disable``), so a client never exists, or is disabled, without its audit record.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, MetaData, Row, String, Table, Text, UniqueConstraint, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ca_store.engine import translate_errors
from ca_store.schema import meta
from ca_store.store import SqlStore
from pki.errors import AlreadyExists, NotFound
from pki.model import AuditEvent

__all__ = ["ClientRecord", "ClientRepository", "clients_table", "TOKEN_SECRET_META"]

TOKEN_SECRET_META = "api.token_secret"
_SECRET_BYTES = 32  # HMAC-SHA256 key: 256 bits (RFC 2104 §3: at least the hash output length)

_metadata = MetaData()

# Must match ca_store/migrations/versions/0002_api_clients.py. Timestamps are ISO 8601 UTC text on every
# database (written and read only here; nothing sorts or compares them in SQL).
clients_table = Table(
    "clients",
    _metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("evse_operator_ids", Text, nullable=False),  # JSON array of normalised IDs ("DEICE")
    Column("organization", String(64), nullable=True),
    Column("secret_hash", String(256), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("disabled_at", String(40), nullable=True),
    UniqueConstraint("name", name="uq_clients_name"),
)


@dataclass(frozen=True, slots=True)
class ClientRecord:
    client_id: str
    name: str
    role: str
    evse_operator_ids: tuple[str, ...]
    organization: str | None
    secret_hash: str
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: client timestamps are aware UTC")
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _record(row: Row[Any]) -> ClientRecord:
    r = row._mapping
    return ClientRecord(
        client_id=r["client_id"],
        name=r["name"],
        role=r["role"],
        evse_operator_ids=tuple(json.loads(r["evse_operator_ids"])),
        organization=r["organization"],
        secret_hash=r["secret_hash"],
        created_at=datetime.fromisoformat(r["created_at"]),
        disabled_at=datetime.fromisoformat(r["disabled_at"]) if r["disabled_at"] else None,
    )


class ClientRepository:
    """The clients table of one ``SqlStore``."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        c = clients_table.c
        self._insert = store.sql.compile(clients_table.insert().values(
            {name: bindparam(name) for name in clients_table.c.keys()}))
        self._taken = store.sql.compile(select(c.client_id).where(
            (c.client_id == bindparam("key")) | (c.name == bindparam("key"))))
        self._disable = store.sql.compile(update(clients_table).where(
            c.client_id == bindparam("id"), c.disabled_at.is_(None)).values(disabled_at=bindparam("at")))

    def add(self, record: ClientRecord, *, actor: str) -> ClientRecord:
        values = {
            "client_id": record.client_id,
            "name": record.name,
            "role": record.role,
            "evse_operator_ids": json.dumps(sorted(record.evse_operator_ids)),
            "organization": record.organization,
            "secret_hash": record.secret_hash,
            "created_at": _ts(record.created_at),
            "disabled_at": None,
        }
        details = {"client_id": record.client_id, "role": record.role,
                   "evse_operator_ids": ",".join(sorted(record.evse_operator_ids))}
        if record.organization:
            details["organization"] = record.organization
        with self.store.transaction() as tx:
            if tx.execute(self._taken, {"key": record.name}, "client").fetchone() is not None:
                raise AlreadyExists(f"a client named {record.name!r} already exists (names are never reused)")
            tx.execute(self._insert, values, f"client {record.name!r}")
            tx.audit(AuditEvent("client.add", f"client:{record.name}", actor, record.created_at, details))
        return record

    def get(self, client_id: str) -> ClientRecord | None:
        statement = select(clients_table).where(clients_table.c.client_id == client_id)
        with translate_errors(self.store.target), self.store.engine.connect() as conn:
            row = conn.execute(statement).first()
        return None if row is None else _record(row)

    def find(self, id_or_name: str) -> ClientRecord | None:
        c = clients_table.c
        statement = select(clients_table).where((c.client_id == id_or_name) | (c.name == id_or_name))
        with translate_errors(self.store.target), self.store.engine.connect() as conn:
            row = conn.execute(statement).first()
        return None if row is None else _record(row)

    def all(self) -> list[ClientRecord]:
        statement = select(clients_table).order_by(clients_table.c.created_at, clients_table.c.name)
        with translate_errors(self.store.target), self.store.engine.connect() as conn:
            return [_record(r) for r in conn.execute(statement)]

    def disable(self, id_or_name: str, *, actor: str, at: datetime) -> ClientRecord:
        found = self.find(id_or_name)
        if found is None:
            raise NotFound(f"no client {id_or_name!r}")
        if not found.active:
            return found
        with self.store.transaction() as tx:
            if tx.execute(self._disable, {"id": found.client_id, "at": _ts(at)}, "client").rowcount == 1:
                tx.audit(AuditEvent("client.disable", f"client:{found.name}", actor, at,
                                    {"client_id": found.client_id}))
        return self.get(found.client_id) or found

    def token_secret(self, *, at: datetime | None = None) -> bytes:
        """The HMAC key of API tokens: generated once per store (the first process to ask wins the insert, and
        audits it as a key creation; every process then reads the same value)."""
        existing = self.store.get_meta(TOKEN_SECRET_META)
        if existing is not None:
            return existing
        dialect_insert: Callable[..., Any] = sqlite.insert if self.store.dialect == "sqlite" else postgresql.insert
        statement = self.store.sql.compile(dialect_insert(meta).values(
            key=bindparam("key"), value=bindparam("value")).on_conflict_do_nothing(index_elements=[meta.c.key]))
        with self.store.transaction() as tx:
            created = tx.execute(statement, {"key": TOKEN_SECRET_META, "value": secrets.token_bytes(_SECRET_BYTES)},
                                 "token secret").rowcount == 1
            if created:
                tx.audit(AuditEvent("key.create", f"key:{TOKEN_SECRET_META}", "api", at or datetime.now(UTC),
                                    {"algorithm": "HMAC-SHA256", "backend": "meta"}))
        stored = self.store.get_meta(TOKEN_SECRET_META)
        if stored is None:  # pragma: no cover - the insert above either wrote it or found it
            raise NotFound("token secret missing after creation")
        return stored
