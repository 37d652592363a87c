"""The hash-chained audit log: appends, verification with ``pki.audit.verify_chain``, tamper detection and
the database refusing UPDATE/DELETE on the log."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ca_store import SqlStore
from pki.audit import GENESIS, entry_hash, verify_chain
from pki.errors import IntegrityError
from pki.model import AuditEvent

from .conftest import pg_admin
from .records import NOW, certificate, event, seed_ca


def _append(store: SqlStore, count: int) -> None:
    for i in range(count):
        with store.transaction() as tx:
            tx.audit(event("cert.issue", f"cert:{i:02x}", profile="secc", n=str(i)))


def _raw_sql(store: SqlStore, *statements: str) -> None:
    """Run SQL behind the store's back, as someone with file or database access could."""
    if store.dialect == "sqlite":
        conn = sqlite3.connect(store.target.url.database or "", isolation_level=None)
        try:
            for statement in statements:
                conn.execute(statement)
        finally:
            conn.close()
    else:
        base = store.target.display.split("?", 1)[0]
        with pg_admin(base) as pg:
            pg.execute(f'SET search_path TO "{store.target.schema}"')
            for statement in statements:
                pg.execute(statement)


def _without_triggers(store: SqlStore, statement: str) -> None:
    if store.dialect == "sqlite":
        _raw_sql(store, "DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete", statement)
    else:
        _raw_sql(store, "ALTER TABLE audit DISABLE TRIGGER USER", statement, "ALTER TABLE audit ENABLE TRIGGER USER")


def test_entries_chain_from_genesis(store: SqlStore) -> None:
    with store.transaction() as tx:
        first = tx.audit(event("key.create", "key:ca:root", algorithm="EC-P256"))
        second = tx.audit(event("ca.create", "ca:root"))
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert first.hash == entry_hash(GENESIS, 1, first.event)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    _append(store, 3)
    entries = list(store.audit_entries())
    assert entries[:2] == [first, second]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert verify_chain(entries) == 5
    assert entries[2].event.details == {"profile": "secc", "n": "0"}


def test_event_times_in_other_zones_still_verify(store: SqlStore) -> None:
    cest = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 1, 14, 0, tzinfo=cest)
    with store.transaction() as tx:
        entry = tx.audit(AuditEvent("cert.revoke", "cert:01", "op", local, {"reason": "keyCompromise"}))
    assert entry.event.at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC) and entry.event.at.utcoffset() == timedelta(0)
    assert verify_chain(store.audit_entries()) == 1
    assert list(store.audit_entries()) == [entry]


def test_audit_entries_are_paged_in_order(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ca_store.store._AUDIT_PAGE", 2)
    _append(store, 5)
    assert [e.seq for e in store.audit_entries()] == [1, 2, 3, 4, 5]
    assert verify_chain(store.audit_entries()) == 5


def test_rolled_back_audit_leaves_no_gap(store: SqlStore) -> None:
    _append(store, 2)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.audit(event())
        raise RuntimeError("abort")
    _append(store, 1)
    assert [e.seq for e in store.audit_entries()] == [1, 2, 3]
    assert verify_chain(store.audit_entries()) == 3


def test_database_refuses_update_and_delete(store: SqlStore) -> None:
    _append(store, 2)
    for statement in ("UPDATE audit SET actor = 'mallory' WHERE seq = 1", "DELETE FROM audit WHERE seq = 2"):
        with pytest.raises(Exception, match="append-only"):
            _raw_sql(store, statement)
    assert verify_chain(store.audit_entries()) == 2


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE audit SET actor = 'mallory' WHERE seq = 2", r"entry 2 \(cert.issue\) was altered"),
        ("UPDATE audit SET details = '{\"n\":\"9\",\"profile\":\"secc\"}' WHERE seq = 3", "entry 3 .* was altered"),
        ("DELETE FROM audit WHERE seq = 2", "entry 2 is missing"),
        ("DELETE FROM audit WHERE seq = 3", "entry 3 is missing"),
    ],
)
def test_tampering_is_detected(store: SqlStore, statement: str, message: str) -> None:
    # (Cutting off the newest entries leaves a valid, shorter chain: only an anchor kept outside the
    # database, e.g. a published head hash, can show that.)
    _append(store, 4)
    assert verify_chain(store.audit_entries()) == 4
    _without_triggers(store, statement)
    with pytest.raises(IntegrityError, match=message):
        verify_chain(store.audit_entries())


def test_tampering_with_hash_and_link_is_detected(store: SqlStore) -> None:
    _append(store, 3)
    # Recompute entry 2's hash after changing it: entry 3 no longer links to it.
    entries = list(store.audit_entries())
    forged = AuditEvent("cert.issue", "cert:ff", "tester", NOW, {"n": "1", "profile": "secc"})
    new_hash = entry_hash(entries[0].hash, 2, forged).hex()
    blob = f"X'{new_hash}'" if store.dialect == "sqlite" else f"'\\x{new_hash}'::bytea"
    _without_triggers(store, f"UPDATE audit SET target = 'cert:ff', hash = {blob} WHERE seq = 2")
    with pytest.raises(IntegrityError, match="entry 3 does not link to entry 2"):
        verify_chain(store.audit_entries())


def test_issuance_and_its_audit_commit_together(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        cert = certificate()
        tx.add_certificate(cert)
        entry = tx.audit(event(target=f"cert:{cert.serial:x}"))
    assert store.get_certificate(cert.serial) == cert
    assert list(store.audit_entries()) == [entry]
