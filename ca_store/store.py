"""``SqlStore``: the ``pki.ports.Store`` over SQLite or PostgreSQL, and its write transaction ``SqlTx``.

Concurrency rules (several ``pnc`` processes or API workers may write at once):

* SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, so it holds the database's single write
  lock from its first statement; the audit chain head is therefore read and extended under that lock, and
  waiting writers queue for up to the busy timeout.
* PostgreSQL: every write transaction takes ``pg_advisory_xact_lock`` (one key per schema) and only then
  reads the head (READ COMMITTED: a new statement sees the previous holder's commit), both in the round trip
  of its BEGIN, so two processes never append the same ``seq``; the lock is released at commit/rollback.
  The primary key on ``seq`` backs this up.

The hot path (one certificate plus its audit entry per transaction, thousands per second) runs precompiled
SQL (``ca_store.sql``) on the DBAPI cursor and reuses connections through a small idle list, skipping
SQLAlchemy's per-statement and per-checkout machinery.

A transaction in which a database statement failed is dead: any later call raises again and leaving the
block never commits (PostgreSQL aborts such a transaction anyway; SQLite would otherwise commit the rest).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import PoolProxiedConnection

from ca_store import rows
from ca_store.codec import MAX_SERIAL, Codec, serial_from_hex, serial_to_hex
from ca_store.engine import (
    Target,
    build_engine,
    is_missing_schema,
    original_error,
    parse_target,
    to_pki_error,
    translate_errors,
)
from ca_store.sql import REVOKED_AMONG_WIDTH, Sql, Statement
from pki.audit import GENESIS, canonical_details, entry_hash
from pki.errors import AlreadyRevoked, NotFound, StoreUnavailable
from pki.model import (
    AuditEntry,
    AuditEvent,
    CaRecord,
    CertificateRecord,
    CrlRecord,
    KeyRecord,
    RevocationReason,
)

__all__ = ["SqlStore", "SqlTx", "UnrevokedCache", "open_store", "sqlite_url", "DB_FILENAME"]

DB_FILENAME = "pnc.sqlite3"
_AUDIT_PAGE = 1000
_MAX_IDLE = 4  # connections kept for reuse (the SQLAlchemy pool holds 5 + 10 overflow)
_ErrorTypes = tuple[type[BaseException], ...]
_Pooled = tuple[PoolProxiedConnection, Any]  # a connection and the DBAPI cursor kept with it


def sqlite_url(data_dir: Path, *, create: bool = True) -> str:
    """The URL of the embedded store under ``data_dir`` (created 0700 if missing and ``create``: it holds the CA
    keys; commands that only read leave a mistyped directory alone)."""
    if create and not data_dir.exists():
        try:
            data_dir.mkdir(mode=0o700, parents=True)
            data_dir.chmod(0o700)  # mkdir's mode is filtered by the umask
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the data directory {data_dir}: {exc.strerror or exc}") from None
    return f"sqlite:///{(data_dir / DB_FILENAME).resolve()}"


def open_store(url: str) -> SqlStore:
    """Open (lazily: nothing connects yet) the store at ``url``: ``sqlite:////abs/path/pnc.sqlite3`` or
    ``postgresql+psycopg://user[:password]@host[:port]/db[?schema=name]``."""
    return SqlStore(parse_target(url))


