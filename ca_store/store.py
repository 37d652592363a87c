"""``SqlStore``: the ``pki.ports.Store`` over SQLite or PostgreSQL, and its write transaction ``SqlTx``.

Concurrency rules (several ``pnc`` processes or API workers may write at once):

* SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, so it holds the database's single write
  lock from its first statement; the audit chain head is therefore read and extended under that lock, and
  waiting writers queue for up to the busy timeout.
* PostgreSQL: the first ``audit()`` of a transaction takes ``pg_advisory_xact_lock`` (one key per schema) and
  only then reads the head (READ COMMITTED: a new statement sees the previous holder's commit), so two
  processes never append the same ``seq``; the lock is released at commit/rollback. The primary key on
  ``seq`` backs this up.

A transaction in which a database statement failed is dead: any later call raises again and leaving the
block never commits (PostgreSQL aborts such a transaction anyway; SQLite would otherwise commit the rest).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import PoolProxiedConnection

from ca_store import rows
from ca_store.codec import MAX_SERIAL, Codec, serial_to_hex
from ca_store.engine import Target, build_engine, is_missing_schema, parse_target, to_pki_error, translate_errors
from ca_store.sql import Sql, Statement
from pki.audit import GENESIS, entry_hash
from pki.errors import AlreadyRevoked, NotFound
from pki.model import (
    AuditEntry,
    AuditEvent,
    CaRecord,
    CertificateRecord,
    CrlRecord,
    KeyRecord,
    RevocationReason,
)

__all__ = ["SqlStore", "SqlTx", "open_store", "sqlite_url", "DB_FILENAME"]

DB_FILENAME = "pnc.sqlite3"
_AUDIT_PAGE = 1000
_ErrorTypes = tuple[type[BaseException], ...]


def sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded store under ``data_dir`` (created 0700 if missing: it holds the CA keys)."""
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700, parents=True)
        data_dir.chmod(0o700)  # mkdir's mode is filtered by the umask
    return f"sqlite:///{(data_dir / DB_FILENAME).resolve()}"


def open_store(url: str) -> SqlStore:
    """Open (lazily: nothing connects yet) the store at ``url``: ``sqlite:////abs/path/pnc.sqlite3`` or
    ``postgresql+psycopg://user[:password]@host[:port]/db[?schema=name]``."""
    return SqlStore(parse_target(url))


class SqlTx:
    """One write transaction (``pki.ports.StoreTx``). Obtain it from ``SqlStore.transaction()``."""

    def __init__(self, cursor: Any, store: SqlStore) -> None:
        self._cursor = cursor
        self._sql = store.sql
        self._codec = store.codec
        self._target = store.target
        self._errors = store.db_errors
        self._head: tuple[int, bytes] | None = None
        self._failed: Exception | None = None

    def _exec(self, statement: Statement, params: Mapping[str, Any] | None = None, what: str = "") -> Any:
        self.check_usable()
        try:
            self._cursor.execute(statement.text, statement.params(params))
        except self._errors as exc:
            self._failed = to_pki_error(exc, self._target, what)
            raise self._failed from exc
        return self._cursor

    def check_usable(self) -> None:
        if self._failed is not None:
            raise type(self._failed)(f"transaction aborted by an earlier error ({self._failed}); nothing was written")

    def add_key(self, key: KeyRecord) -> None:
        self._exec(self._sql.insert_key, rows.key_params(key, self._codec), f"key {key.label!r}")

    def add_ca(self, ca: CaRecord) -> None:
        self._exec(self._sql.insert_ca, rows.ca_params(ca, self._codec), f"CA {ca.name!r}")

    def add_certificate(self, cert: CertificateRecord) -> None:
        self._exec(self._sql.insert_cert, rows.cert_params(cert, self._codec), f"certificate serial {cert.serial:x}")

    def mark_revoked(self, serial: int, at: datetime, reason: RevocationReason) -> CertificateRecord:
        if not 0 <= serial < MAX_SERIAL:
            raise NotFound(f"no certificate with serial {serial:x}")
        key = {"serial": serial_to_hex(serial)}
        # "Not yet revoked" is part of the UPDATE: a concurrent second revocation waits for the row lock, then
        # matches nothing, instead of overwriting the first one's time and reason.
        updated = self._exec(self._sql.revoke, {**key, "revoked_at": self._codec.ts_in(at), "reason": reason.value})
        changed = updated.rowcount == 1
        row = self._exec(self._sql.get_cert, key).fetchone()
        if row is None:
            raise NotFound(f"no certificate with serial {serial:x}")
        record = rows.cert_record(row, self._codec)
        if not changed:
            when = record.revoked_at.isoformat() if record.revoked_at is not None else "?"
            raise AlreadyRevoked(f"certificate {serial:x} was already revoked at {when}")
        return record

    def add_crl(self, crl: CrlRecord) -> None:
        self._exec(self._sql.insert_crl, rows.crl_params(crl, self._codec), f"CRL {crl.number} of {crl.issuer!r}")

    def set_meta(self, key: str, value: bytes) -> None:
        self._exec(self._sql.upsert_meta, {"key": key, "value": value}, f"meta {key!r}")

    def audit(self, event: AuditEvent) -> AuditEntry:
        event = rows.normalise_event(event)
        if self._head is None:
            if self._target.dialect == "postgresql":
                self._exec(self._sql.audit_lock, {"key": self._target.advisory_lock_key}, "audit lock")
            head = self._exec(self._sql.audit_head).fetchone()
            self._head = (0, GENESIS) if head is None else (int(head[0]), bytes(head[1]))
        seq, prev = self._head[0] + 1, self._head[1]
        entry = AuditEntry(seq, event, prev, entry_hash(prev, seq, event))
        self._exec(self._sql.insert_audit, rows.audit_params(entry, self._codec), f"audit entry {seq}")
        self._head = (seq, entry.hash)
        return entry


