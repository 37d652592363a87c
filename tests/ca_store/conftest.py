"""Fixtures of the store tests: every contract test runs on SQLite (a real file under tmp_path) and on
PostgreSQL (127.0.0.1:5432, database ``test``), each PostgreSQL test in a fresh schema dropped afterwards.

PostgreSQL is skipped, with the reason, only if it can be neither reached nor started.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ca_store import SqlStore, open_store, sqlite_url

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
PG_USERS = ("postgres", "root")


def _probe() -> str | None:
    for user in PG_USERS:
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=3):
                return f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        except psycopg.Error:
            continue
    return None


def _start_cluster() -> None:
    try:
        versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    except OSError:
        return
    for version in versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True, timeout=60, check=False,
        )


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    url = _probe()
    if url is None:
        _start_cluster()
        url = _probe()
    if url is None:
        pytest.skip(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT} (database {PG_DB!r}, users {PG_USERS}) "
                    "and `pg_ctlcluster ... start` did not help")
    return url


def pg_admin(base_url: str) -> psycopg.Connection[tuple[object, ...]]:
    user = base_url.split("//", 1)[1].split("@", 1)[0]
    return psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, autocommit=True)


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A PostgreSQL store URL in a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:20]}"
    yield f"{pg_base_url}?schema={schema}"
    with pg_admin(pg_base_url) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def empty_store(db_url: str) -> Iterator[SqlStore]:
    """A store whose schema does not exist yet."""
    store = open_store(db_url)
    yield store
    store.close()


@pytest.fixture
def store(empty_store: SqlStore) -> SqlStore:
    """A migrated store marked initialised."""
    empty_store.migrate()
    with empty_store.transaction() as tx:
        tx.set_meta("initialized", b"test")
    return empty_store