class SqlTx:
    """One write transaction (``pki.ports.StoreTx``), used as ``with store.transaction() as tx:``: entering
    takes a pooled connection and begins, leaving commits (or rolls back on an exception) and returns it."""

    def __init__(self, store: SqlStore, *, deferred_writes: bool = False) -> None:
        self._store = store
        self._sql = store.sql
        self._codec = store.codec
        self._target = store.target
        self._errors = store.db_errors
        self._raw: PoolProxiedConnection | None = None
        self._cursor: Any = None
        self._head: tuple[int, bytes] | None = None
        self._begin_head: tuple[int, bytes] | None = None  # the audit head as this transaction found it
        self._unrevoked: set[tuple[int, ...]] = set()  # serial sets this transaction found unrevoked
        self._revoked_any = False  # this transaction revoked something
        self._failed: Exception | None = None
        # Deferred writes on PostgreSQL: the INSERTs of add_certificate and audit wait, to go to the server in one
        # pipeline with the COMMIT (or before the transaction's next statement, so it still reads its own writes).
        self._pending: list[tuple[Statement, Sequence[Any], str]] = []
        self._defer = deferred_writes and store.sql.dialect_name == "postgresql"

    def __enter__(self) -> SqlTx:
        if self._raw is not None:
            raise RuntimeError("a store transaction cannot be entered twice")
        lock = self._store.write_lock
        if lock is not None:
            lock.acquire()
        try:
            self._raw, self._cursor = self._store.checkout()
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        try:
            cursor = self.execute(self._sql.begin, None, "transaction")
            if self._sql.head_at_begin:  # results: BEGIN, the advisory lock, the audit head
                cursor.nextset()
                cursor.nextset()
                self._set_head(cursor.fetchone())
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                self._commit()
            else:
                self._rollback()
        finally:
            self._release()

    def _commit(self) -> None:
        assert self._raw is not None
        try:
            self.check_usable()
            if self._pending:
                self._flush(commit=True)
            elif self._sql.commit is not None:
                self._cursor.execute(self._sql.commit.text)
            else:
                self._raw.commit()
            self._store.unrevoked.committed(self._begin_head, self._head, self._unrevoked, self._revoked_any)
        except self._errors as exc:
            self._rollback()
            self._failed = to_pki_error(exc, self._target, "commit")
            raise self._failed from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._raw is not None:
            try:
                self._raw.rollback()
                # The cursor stays with the connection: close it (a query it left unfinished would hold an SQLite
                # read snapshot while the connection sits idle) and give the connection a fresh one.
                self._cursor.close()
                self._cursor = self._raw.cursor()
            except self._errors as exc:  # connection gone: the database discards the transaction itself
                self._failed = self._failed or to_pki_error(exc, self._target, "rollback")

    def _release(self) -> None:
        raw, cursor, self._raw, self._cursor = self._raw, self._cursor, None, None
        if raw is not None:
            try:
                self._store.checkin((raw, cursor), healthy=self._failed is None)
            finally:
                if self._store.write_lock is not None:
                    self._store.write_lock.release()

    def execute(
        self, statement: Statement, params: Mapping[str, Any] | Sequence[Any] | None = None, what: str = ""
    ) -> Any:
        """Run one statement in this transaction and return the cursor; a database error becomes a
        ``pki.errors`` error (``what`` names the object in its message) and kills the transaction. ``params``:
        named (a mapping) or, for the INSERTs of ``ca_store.sql``, positional (a sequence)."""
        if self._failed is not None or self._cursor is None:
            self.check_usable()
        if self._pending:
            self._flush(commit=False)
        values = params
        if statement.defaults and (params is None or type(params) is dict or isinstance(params, Mapping)):
            values = statement.params(params)
        try:
            if values is None:
                self._cursor.execute(statement.text)
            else:
                self._cursor.execute(statement.text, values)
        except self._errors as exc:
            self._failed = to_pki_error(exc, self._target, what)
            raise self._failed from exc
        return self._cursor

    def _write(self, statement: Statement, params: Sequence[Any], what: str) -> None:
        """An INSERT whose result nobody reads: deferred (see ``__init__``) or run now. A database error is raised
        when it runs, naming ``what``."""
        if not self._defer:
            self.execute(statement, params, what)
            return
        if self._failed is not None or self._cursor is None:
            self.check_usable()
        self._pending.append((statement, params, what))

    def _flush(self, *, commit: bool) -> None:
        """Send the waiting INSERTs (and the COMMIT) in one psycopg pipeline: one round trip, errors at its end."""
        pending, self._pending = self._pending, []
        assert self._raw is not None
        try:
            with self._raw.dbapi_connection.pipeline():  # type: ignore[union-attr]
                for statement, params, _what in pending:
                    self._cursor.execute(statement.text, params)
                if commit:
                    self._cursor.execute("COMMIT")
        except self._errors as exc:
            self._failed = to_pki_error(exc, self._target, _failed_write(exc, pending))
            raise self._failed from exc

    def check_usable(self) -> None:
        if self._failed is not None:
            raise type(self._failed)(f"transaction aborted by an earlier error ({self._failed}); nothing was written")
        if self._cursor is None:
            raise RuntimeError("store transaction used outside its `with` block")

    def _set_head(self, row: Any) -> None:
        self._head = self._begin_head = (0, GENESIS) if row is None else (int(row[0]), bytes(row[1]))

    def _read_head(self) -> tuple[int, bytes]:
        if self._head is None:
            self._set_head(self.execute(self._sql.audit_head).fetchone())
            assert self._head is not None
        return self._head

    def add_key(self, key: KeyRecord) -> None:
        self.execute(self._sql.insert_key, rows.key_params(key, self._codec), f"key {key.label!r}")

    def add_ca(self, ca: CaRecord) -> None:
        self.execute(self._sql.insert_ca, rows.ca_params(ca, self._codec), f"CA {ca.name!r}")

    def add_certificate(self, cert: CertificateRecord) -> None:
        self._write(self._sql.insert_cert, rows.cert_params(cert, self._codec), f"certificate serial {cert.serial:x}")

    def mark_revoked(self, serial: int, at: datetime, reason: RevocationReason) -> CertificateRecord:
        if not 0 <= serial < MAX_SERIAL:
            raise NotFound(f"no certificate with serial {serial:x}")
        key = {"serial": serial_to_hex(serial)}
        self._revoked_any = True
        # "Not yet revoked" is part of the UPDATE: a concurrent second revocation waits for the row lock, then
        # matches nothing, instead of overwriting the first one's time and reason.
        updated = self.execute(self._sql.revoke, {**key, "revoked_at": self._codec.ts_in(at), "reason": reason.value})
        changed = updated.rowcount == 1
        row = self.execute(self._sql.get_cert, key).fetchone()
        if row is None:
            raise NotFound(f"no certificate with serial {serial:x}")
        record = rows.cert_record(row, self._codec)
        if not changed:
            when = record.revoked_at.isoformat() if record.revoked_at is not None else "?"
            raise AlreadyRevoked(f"certificate {serial:x} was already revoked at {when}")
        return record

    def revoked_among(self, serials: Sequence[int]) -> set[int]:
        key = tuple(serials)
        if not self._revoked_any and self._store.unrevoked.known(self._read_head(), key):
            return set()
        found = self._query_revoked(serials)
        if not found:
            self._unrevoked.add(key)
        return found

    def _query_revoked(self, serials: Sequence[int]) -> set[int]:
        found: set[int] = set()
        wanted = [s for s in serials if 0 <= s < MAX_SERIAL]
        for start in range(0, len(wanted), REVOKED_AMONG_WIDTH):
            chunk = wanted[start : start + REVOKED_AMONG_WIDTH]
            chunk += [chunk[-1]] * (REVOKED_AMONG_WIDTH - len(chunk))
            params = {f"s{i}": serial_to_hex(s) for i, s in enumerate(chunk)}
            found.update(int(row[0], 16) for row in self.execute(self._sql.revoked_among, params).fetchall())
        return found

    def latest_crl_number(self, issuer: str) -> int:
        row = self.execute(self._sql.latest_crl_number, {"issuer": issuer}).fetchone()
        return 0 if row is None else serial_from_hex(row[0])

    def revoked_certificates(self, issuer: str) -> Sequence[CertificateRecord]:
        rows_ = self.execute(self._sql.revoked_certs, {"issuer": issuer}).fetchall()
        return [rows.cert_record(row, self._codec) for row in rows_]

    def add_crl(self, crl: CrlRecord) -> None:
        self.execute(self._sql.insert_crl, rows.crl_params(crl, self._codec), f"CRL {crl.number} of {crl.issuer!r}")

    def set_meta(self, key: str, value: bytes) -> None:
        self.execute(self._sql.upsert_meta, {"key": key, "value": value}, f"meta {key!r}")

    def audit(self, event: AuditEvent) -> AuditEntry:
        event = rows.normalise_event(event)
        seq, prev = self._read_head()
        seq += 1
        details = canonical_details(event.details, strings=True)  # normalise_event made them a dict of strings
        entry = AuditEntry(seq, event, prev, entry_hash(prev, seq, event, details))
        self._write(self._sql.insert_audit, rows.audit_params(entry, self._codec, details), f"audit entry {seq}")
        self._head = (seq, entry.hash)
        return entry


