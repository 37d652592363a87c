"""The ``pki.ports.Store`` contract, run on SQLite and PostgreSQL alike (see conftest ``db_url``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ca_store import SqlStore, open_store
from pki.errors import AlreadyExists, AlreadyRevoked, NotFound
from pki.model import KeyRecord, RevocationReason

from .records import NOW, certificate, crl, event, new_serial, seed_ca


def _count_certs(store: SqlStore) -> int:
    return len(store.list_certificates())


def test_key_ca_certificate_round_trip(store: SqlStore) -> None:
    with store.transaction() as tx:
        root = seed_ca(tx)
        sub = seed_ca(tx, "cpo-sub1", issuer="root", profile="cpo-sub1")
    assert store.get_key("ca:root") == KeyRecord("ca:root", "EC-P256", b"sealed-key-blob", NOW)
    assert store.get_key("ca:nope") is None
    assert store.get_ca("root") == root
    assert store.get_ca("cpo-sub1") == sub
    assert store.get_ca("nope") is None
    assert [c.name for c in store.list_cas()] == ["cpo-sub1", "root"]  # same created_at: by name
    assert sub.crl_distribution and not root.crl_distribution
    stored = store.get_certificate(root.serial)
    assert stored is not None and stored.der == root.certificate_der and stored.issuer == "root"


def test_certificate_round_trip_keeps_every_field(store: SqlStore) -> None:
    old = certificate()
    serial = (1 << 159) - 1  # the largest 159-bit serial
    cert = certificate(serial, replaces=old.serial, requester="csms:42",
                       not_after=datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC))
    with store.transaction() as tx:
        seed_ca(tx)
        tx.add_certificate(old)
        tx.add_certificate(cert)
    got = store.get_certificate(serial)
    assert got == cert
    assert got is not None and got.not_after.tzinfo is not None and got.not_after.utcoffset() == timedelta(0)
    assert store.serial_exists(serial) and not store.serial_exists(serial - 1)
    assert store.get_certificate(1 << 170) is None and not store.serial_exists(-1)


def test_datetimes_come_back_aware_utc(store: SqlStore) -> None:
    cest = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 1, 14, 0, 0, 1, tzinfo=cest)
    cert = certificate(created_at=local, not_before=local)
    with store.transaction() as tx:
        seed_ca(tx)
        tx.add_certificate(cert)
    got = store.get_certificate(cert.serial)
    assert got is not None
    assert got.created_at == local and got.created_at.utcoffset() == timedelta(0)
    assert got.created_at == datetime(2025, 6, 1, 12, 0, 0, 1, tzinfo=UTC)


def test_naive_datetime_is_refused_and_nothing_written(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="naive"), store.transaction() as tx:
        seed_ca(tx)
        tx.add_certificate(certificate(created_at=datetime(2025, 1, 1)))
    assert store.list_cas() == [] and _count_certs(store) == 0


def test_list_certificates_filters_and_order(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        seed_ca(tx, "mo-sub2", issuer="root", profile="mo-sub2")
        secc = [certificate(profile="secc") for _ in range(3)]
        contracts = [certificate(issuer="mo-sub2", profile="contract") for _ in range(2)]
        for cert in secc + contracts:
            tx.add_certificate(cert)
    with store.transaction() as tx:
        tx.mark_revoked(secc[1].serial, NOW, RevocationReason.SUPERSEDED)
    everything = store.list_certificates()
    assert len(everything) == 7
    assert [c.serial for c in everything[:2]] == [contracts[1].serial, contracts[0].serial]  # newest first
    assert [c.serial for c in store.list_certificates(issuer="mo-sub2")] == [contracts[1].serial, contracts[0].serial]
    assert {c.serial for c in store.list_certificates(profile="secc")} == {c.serial for c in secc}
    assert [c.serial for c in store.list_certificates(revoked=True)] == [secc[1].serial]
    assert len(store.list_certificates(revoked=False)) == 6
    assert [c.serial for c in store.list_certificates(profile="secc", revoked=False, limit=1)] == [secc[2].serial]
    assert store.list_certificates(issuer="root", profile="contract") == []
    assert [c.serial for c in store.revoked_certificates("root")] == [secc[1].serial]
    assert store.revoked_certificates("mo-sub2") == []


def test_duplicate_serial_is_already_exists_and_nothing_written(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        first = certificate()
        tx.add_certificate(first)
    entries_before = list(store.audit_entries())
    other = certificate()
    with pytest.raises(AlreadyExists, match=f"certificate serial {first.serial:x}"), store.transaction() as tx:
        tx.add_certificate(other)
        tx.audit(event(target=f"cert:{other.serial:x}"))
        tx.add_certificate(certificate(first.serial))
    assert store.get_certificate(other.serial) is None
    assert store.get_certificate(first.serial) == first
    assert list(store.audit_entries()) == entries_before


def test_a_failed_transaction_stays_failed_even_if_the_error_is_caught(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        first = certificate()
        tx.add_certificate(first)
    survivor = certificate()
    with pytest.raises(AlreadyExists, match="aborted by an earlier error"), store.transaction() as tx:
        tx.add_certificate(survivor)
        with pytest.raises(AlreadyExists):
            tx.add_certificate(certificate(first.serial))
        tx.audit(event())  # refused: the transaction is dead on both databases
    assert store.get_certificate(survivor.serial) is None


def test_duplicate_names_and_crl_numbers(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        tx.add_crl(crl(number=1))
    with pytest.raises(AlreadyExists, match="CA 'root'"), store.transaction() as tx:
        tx.add_ca(store.get_ca("root"))  # type: ignore[arg-type]
    with pytest.raises(AlreadyExists, match="key 'ca:root'"), store.transaction() as tx:
        tx.add_key(KeyRecord("ca:root", "EC-P256", b"x", NOW))
    with pytest.raises(AlreadyExists, match="CRL 1 of 'root'"), store.transaction() as tx:
        tx.add_crl(crl(number=1))


def test_dangling_issuer_is_not_found_at_commit(store: SqlStore) -> None:
    orphan = certificate(issuer="no-such-ca")
    with pytest.raises(NotFound, match="unknown CA"), store.transaction() as tx:
        tx.add_certificate(orphan)
    assert store.get_certificate(orphan.serial) is None


def test_rollback_on_exception_writes_nothing(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
    cert = certificate()
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        tx.add_certificate(cert)
        tx.audit(event(target=f"cert:{cert.serial:x}"))
        tx.set_meta("half", b"done")
        raise RuntimeError("boom")
    assert store.get_certificate(cert.serial) is None
    assert list(store.audit_entries()) == []
    assert store.get_meta("half") is None
    with store.transaction() as tx:  # the connection went back to the pool clean: the next write works
        tx.add_certificate(cert)
    assert store.get_certificate(cert.serial) == cert


def test_revoke(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        cert = certificate()
        tx.add_certificate(cert)
    at = NOW + timedelta(hours=1)
    with store.transaction() as tx:
        revoked = tx.mark_revoked(cert.serial, at, RevocationReason.KEY_COMPROMISE)
    assert revoked.revoked and revoked.revoked_at == at
    assert revoked.revocation_reason is RevocationReason.KEY_COMPROMISE
    assert store.get_certificate(cert.serial) == revoked
    with pytest.raises(AlreadyRevoked, match="already revoked at 2025-03-01T13:30:45"), store.transaction() as tx:
        tx.mark_revoked(cert.serial, at + timedelta(hours=1), RevocationReason.SUPERSEDED)
    assert store.get_certificate(cert.serial) == revoked  # first revocation's time and reason kept
    with pytest.raises(NotFound, match="no certificate with serial"), store.transaction() as tx:
        tx.mark_revoked(new_serial(), at, RevocationReason.UNSPECIFIED)
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.mark_revoked(1 << 200, at, RevocationReason.UNSPECIFIED)


def test_every_revocation_reason_round_trips(store: SqlStore) -> None:
    certs = {reason: certificate() for reason in RevocationReason}
    with store.transaction() as tx:
        seed_ca(tx)
        for cert in certs.values():
            tx.add_certificate(cert)
    with store.transaction() as tx:
        for reason, cert in certs.items():
            tx.mark_revoked(cert.serial, NOW, reason)
    for reason, cert in certs.items():
        got = store.get_certificate(cert.serial)
        assert got is not None and got.revocation_reason is reason


def test_crls_latest_by_number(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        seed_ca(tx, "cpo-sub2", issuer="root", profile="cpo-sub2")
        for number in (1, 2, 10, (1 << 159) + 5):  # numeric order, not text order; CRL numbers up to 20 octets
            tx.add_crl(crl(number=number))
        tx.add_crl(crl("cpo-sub2", 1))
    latest = store.latest_crl("root")
    assert latest is not None and latest.number == (1 << 159) + 5
    assert latest.this_update == NOW and latest.next_update == NOW + timedelta(days=7)
    sub = store.latest_crl("cpo-sub2")
    assert sub is not None and sub.number == 1 and sub.issuer == "cpo-sub2"
    assert store.latest_crl("nope") is None


def test_crl_number_and_revocations_read_inside_the_transaction(store: SqlStore) -> None:
    certs = [certificate() for _ in range(3)]
    with store.transaction() as tx:
        seed_ca(tx)
        assert tx.latest_crl_number("root") == 0
        for number in (2, 10, (1 << 159) + 5):
            tx.add_crl(crl(number=number))
        assert tx.latest_crl_number("root") == (1 << 159) + 5  # this transaction's own CRLs, numeric order
        for cert in certs:
            tx.add_certificate(cert)
        tx.mark_revoked(certs[1].serial, NOW, RevocationReason.KEY_COMPROMISE)
        revoked = tx.revoked_certificates("root")
        assert [r.serial for r in revoked] == [certs[1].serial]
        assert revoked[0].revocation_reason is RevocationReason.KEY_COMPROMISE
    assert store.revoked_certificates("root") == revoked


def test_meta_set_overwrites(store: SqlStore) -> None:
    assert store.get_meta("x") is None
    with store.transaction() as tx:
        tx.set_meta("x", b"\x00one")
    with store.transaction() as tx:
        tx.set_meta("x", b"two")
    assert store.get_meta("x") == b"two"
    assert store.get_meta("initialized") == b"test"


def test_transaction_object_is_single_use(store: SqlStore) -> None:
    transaction = store.transaction()
    with transaction as tx:
        seed_ca(tx)
    with pytest.raises(RuntimeError, match="outside its `with` block"):
        tx.add_certificate(certificate())
    with pytest.raises(AlreadyExists), store.transaction() as tx:
        tx.add_certificate(certificate(store.list_cas()[0].serial))
    for _ in range(3):  # the connection that failed was dropped, not reused in a broken state
        cert = certificate()
        with store.transaction() as tx:
            tx.add_certificate(cert)
        assert store.serial_exists(cert.serial)


def test_revoked_among_reads_inside_the_transaction(store: SqlStore) -> None:
    certs = [certificate() for _ in range(6)]
    with store.transaction() as tx:
        seed_ca(tx)
        for cert in certs:
            tx.add_certificate(cert)
    with store.transaction() as tx:
        for index in (0, 4, 5):
            tx.mark_revoked(certs[index].serial, NOW, RevocationReason.CA_COMPROMISE)
        assert tx.revoked_among([]) == set()
        assert tx.revoked_among([certs[1].serial]) == set()
        assert tx.revoked_among([certs[0].serial]) == {certs[0].serial}  # this transaction's own revocation
        everything = [c.serial for c in certs] + [new_serial(), 1 << 170, -1]  # more than one query's width
        assert tx.revoked_among(everything) == {certs[0].serial, certs[4].serial, certs[5].serial}


def test_a_chain_known_unrevoked_is_looked_up_again_once_anything_was_revoked(store: SqlStore, db_url: str) -> None:
    """``revoked_among`` may answer from what an earlier transaction of this store learned only while the audit
    head is the one it left: a revocation by another process (its own store) or by this store is always seen."""
    certs = [certificate() for _ in range(3)]
    with store.transaction() as tx:
        seed_ca(tx)
        for cert in certs:
            tx.add_certificate(cert)
        tx.audit(event())
    chain = (certs[0].serial, certs[1].serial)
    for _ in range(2):
        with store.transaction() as tx:
            assert tx.revoked_among(chain) == set()
            tx.audit(event())
    head = list(store.audit_entries())[-1]
    assert store.unrevoked.known((head.seq, head.hash), chain)  # learned: the next issuance skips the lookup

    other = open_store(db_url)  # another process: its own cache, the same database
    try:
        with other.transaction() as tx:
            tx.mark_revoked(certs[1].serial, NOW, RevocationReason.CA_COMPROMISE)
            tx.audit(event("cert.revoke"))
    finally:
        other.close()
    with store.transaction() as tx:  # a commit of this store after the other's revocation: learns only its own
        assert tx.revoked_among((certs[2].serial,)) == set()
        tx.audit(event())
    with store.transaction() as tx:
        assert tx.revoked_among(chain) == {certs[1].serial}

    chain = (certs[0].serial, certs[2].serial)
    with store.transaction() as tx:
        assert tx.revoked_among(chain) == set()
        tx.audit(event())
    with store.transaction() as tx:  # this store revokes (even without an audit entry): all it knew is forgotten
        tx.mark_revoked(certs[2].serial, NOW, RevocationReason.SUPERSEDED)
    with store.transaction() as tx:
        assert tx.revoked_among(chain) == {certs[2].serial}


def test_a_rolled_back_transaction_leaves_its_connection_holding_no_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Connections keep their cursor between uses; after a rollback a query the transaction left half-read must not
    pin an SQLite read snapshot while the connection sits idle (a full checkpoint would then stay busy)."""
    import sqlite3

    from ca_store import sqlite_url

    url = sqlite_url(tmp_path)
    store = open_store(url)
    store.migrate()
    with store.transaction() as tx:
        seed_ca(tx)
        for _ in range(5):
            tx.add_certificate(certificate())
    statement = store.sql.list_certs(issuer=False, profile=False, revoked=None, limit=False)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        assert tx.execute(statement).fetchone() is not None  # one row of six read, the rest pending
        raise RuntimeError("caller gives up")
    other = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        busy, _log, _done = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        other.close()
    assert busy == 0
    assert _count_certs(store) == 6  # and the pooled connection still works
    store.close()


