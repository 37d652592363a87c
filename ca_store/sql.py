"""The store's SQL, compiled once per dialect from the Core tables into driver-ready strings.

The store runs these on the DBAPI cursor directly: per issuance that saves SQLAlchemy's per-execute
machinery (result objects, type processing) several times over, which is most of the cost of a
certificate-plus-audit transaction on SQLite. Parameters are named (``:name`` for sqlite3, ``%(name)s`` for
psycopg), values are converted by ``ca_store.codec``, and row tuples follow ``ca_store.rows.*_COLUMNS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement

from ca_store import rows
from ca_store.schema import audit, cas, certificates, crls, keys, meta

__all__ = ["Statement", "Sql"]


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL text plus the values of the parameters SQLAlchemy introduced itself (e.g. a LIMIT)."""

    text: str
    defaults: Mapping[str, Any]

    def params(self, given: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        if not self.defaults:
            return given or {}
        return {**self.defaults, **(given or {})}


def _columns(table: Table, names: tuple[str, ...]) -> list[Any]:
    return [table.c[name] for name in names]


class Sql:
    """All statements for one dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect_name: str) -> None:
        self.dialect_name = dialect_name
        self._dialect: Dialect = (
            sqlite.pysqlite.dialect(paramstyle="named")
            if dialect_name == "sqlite"
            else postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
        )
        self._cert_lists: dict[tuple[bool, bool, bool | None, bool], Statement] = {}
        c = certificates.c
        # Writes. SQLite takes its one write lock at BEGIN IMMEDIATE; PostgreSQL serialises audit appends
        # with a transaction-scoped advisory lock.
        self.begin = Statement("BEGIN IMMEDIATE" if dialect_name == "sqlite" else "BEGIN", {})
        self.insert_key = self._insert(keys, rows.KEY_COLUMNS)
        self.insert_ca = self._insert(cas, rows.CA_COLUMNS)
        self.insert_cert = self._insert(certificates, rows.CERT_COLUMNS)
        self.insert_crl = self._insert(crls, rows.CRL_COLUMNS)
        self.insert_audit = self._insert(audit, rows.AUDIT_COLUMNS)
        upsert = (sqlite.insert if dialect_name == "sqlite" else postgresql.insert)(meta)
        self.upsert_meta = self._compile(
            upsert.values(key=bindparam("key"), value=bindparam("value")).on_conflict_do_update(
                index_elements=[meta.c.key], set_={"value": upsert.excluded.value}
            )
        )
        self.audit_head = self._compile(select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1))
        self.audit_lock = Statement("SELECT pg_advisory_xact_lock(%(key)s::BIGINT)", {})  # PostgreSQL only
        self.revoke = self._compile(
            certificates.update()
            .where(c.serial == bindparam("serial"), c.revoked_at.is_(None))
            .values(revoked_at=bindparam("revoked_at"), revocation_reason=bindparam("reason"))
        )
        # Reads.
        self.get_meta = self._compile(select(meta.c.value).where(meta.c.key == bindparam("key")))
        self.get_key = self._compile(
            select(*_columns(keys, rows.KEY_COLUMNS)).where(keys.c.label == bindparam("label"))
        )
        ca_columns = _columns(cas, rows.CA_COLUMNS)
        self.get_ca = self._compile(select(*ca_columns).where(cas.c.name == bindparam("name")))
        self.list_cas = self._compile(select(*ca_columns).order_by(cas.c.created_at, cas.c.name))
        cert_columns = _columns(certificates, rows.CERT_COLUMNS)
        self.get_cert = self._compile(select(*cert_columns).where(c.serial == bindparam("serial")))
        self.cert_exists = self._compile(select(c.id).where(c.serial == bindparam("serial")))
        self.revoked_certs = self._compile(
            select(*cert_columns).where(c.issuer == bindparam("issuer"), c.revoked_at.is_not(None)).order_by(c.id)
        )
        self.latest_crl = self._compile(
            select(*_columns(crls, rows.CRL_COLUMNS))
            .where(crls.c.issuer == bindparam("issuer"))
            .order_by(crls.c.number.desc())
            .limit(1)
        )
        self.audit_page = self._compile(
            select(*_columns(audit, rows.AUDIT_COLUMNS))
            .where(audit.c.seq > bindparam("after"))
            .order_by(audit.c.seq)
            .limit(bindparam("page"))
        )

    def _compile(self, statement: ClauseElement) -> Statement:
        compiled = statement.compile(dialect=self._dialect)
        # Our own parameters carry no value; the ones SQLAlchemy made from literals (LIMIT 1) do.
        defaults = {name: value for name, value in compiled.params.items() if value is not None}
        return Statement(str(compiled), defaults)

    def _insert(self, table: Table, names: tuple[str, ...]) -> Statement:
        # inline(): no RETURNING of the generated id, nobody reads it.
        return self._compile(table.insert().inline().values({name: bindparam(name) for name in names}))

    def list_certs(self, *, issuer: bool, profile: bool, revoked: bool | None, limit: bool) -> Statement:
        """The listing for one combination of filters (parameters: issuer, profile, limit), compiled once."""
        shape = (issuer, profile, revoked, limit)
        statement = self._cert_lists.get(shape)
        if statement is None:
            c = certificates.c
            query = select(*_columns(certificates, rows.CERT_COLUMNS)).order_by(c.id.desc())
            if issuer:
                query = query.where(c.issuer == bindparam("issuer"))
            if profile:
                query = query.where(c.profile == bindparam("profile"))
            if revoked is not None:
                query = query.where(c.revoked_at.is_not(None) if revoked else c.revoked_at.is_(None))
            if limit:
                query = query.limit(bindparam("limit"))
            statement = self._cert_lists[shape] = self._compile(query)
        return statement
