"""Opening stores: URLs, unreachable and uninitialised databases, schema creation and migrations."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ca_store import NOT_INITIALISED, SqlStore, open_store, sqlite_url
from ca_store.schema import metadata
from pki.errors import StoreUnavailable

from .records import certificate, seed_ca


def test_unreachable_postgresql_names_the_url_without_password() -> None:
    store = open_store("postgresql+psycopg://pnc:s3cret-pw@127.0.0.1:1/test?schema=pnc")
    with pytest.raises(StoreUnavailable) as caught:
        store.is_initialized()
    message = str(caught.value)
    assert "postgresql+psycopg://pnc@127.0.0.1:1/test?schema=pnc" in message
    assert "s3cret" not in message
    for operation in (lambda: store.get_ca("root"), store.migrate, lambda: store.transaction().__enter__()):
        with pytest.raises(StoreUnavailable, match="127.0.0.1:1"):
            operation()
    store.close()


def test_unopenable_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    store = open_store(f"sqlite:///{tmp_path}/file/pnc.sqlite3")
    with pytest.raises(StoreUnavailable, match="unable to open database file"):
        store.is_initialized()
    store.close()


def test_bad_urls() -> None:
    with pytest.raises(StoreUnavailable, match="invalid database URL"):
        open_store("not a url")
    with pytest.raises(StoreUnavailable, match="unsupported database 'mysql'"):
        open_store("mysql://u@h/db")
    with pytest.raises(StoreUnavailable, match="in-memory SQLite is not supported"):
        open_store("sqlite://")
    with pytest.raises(StoreUnavailable, match="invalid schema name"):
        open_store("postgresql://u@h/db?schema=Robert'); DROP TABLE x;--")


def test_plain_postgresql_url_uses_psycopg() -> None:
    assert open_store("postgresql://u@h/db").url == "postgresql+psycopg://u@h/db"
    assert open_store("postgres://u:pw@h:5433/db").url == "postgresql+psycopg://u@h:5433/db"


def test_not_initialised(empty_store: SqlStore) -> None:
    assert not empty_store.is_initialized()
    for read in (lambda: empty_store.get_ca("root"), empty_store.list_cas, lambda: list(empty_store.audit_entries())):
        with pytest.raises(StoreUnavailable, match=f"^{NOT_INITIALISED.replace('`', '.')}$"):
            read()
    with pytest.raises(StoreUnavailable, match="run `pnc init`"), empty_store.transaction() as tx:
        seed_ca(tx)
    empty_store.migrate()
    assert not empty_store.is_initialized()  # schema alone is not an initialised PKI
    with empty_store.transaction() as tx:
        tx.set_meta("initialized", b"2025-01-01T00:00:00+00:00")
    assert empty_store.is_initialized()


def test_migrate_is_idempotent_and_keeps_data(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        cert = certificate()
        tx.add_certificate(cert)
    store.migrate()
    assert store.get_certificate(cert.serial) == cert


def test_tables_match_the_migrations(store: SqlStore) -> None:
    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        return not (type_ == "table" and name not in metadata.tables)  # other features' tables are theirs

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_postgresql_schemas_isolate_stores(pg_url: str) -> None:
    first = open_store(pg_url)
    second = open_store(pg_url.replace("?schema=t_", "?schema=u_"))
    try:
        first.migrate()
        second.migrate()
        with first.transaction() as tx:
            seed_ca(tx)
        assert first.get_ca("root") is not None and second.get_ca("root") is None
        assert first.target.advisory_lock_key != second.target.advisory_lock_key
    finally:
        with second.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{second.target.schema}" CASCADE'))
        first.close()
        second.close()


def test_sqlite_file_settings(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    url = sqlite_url(data)
    assert url == f"sqlite:///{data.resolve()}/pnc.sqlite3"
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    store = open_store(url)
    store.migrate()
    assert stat.S_IMODE(os.stat(data / "pnc.sqlite3").st_mode) == 0o600
    with store.engine.connect() as conn:
        pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 30000}
    store.close()


def test_opening_and_reading_a_store_does_not_import_alembic(tmp_path: Path) -> None:
    """Alembic is loaded by ``migrate`` only: `pnc ca list` and the API's start-up do not pay for it."""
    import subprocess
    import sys

    code = ("import sys; from ca_store import open_store, sqlite_url; from ca_store.services import open_services; "
            f"s = open_store(sqlite_url(__import__('pathlib').Path({str(tmp_path / 'd')!r}))); s.is_initialized(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_asking_an_absent_sqlite_store_creates_no_file(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path / "d"))
    assert not store.is_initialized()
    assert list((tmp_path / "d").iterdir()) == []
    store.migrate()
    assert (tmp_path / "d" / "pnc.sqlite3").exists() and not store.is_initialized()
    store.close()