# -- deferred writes (one round trip with the commit on PostgreSQL; SQLite writes at once) ------------------------


def test_deferred_writes_commit_together_and_chain(store: SqlStore) -> None:
    from pki.audit import verify_chain

    with store.transaction() as tx:
        seed_ca(tx)
    certs = [certificate() for _ in range(3)]
    for cert in certs:
        with store.transaction(deferred_writes=True) as tx:
            tx.add_certificate(cert)
            tx.audit(event(target=f"cert:{cert.serial:x}"))
    assert [store.get_certificate(c.serial) for c in certs] == certs
    entries = list(store.audit_entries())
    assert verify_chain(entries) == len(entries) and entries[-1].event.target == f"cert:{certs[-1].serial:x}"


def test_a_deferred_duplicate_fails_the_block_naming_the_certificate(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
        first = certificate()
        tx.add_certificate(first)
    entries_before = list(store.audit_entries())
    with pytest.raises(AlreadyExists, match=f"certificate serial {first.serial:x}"), \
            store.transaction(deferred_writes=True) as tx:
        tx.audit(event(target="cert:dup"))
        tx.add_certificate(certificate(first.serial))
    assert list(store.audit_entries()) == entries_before
    with store.transaction(deferred_writes=True) as tx:  # the pool is clean: the next transaction works
        second = certificate()
        tx.add_certificate(second)
    assert store.get_certificate(second.serial) == second


def test_a_deferred_transaction_reads_its_own_writes(store: SqlStore) -> None:
    with store.transaction() as tx:
        seed_ca(tx)
    cert = certificate()
    with store.transaction(deferred_writes=True) as tx:
        tx.add_certificate(cert)
        revoked = tx.mark_revoked(cert.serial, NOW, RevocationReason.KEY_COMPROMISE)  # sends the INSERT first
    assert revoked.serial == cert.serial and revoked.revoked
    assert store.revoked_certificates("root") == [revoked]


def test_a_new_sqlite_store_has_4k_pages_and_an_old_one_keeps_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from ca_store import sqlite_url
    from ca_store.engine import SQLITE_PAGE_SIZE

    new = open_store(sqlite_url(tmp_path / "new"))
    new.migrate()
    new.close()
    with sqlite3.connect(tmp_path / "new" / "pnc.sqlite3") as conn:
        assert conn.execute("PRAGMA page_size").fetchone() == (SQLITE_PAGE_SIZE,) == (4096,)
    (tmp_path / "old").mkdir()
    old_file = tmp_path / "old" / "pnc.sqlite3"
    with sqlite3.connect(old_file) as conn:  # created with 8 KiB pages (as stores were for a while), in WAL mode
        conn.execute("PRAGMA page_size=8192")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    old = open_store(sqlite_url(tmp_path / "old"))
    old.migrate()
    old.close()
    with sqlite3.connect(old_file) as conn:
        assert conn.execute("PRAGMA page_size").fetchone() == (8192,)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'certificates'").fetchone() == (1,)
