"""Alembic environment: always online, on the connection ``SqlStore.migrate`` passes in
``config.attributes["connection"]`` (already inside a transaction, and on PostgreSQL already bound to the
store's schema through ``search_path``)."""

from __future__ import annotations

from alembic import context

__all__: list[str] = []


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError("ca_store migrations run only through ca_store.SqlStore.migrate()")
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


_run()
