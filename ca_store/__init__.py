"""The CA store: SQLAlchemy 2 implementation of ``pki.ports.Store`` (SQLite file by default, PostgreSQL by
URL), Alembic migrations, CA private keys encrypted at rest (``SoftKeyStore``) and the hash-chained,
append-only audit log.

    store = open_store(sqlite_url(Path("var/data")))     # or "postgresql+psycopg://user@host/db?schema=pnc"
    store.migrate()
    keys = SoftKeyStore(store, passphrase)
    with store.transaction() as tx:
        keys.initialize(tx)                             # once, at `pnc init`
        tx.set_meta("initialized", b"...")
"""

from ca_store.engine import NOT_INITIALISED
from ca_store.keys import ALGORITHMS, CachingKeyStore, SoftKeyStore
from ca_store.store import DB_FILENAME, SqlStore, SqlTx, open_store, sqlite_url

__all__ = [
    "open_store",
    "sqlite_url",
    "SqlStore",
    "SqlTx",
    "SoftKeyStore",
    "CachingKeyStore",
    "ALGORITHMS",
    "DB_FILENAME",
    "NOT_INITIALISED",
]
