"""API client records (``ca_store.clients``) on both databases: every write and its audit entry commit together."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ca_store import SqlStore
from ca_store.clients import ClientRecord, ClientRepository
from pki.errors import AlreadyExists, NotFound

from .records import NOW as _NOW

NOW = _NOW.replace(microsecond=0)  # client timestamps are kept to the second


def _client(name: str, client_id: str) -> ClientRecord:
    return ClientRecord(client_id, name, "csms", ("DEICE",), "Example CSO", "scrypt$hash", NOW)


def _actions(store: SqlStore) -> list[tuple[str, str]]:
    return [(e.event.action, e.event.target) for e in store.audit_entries()]


def test_add_and_disable_are_audited_once(store: SqlStore) -> None:
    repo = ClientRepository(store)
    repo.add(_client("csms-1", "id-1"), actor="op")
    assert repo.get("id-1") == _client("csms-1", "id-1")
    with pytest.raises(AlreadyExists, match="csms-1"):
        repo.add(_client("csms-1", "id-2"), actor="op")
    assert repo.get("id-2") is None
    disabled = repo.disable("csms-1", actor="op", at=NOW + timedelta(hours=1))
    assert disabled.disabled_at == NOW + timedelta(hours=1) and not disabled.active
    assert repo.disable("id-1", actor="op", at=NOW + timedelta(hours=2)) == disabled  # already disabled: no change
    with pytest.raises(NotFound):
        repo.disable("nobody", actor="op", at=NOW)
    assert _actions(store) == [("client.add", "client:csms-1"), ("client.disable", "client:csms-1")]


def test_a_failing_audit_entry_leaves_no_client(store: SqlStore) -> None:
    repo = ClientRepository(store)
    with pytest.raises(TypeError):  # the audit entry cannot be written (an actor that is not text)
        repo.add(_client("csms-2", "id-3"), actor=None)  # type: ignore[arg-type]
    assert repo.get("id-3") is None and repo.all() == [] and _actions(store) == []


def test_the_token_secret_is_created_and_audited_once(store: SqlStore) -> None:
    first = ClientRepository(store).token_secret(at=NOW)
    assert len(first) == 32 and ClientRepository(store).token_secret(at=NOW) == first
    assert _actions(store) == [("key.create", "key:api.token_secret")]
