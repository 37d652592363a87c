"""The store's SQL, compiled once per dialect from the Core tables into driver-ready strings.

The store runs these on the DBAPI cursor directly: per issuance that saves SQLAlchemy's per-execute
machinery (result objects, type processing) several times over, which is most of the cost of a
certificate-plus-audit transaction on SQLite. Parameters are named (``:name`` for sqlite3, ``%(name)s`` for
psycopg), values are converted by ``ca_store.codec``, and row tuples follow ``ca_store.rows.*_COLUMNS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, overload

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement

from ca_store import rows
from ca_store.schema import audit, cas, certificates, crls, keys, meta

__all__ = ["Statement", "Sql", "REVOKED_AMONG_WIDTH"]

REVOKED_AMONG_WIDTH = 4


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL text plus the values of the parameters SQLAlchemy introduced itself (e.g. a LIMIT)."""

    text: str
    defaults: Mapping[str, Any]

    @overload
    def params(self, given: Mapping[str, Any]) -> Mapping[str, Any]: ...

    @overload
    def params(self, given: None = None) -> Mapping[str, Any] | None: ...

    def params(self, given: Mapping[str, Any] | None = None) -> Mapping[str, Any] | None:
        """The parameters to send; None for a statement without any (psycopg then uses the simple query
        protocol, which allows several statements in one round trip)."""
        if not self.defaults:
            return given
        return {**self.defaults, **(given or {})}


def _columns(table: Table, names: tuple[str, ...]) -> list[Any]:
    return [table.c[name] for name in names]


class Sql:
    """All statements for one dialect ("sqlite" or "postgresql"); ``audit_lock_key`` is the store's
    PostgreSQL advisory lock key."""

    def __init__(self, dialect_name: str, audit_lock_key: int = 0) -> None:
        self.dialect_name = dialect_name
        self._dialect: Dialect = (
            sqlite.pysqlite.dialect(paramstyle="named")
            if dialect_name == "sqlite"
            else postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
        )
        self._cert_lists: dict[tuple[bool, bool, bool | None, bool], Statement] = {}
        c = certificates.c
        # Writes. SQLite takes its one write lock at BEGIN IMMEDIATE; the audit head is read when needed.
        # PostgreSQL serialises writers with a transaction-scoped advisory lock and reads the audit head right
        # after it, all in the one round trip of BEGIN: three statements of one simple query, each with its
        # own snapshot under READ COMMITTED, so the head read sees the previous lock holder's commit.
        audit_head = select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)
        self.head_at_begin = dialect_name == "postgresql"
        if self.head_at_begin:
            head_sql = audit_head.compile(dialect=self._dialect, compile_kwargs={"literal_binds": True})
            self.begin = Statement(f"BEGIN; SELECT pg_advisory_xact_lock({int(audit_lock_key)}); {head_sql}", {})
        else:
            self.begin = Statement("BEGIN IMMEDIATE", {})
        # SQLite commits with a statement on the cursor: the driver keeps it prepared, where the connection's
        # commit() (CPython 3.11) parses "COMMIT" again for every transaction. psycopg commits on the connection.
        self.commit = Statement("COMMIT", {}) if dialect_name == "sqlite" else None
        self.insert_key = self._insert(keys, rows.KEY_COLUMNS)
        self.insert_ca = self._insert(cas, rows.CA_COLUMNS)
        self.insert_cert = self._insert(certificates, rows.CERT_COLUMNS)
        self.insert_crl = self._insert(crls, rows.CRL_COLUMNS)
        self.insert_audit = self._insert(audit, rows.AUDIT_COLUMNS)
        upsert = (sqlite.insert if dialect_name == "sqlite" else postgresql.insert)(meta)
        self.upsert_meta = self.compile(
            upsert.values(key=bindparam("key"), value=bindparam("value")).on_conflict_do_update(
                index_elements=[meta.c.key], set_={"value": upsert.excluded.value}
            )
        )
        self.audit_head = self.compile(audit_head)
        self.revoke = self.compile(
            certificates.update()
            .where(c.serial == bindparam("serial"), c.revoked_at.is_(None))
            .values(revoked_at=bindparam("revoked_at"), revocation_reason=bindparam("reason"))
        )
        # Reads.
        self.get_meta = self.compile(select(meta.c.value).where(meta.c.key == bindparam("key")))
        self.get_key = self.compile(
            select(*_columns(keys, rows.KEY_COLUMNS)).where(keys.c.label == bindparam("label"))
        )
        ca_columns = _columns(cas, rows.CA_COLUMNS)
        self.get_ca = self.compile(select(*ca_columns).where(cas.c.name == bindparam("name")))
        self.list_cas = self.compile(select(*ca_columns).order_by(cas.c.created_at, cas.c.name))
        cert_columns = _columns(certificates, rows.CERT_COLUMNS)
        self.get_cert = self.compile(select(*cert_columns).where(c.serial == bindparam("serial")))
        # Revocation status of a CA chain (at most REVOKED_AMONG_WIDTH serials per query; pad by repeating).
        self.revoked_among = self.compile(
            select(c.serial).where(
                c.serial.in_([bindparam(f"s{i}") for i in range(REVOKED_AMONG_WIDTH)]), c.revoked_at.is_not(None)
            )
        )
        self.cert_exists = self.compile(select(c.id).where(c.serial == bindparam("serial")))
        self.revoked_certs = self.compile(
            select(*cert_columns).where(c.issuer == bindparam("issuer"), c.revoked_at.is_not(None)).order_by(c.id)
        )
        self.latest_crl_number = self.compile(
            select(crls.c.number).where(crls.c.issuer == bindparam("issuer")).order_by(crls.c.number.desc()).limit(1)
        )
        self.latest_crl = self.compile(
            select(*_columns(crls, rows.CRL_COLUMNS))
            .where(crls.c.issuer == bindparam("issuer"))
            .order_by(crls.c.number.desc())
            .limit(1)
        )
        self.audit_page = self.compile(
            select(*_columns(audit, rows.AUDIT_COLUMNS))
            .where(audit.c.seq > bindparam("after"))
            .order_by(audit.c.seq)
            .limit(bindparam("page"))
        )

    def compile(self, statement: ClauseElement) -> Statement:
        """A Core statement as driver-ready SQL for this dialect (also for the feature tables of other modules,
        e.g. ``ca_store.contracts``, run with ``SqlTx.execute``)."""
        compiled = statement.compile(dialect=self._dialect)
        # Our own parameters carry no value; the ones SQLAlchemy made from literals (LIMIT 1) do.
        defaults = {name: value for name, value in compiled.params.items() if value is not None}
        return Statement(str(compiled), defaults)

    def _insert(self, table: Table, names: tuple[str, ...]) -> Statement:
        """INSERT of ``names`` with positional parameters (a tuple in that order, see ``ca_store.rows``): the driver
        binds them without a name lookup per value. No RETURNING of the generated id, nobody reads it."""
        quote = self._dialect.identifier_preparer.quote
        marker = "?" if self.dialect_name == "sqlite" else "%s"
        columns = ", ".join(quote(table.c[name].name) for name in names)
        return Statement(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join([marker] * len(names))})", {})

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
            statement = self._cert_lists[shape] = self.compile(query)
        return statement
