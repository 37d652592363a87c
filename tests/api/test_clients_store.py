"""The clients table (``ca_store.clients``) against its migration, and the token secret's once-only creation."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.api.conftest import ApiServer


def test_clients_table_matches_its_migration(api: ApiServer) -> None:
    from ca_store.clients import clients_table

    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        return not (type_ == "table" and name != "clients")

    store = api.services.store
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
        assert compare_metadata(context, clients_table.metadata) == []


def test_token_secret_is_created_once(api: ApiServer) -> None:
    from ca_store.clients import TOKEN_SECRET_META, ClientRepository
    from ca_store.store import open_store

    first = ClientRepository(api.services.store).token_secret()
    other_process_view = ClientRepository(open_store(api.services.store.url))
    assert other_process_view.token_secret() == first and len(first) == 32
    assert api.services.store.get_meta(TOKEN_SECRET_META) == first