def _failed_write(exc: BaseException, pending: Sequence[tuple[Statement, Sequence[Any], str]]) -> str:
    """Which of the pipelined INSERTs ``exc`` is about: the one into the table PostgreSQL names, else all of them."""
    table = getattr(getattr(original_error(exc), "diag", None), "table_name", None)
    for statement, _params, what in pending:
        if table and statement.text.startswith(f"INSERT INTO {table} "):
            return what
    return " or ".join(what for _statement, _params, what in pending) or "commit"


class UnrevokedCache:
    """Which serial sets (an issuing CA's chain) are known to be unrevoked at one audit head, so that issuing
    under the same chain again need not look the revocations up.

    Sound because every revocation appends an audit entry in its own transaction (``CertificateAuthority.revoke``),
    and a head (sequence number and hash, chained) names one history: if a write transaction, holding the write
    lock, reads the very head recorded here, nobody has revoked anything since. A transaction that revoked
    something teaches nothing; after any other commit the sets it found unrevoked, and those known at the head it
    began from, are known at its new head. Any doubt (another head, another process's writes) means a query."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._head: tuple[int, bytes] | None = None
        self._sets: set[tuple[int, ...]] = set()

    def known(self, head: tuple[int, bytes], serials: tuple[int, ...]) -> bool:
        with self._lock:
            return head == self._head and serials in self._sets

    def committed(
        self,
        begin_head: tuple[int, bytes] | None,
        end_head: tuple[int, bytes] | None,
        unrevoked: set[tuple[int, ...]],
        revoked_any: bool,
    ) -> None:
        if revoked_any or begin_head is None or end_head is None:
            if revoked_any:
                self.forget()
            return
        with self._lock:
            carried = self._sets if self._head == begin_head else set()
            self._head, self._sets = end_head, carried | unrevoked

    def forget(self) -> None:
        with self._lock:
            self._head, self._sets = None, set()


class SqlStore:
    """``pki.ports.Store`` over SQLite or PostgreSQL. Thread-safe (pooled connections); not fork-safe: open
    a new store in each process."""

    def __init__(self, target: Target, engine: Engine | None = None) -> None:
        self.target = target
        # SQLite has one writer at a time. Threads of this process queue on this mutex (woken at once) instead
        # of colliding on BEGIN IMMEDIATE and backing off in SQLite's sleeping busy handler; other processes
        # still meet the busy timeout.
        self.write_lock: threading.Lock | None = threading.Lock() if target.dialect == "sqlite" else None
        self.engine = engine if engine is not None else build_engine(target)
        self.sql = Sql(target.dialect, target.advisory_lock_key)
        self.codec = Codec(target.dialect)
        dbapi_error: type[BaseException] = self.engine.dialect.loaded_dbapi.Error
        self.db_errors: _ErrorTypes = (dbapi_error, sa_exc.SQLAlchemyError)
        # Connections this store keeps checked out of the SQLAlchemy pool between its own uses: a list
        # pop/append instead of the pool's checkout/reset/checkin machinery on every issuance. (list.pop and
        # list.append are atomic, so threads share it safely.)
        self._idle: list[_Pooled] = []
        self.unrevoked = UnrevokedCache()

    @property
    def url(self) -> str:
        """The URL without its password (safe to print)."""
        return self.target.display

    @property
    def dialect(self) -> str:
        return self.target.dialect

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[0].close()
        self.engine.dispose()

    # -- schema -----------------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision, atomically (idempotent)."""
        from alembic import command  # imported here: every other command would pay ~0.3 s for it at start-up
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "ca_store:migrations")
        with translate_errors(self.target, "migration"):
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:  # one migration at a time, and none while anything is being written
                    conn.exec_driver_sql("BEGIN")
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({self.target.advisory_lock_key})")
                if self.target.schema is not None:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.target.schema}"')
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
        database = self.target.url.database
        if self.dialect == "sqlite" and database:
            os.chmod(database, 0o600)  # CA keys (encrypted) and the audit log: owner only

    def is_initialized(self) -> bool:
        database = self.target.url.database
        if self.dialect == "sqlite" and database and not os.path.exists(database):
            parent = os.path.dirname(database)
            if os.path.isdir(parent) or not os.path.exists(parent):
                return False  # connecting would create an empty database file (or fail on a directory to come)
        try:
            row = self._fetch_raw(self.sql.get_meta, {"key": "initialized"})
        except self.db_errors as exc:
            if is_missing_schema(exc):
                return False
            raise to_pki_error(exc, self.target) from exc
        return bool(row)

    # -- writes -----------------------------------------------------------------------------------------

    def checkout(self) -> _Pooled:
        """A DBAPI connection in autocommit mode (reads need no BEGIN, writes issue their own) and the DBAPI cursor
        that stays with it (made once per connection, not per use); give both back with ``checkin``."""
        try:
            return self._idle.pop()
        except IndexError:
            pass
        try:
            raw = self.engine.raw_connection()
            return raw, raw.cursor()
        except self.db_errors as exc:
            raise to_pki_error(exc, self.target, "connect") from exc

    def checkin(self, pooled: _Pooled, *, healthy: bool) -> None:
        """Keep a connection for reuse, or (after a database error, or beyond ``_MAX_IDLE``) close it."""
        if healthy and len(self._idle) < _MAX_IDLE:
            self._idle.append(pooled)
        else:
            pooled[0].close()

    def transaction(self, *, deferred_writes: bool = False) -> SqlTx:
        """See ``pki.ports.Store.transaction``: deferred writes are used on PostgreSQL (SQLite has no round trips)."""
        return SqlTx(self, deferred_writes=deferred_writes)

    # -- reads ------------------------------------------------------------------------------------------

    def _fetch_raw(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        pooled = self.checkout()
        healthy = False
        try:
            cursor = pooled[1]
            values = statement.params(params)
            if values is None:
                cursor.execute(statement.text)
            else:
                cursor.execute(statement.text, values)
            found = list(cursor.fetchall())
            healthy = True
            return found
        finally:
            self.checkin(pooled, healthy=healthy)

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
