"""Alembic migrations of the store (run programmatically by ``SqlStore.migrate``; no alembic.ini needed).

To author a new revision: ``alembic -c <any ini with script_location = ca_store:migrations> revision -m ...``
and write ``upgrade``/``downgrade`` by hand against ``ca_store.schema``.
"""

__all__: list[str] = []
