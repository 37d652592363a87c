"""Engines for the two supported databases, and the one place database errors become ``pki.errors``.

SQLite (the embedded default): WAL journal so readers never block the writer, ``synchronous=NORMAL`` (in WAL
mode a commit survives a process crash; only an OS crash may lose the last commits, never corrupt the file),
foreign keys on, a 30 s busy timeout so concurrent processes queue for the write lock instead of failing,
and Python's implicit transactions off so the store itself issues ``BEGIN IMMEDIATE`` for writes. A new database
gets 4 KiB pages (``SQLITE_PAGE_SIZE``); an existing one keeps the page size it was created with.

PostgreSQL (``postgresql+psycopg://``; plain ``postgresql://`` and ``postgres://`` are read as psycopg 3):
connections in autocommit mode too (a read is one round trip; writes issue ``BEGIN``), and an optional
``?schema=NAME`` query parameter puts the whole store in that schema (via ``search_path``), so several
instances, or test runs, share one database without seeing each other.

Either way, code that uses ``engine.connect()`` directly runs each statement in its own transaction unless
it issues ``BEGIN`` itself.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from pki.errors import AlreadyExists, NotFound, StoreUnavailable

__all__ = [
    "Target",
    "parse_target",
    "build_engine",
    "translate_errors",
    "to_pki_error",
    "is_missing_schema",
    "original_error",
    "NOT_INITIALISED",
    "BUSY_TIMEOUT_S",
    "SQLITE_PAGE_SIZE",
]

BUSY_TIMEOUT_S = 30
# Checkpoint the WAL into the database every 10,000 pages (~40 MB of 4 KiB pages) instead of SQLite's 1,000: each
# checkpoint costs two fsyncs inside some unlucky commit, and the default would pay them every ~250 certificates.
# Measured (ext4 VM): with 4 KiB pages the checkpoint comes every ~2,560 issuances and stalls its commit 32-35 ms,
# mostly writing back the WAL's ~16 KB per issuance (session 6; with 8 KiB pages it was 50-65 ms every ~2,900).
# That cost per issuance (~13-20 us) is the same at 1,000 pages, only spread thinner. Issuing from a reused WAL
# (after the first checkpoint) is ~5-10% faster than from a growing one, which pays for new page-cache pages; the
# two effects about cancel out (session 5).
WAL_CHECKPOINT_PAGES = 10_000
# Pages of 4 KiB (SQLite's default, set explicitly so a build with another default does not change it). Each commit
# writes every page it touched whole to the WAL (about four per issuance: the certificate's leaf, the serial index
# leaf, the audit leaf, now and then a new page's parent and the header), so the page size sets the bytes written
# per issuance. Measured in session 6 (ext4 VM, alternating runs of 3,000 issuances): 4 KiB pages issue 2-8% faster
# than 8 KiB (mean 5%, every one of 6 pairs; bench/issuance.py ratio 0.258-0.266 against 0.252-0.257), and the
# bare store statements take 40 us per issuance against 47 us. An earlier session had measured 8 KiB 4% ahead
# (3.5 instead of 4.0 frames, but each twice the bytes); stores created then keep their 8 KiB pages.
SQLITE_PAGE_SIZE = 4096
CONNECT_TIMEOUT_S = 10
NOT_INITIALISED = "store not initialised: run `pnc init`"
_SCHEMA_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed store URL: the driver URL, the schema (PostgreSQL only) and a password-free display form."""

    url: URL
    schema: str | None
    display: str

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def advisory_lock_key(self) -> int:
        """A stable signed 64-bit key for ``pg_advisory_xact_lock``, one per schema (one chain per schema)."""
        digest = hashlib.sha256(f"pnc-audit-chain:{self.schema or ''}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def parse_target(url: str) -> Target:
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise StoreUnavailable(f"invalid database URL: {exc}") from None
    backend = parsed.get_backend_name()
    schema: str | None = None
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        raw = parsed.query.get("schema")
        if raw is not None:
            schema = raw if isinstance(raw, str) else raw[-1]
            if not _SCHEMA_RE.fullmatch(schema):
                raise StoreUnavailable(f"invalid schema name {schema!r}: use [a-z_][a-z0-9_]*, at most 63 characters")
            parsed = parsed.difference_update_query(["schema"])
    elif backend == "sqlite":
        # In-memory SQLite gives every pooled connection its own empty database (or, with one shared
        # connection, lets a read's reset roll back an open write): use a file, e.g. in a temporary directory.
        if not parsed.database or parsed.database == ":memory:" or "mode=memory" in parsed.database:
            raise StoreUnavailable("in-memory SQLite is not supported: give a file (sqlite:////path/pnc.sqlite3)")
    else:
        raise StoreUnavailable(f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://")
    display = parsed._replace(password=None).render_as_string(hide_password=False)  # set() keeps None fields
    if schema is not None:
        display += f"{'&' if '?' in display else '?'}schema={schema}"
    return Target(parsed, schema, display)


def build_engine(target: Target) -> Engine:
    if target.dialect == "sqlite":
        return _sqlite_engine(target)
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if target.schema is not None:
        connect_args["options"] = f"-c search_path={target.schema}"
    engine = create_engine(target.url, connect_args=connect_args, pool_size=2, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.autocommit = True  # reads need no transaction; the store issues BEGIN itself for writes

    return engine


def _null(_value: None) -> None:
    return None


# sqlite3 binds int, float, str and bytearray directly but sends every other value, bytes and None included,
# through its adapter registry; a value without an adapter costs a failed registry lookup and two attribute
# probes, one of which formats an AttributeError and throws it away (CPython 3.11 microprotocols.c). An issuance
# binds six such values. Identity adapters for the two types make that a dict hit and a call; they change no
# value, so any other sqlite3 user in the process binds exactly what it bound before.
sqlite3.register_adapter(bytes, bytes)
sqlite3.register_adapter(type(None), _null)


def _sqlite_engine(target: Target) -> Engine:
    engine = create_engine(target.url, connect_args={"timeout": BUSY_TIMEOUT_S}, pool_reset_on_return=None)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN: the store issues BEGIN IMMEDIATE itself
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # takes effect only on a new database
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        finally:
            cursor.close()

    return engine


def original_error(exc: BaseException) -> BaseException:
    """The DBAPI exception (sqlite3 / psycopg) behind a SQLAlchemy wrapper, or ``exc`` itself."""
    return exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(original_error(exc), "sqlstate", None)
    return state if isinstance(state, str) else None


def _is_a(exc: BaseException, dbapi_class: str) -> bool:
    """DBAPI 2 (PEP 249) exception classes have the same names in every driver."""
    return any(cls.__name__ == dbapi_class for cls in type(exc).__mro__)


def is_missing_schema(exc: BaseException) -> bool:
    """A table (hence the schema) does not exist: SQLite 'no such table', PostgreSQL undefined_table."""
    return _sqlstate(exc) in ("42P01", "3F000") or "no such table" in str(original_error(exc))


def to_pki_error(exc: BaseException, target: Target, what: str = "") -> Exception:
    """The error to raise instead of a database exception (raw DBAPI or SQLAlchemy-wrapped): duplicates ->
    AlreadyExists, dangling references -> NotFound, missing tables -> StoreUnavailable(NOT_INITIALISED), a
    value SQLAlchemy refused to bind -> that ValueError, everything else -> StoreUnavailable naming the URL
    (without its password)."""
    if isinstance(exc, sa_exc.StatementError) and isinstance(exc.orig, ValueError | TypeError):
        return exc.orig
    orig = original_error(exc)
    message = _first_line(str(orig))
    state = _sqlstate(exc)
    if state == "23503" or "FOREIGN KEY constraint" in message:
        return NotFound(f"{what or 'write'} refers to an unknown CA or key ({message})")
    if _is_a(orig, "IntegrityError"):
        return AlreadyExists(f"{what or 'record'} already exists ({message})")
    if is_missing_schema(exc):
        return StoreUnavailable(NOT_INITIALISED)
    if "database is locked" in message:
        return StoreUnavailable(f"database {target.display} stayed locked by another writer for {BUSY_TIMEOUT_S} s")
    return StoreUnavailable(f"database {target.display} unavailable: {message}")


@contextmanager
def translate_errors(target: Target, what: str = "") -> Iterator[None]:
    """Run a block, raising ``to_pki_error`` of any database exception."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        raise to_pki_error(exc, target, what) from exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