class SqlStore:
    """``pki.ports.Store`` over SQLite or PostgreSQL. Thread-safe (pooled connections); not fork-safe: open
    a new store in each process."""

    def __init__(self, target: Target, engine: Engine | None = None) -> None:
        self.target = target
        self.engine = engine if engine is not None else build_engine(target)
        self.sql = Sql(target.dialect)
        self.codec = Codec(target.dialect)
        dbapi_error: type[BaseException] = self.engine.dialect.loaded_dbapi.Error
        self.db_errors: _ErrorTypes = (dbapi_error, sa_exc.SQLAlchemyError)

    @property
    def url(self) -> str:
        """The URL without its password (safe to print)."""
        return self.target.display

    @property
    def dialect(self) -> str:
        return self.target.dialect

    def close(self) -> None:
        self.engine.dispose()

    # -- schema -----------------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision, atomically (idempotent)."""
        config = Config()
        config.set_main_option("script_location", "ca_store:migrations")
        with translate_errors(self.target, "migration"):
            with self.engine.connect() as conn:
                conn.exec_driver_sql(self.sql.begin.text)
                if self.target.schema is not None:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.target.schema}"')
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
        database = self.target.url.database
        if self.dialect == "sqlite" and database:
            os.chmod(database, 0o600)  # CA keys (encrypted) and the audit log: owner only

    def is_initialized(self) -> bool:
        try:
            row = self._fetch_raw(self.sql.get_meta, {"key": "initialized"})
        except self.db_errors as exc:
            if is_missing_schema(exc):
                return False
            raise to_pki_error(exc, self.target) from exc
        return bool(row)

    # -- writes -----------------------------------------------------------------------------------------

    def _checkout(self) -> PoolProxiedConnection:
        try:
            return self.engine.raw_connection()
        except self.db_errors as exc:
            raise to_pki_error(exc, self.target, "connect") from exc

    @contextmanager
    def transaction(self) -> Iterator[SqlTx]:
        raw = self._checkout()
        try:
            tx = SqlTx(raw.cursor(), self)
            tx._exec(self.sql.begin, None, "transaction")
            yield tx
            tx.check_usable()
            try:
                raw.commit()
            except self.db_errors as exc:
                raise to_pki_error(exc, self.target, "commit") from exc
        except BaseException:
            try:
                raw.rollback()
            except self.db_errors:  # connection gone: the database discards the transaction itself
                pass
            raise
        finally:
            raw.close()

    # -- reads ------------------------------------------------------------------------------------------

    def _fetch_raw(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(statement.text, statement.params(params))
            return list(cursor.fetchall())
        finally:
            raw.close()

    def _fetch(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        try:
            return self._fetch_raw(statement, params)
        except self.db_errors as exc:
            raise to_pki_error(exc, self.target) from exc

    def get_meta(self, key: str) -> bytes | None:
        found = self._fetch(self.sql.get_meta, {"key": key})
        return bytes(found[0][0]) if found else None

    def get_key(self, label: str) -> KeyRecord | None:
        found = self._fetch(self.sql.get_key, {"label": label})
        return rows.key_record(found[0], self.codec) if found else None

    def get_ca(self, name: str) -> CaRecord | None:
        found = self._fetch(self.sql.get_ca, {"name": name})
        return rows.ca_record(found[0], self.codec) if found else None

    def list_cas(self) -> list[CaRecord]:
        return [rows.ca_record(row, self.codec) for row in self._fetch(self.sql.list_cas)]

    def get_certificate(self, serial: int) -> CertificateRecord | None:
        if not 0 <= serial < MAX_SERIAL:
            return None
        found = self._fetch(self.sql.get_cert, {"serial": serial_to_hex(serial)})
        return rows.cert_record(found[0], self.codec) if found else None

    def serial_exists(self, serial: int) -> bool:
        if not 0 <= serial < MAX_SERIAL:
            return False
        return bool(self._fetch(self.sql.cert_exists, {"serial": serial_to_hex(serial)}))

    def list_certificates(
        self,
        *,
        issuer: str | None = None,
        profile: str | None = None,
        revoked: bool | None = None,
        limit: int | None = None,
    ) -> list[CertificateRecord]:
        statement = self.sql.list_certs(
            issuer=issuer is not None, profile=profile is not None, revoked=revoked, limit=limit is not None
        )
        params = {"issuer": issuer, "profile": profile, "limit": limit}
        return [rows.cert_record(row, self.codec) for row in self._fetch(statement, params)]

    def revoked_certificates(self, issuer: str) -> Sequence[CertificateRecord]:
        return [rows.cert_record(row, self.codec) for row in self._fetch(self.sql.revoked_certs, {"issuer": issuer})]

    def latest_crl(self, issuer: str) -> CrlRecord | None:
        found = self._fetch(self.sql.latest_crl, {"issuer": issuer})
        return rows.crl_record(found[0], self.codec) if found else None

    def audit_entries(self) -> Iterator[AuditEntry]:
        """All entries, seq ascending, read in pages (no connection stays open between pages)."""
        after = 0
        while True:
            page = self._fetch(self.sql.audit_page, {"after": after, "page": _AUDIT_PAGE})
            for row in page:
                yield rows.audit_entry(row, self.codec)
            if len(page) < _AUDIT_PAGE:
                return
            after = int(page[-1][0])
