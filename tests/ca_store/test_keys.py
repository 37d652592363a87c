"""``SoftKeyStore``: CA keys sealed at rest under a scrypt-derived key, on both databases."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ca_store import SoftKeyStore, SqlStore, open_store, sqlite_url
from ca_store.keys import KDF_META, VERIFIER_META
from pki.audit import verify_chain
from pki.errors import InvalidInput, KeyAccessError
from pki.model import KeyRecord

from .records import NOW

PASSPHRASE = b"correct horse battery staple"


@pytest.fixture
def keys(store: SqlStore) -> SoftKeyStore:
    keystore = SoftKeyStore(store, PASSPHRASE, actor="test-init")
    with store.transaction() as tx:
        keystore.initialize(tx)
    return keystore


def _signs(key: object) -> bool:
    data = b"to be signed"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key.public_key().verify(key.sign(data, ec.ECDSA(hashes.SHA256())), data, ec.ECDSA(hashes.SHA256()))
        return True
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    return True


def test_kdf_parameters_and_verifier_in_meta(store: SqlStore, keys: SoftKeyStore) -> None:
    params = json.loads(store.get_meta(KDF_META) or b"")
    assert params["kdf"] == "scrypt" and params["n"] >= 2**15 and params["r"] == 8 and params["p"] == 1
    assert len(bytes.fromhex(params["salt"])) == 16
    verifier = store.get_meta(VERIFIER_META)
    assert verifier is not None and PASSPHRASE not in verifier and len(verifier) == 12 + 31 + 16


def test_create_then_load_in_another_key_store(store: SqlStore, keys: SoftKeyStore) -> None:
    with store.transaction() as tx:
        created = keys.create(tx, "ca:root", "EC-P256", NOW)
    record = store.get_key("ca:root")
    assert record is not None and record.algorithm == "EC-P256" and record.created_at == NOW
    plain = created.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    assert plain not in record.blob and plain[-32:] not in record.blob  # sealed, not stored in the clear
    loaded = SoftKeyStore(store, PASSPHRASE).load("ca:root")
    assert isinstance(loaded, ec.EllipticCurvePrivateKey) and loaded.curve.name == "secp256r1"
    assert loaded.private_numbers() == created.private_numbers()
    assert _signs(loaded)


def test_create_is_audited_in_the_same_transaction(store: SqlStore, keys: SoftKeyStore) -> None:
    with store.transaction() as tx:
        key = keys.create(tx, "ca:mo-root", "EC-P384", NOW)
    [entry] = list(store.audit_entries())
    assert (entry.event.action, entry.event.target, entry.event.actor) == ("key.create", "key:ca:mo-root", "test-init")
    assert entry.event.details["algorithm"] == "EC-P384"
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert entry.event.details["spki_sha256"] == hashlib.sha256(spki).hexdigest()
    assert verify_chain(store.audit_entries()) == 1


def test_rolled_back_create_leaves_no_key(store: SqlStore, keys: SoftKeyStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        keys.create(tx, "ca:gone", "EC-P256", NOW)
        raise RuntimeError("abort")
    assert store.get_key("ca:gone") is None and list(store.audit_entries()) == []
    with pytest.raises(KeyAccessError, match="no CA key 'ca:gone'"):
        SoftKeyStore(store, PASSPHRASE).load("ca:gone")


def test_wrong_passphrase(store: SqlStore, keys: SoftKeyStore) -> None:
    with store.transaction() as tx:
        keys.create(tx, "ca:root", "EC-P256", NOW)
    intruder = SoftKeyStore(store, b"Correct horse battery staple")
    with pytest.raises(KeyAccessError, match="^wrong passphrase$"):
        intruder.load("ca:root")
    with pytest.raises(KeyAccessError, match="wrong passphrase"):
        intruder.unlock()
    with pytest.raises(KeyAccessError, match="wrong passphrase"), store.transaction() as tx:
        intruder.create(tx, "ca:other", "EC-P256", NOW)
    assert store.get_key("ca:other") is None


def test_blob_moved_to_another_label_does_not_open(store: SqlStore, keys: SoftKeyStore) -> None:
    with store.transaction() as tx:
        keys.create(tx, "ca:root", "EC-P256", NOW)
    record = store.get_key("ca:root")
    assert record is not None
    with store.transaction() as tx:
        tx.add_key(KeyRecord("ca:evil", "EC-P256", record.blob, NOW))
    with pytest.raises(KeyAccessError, match="'ca:evil' does not decrypt"):
        SoftKeyStore(store, PASSPHRASE).load("ca:evil")


def test_foreign_blob_and_missing_setup(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.add_key(KeyRecord("ca:hsm", "EC-P256", b"pkcs11:token=ca;object=root", NOW))
    with pytest.raises(KeyAccessError, match="not a software key"):
        SoftKeyStore(store, PASSPHRASE).load("ca:hsm")
    with store.transaction() as tx:
        tx.add_key(KeyRecord("ca:soft", "EC-P256", b"pnc-soft-1:" + bytes(60), NOW))
    with pytest.raises(KeyAccessError, match="run `pnc init`"):
        SoftKeyStore(store, PASSPHRASE).load("ca:soft")


def test_refuses_weak_setup_and_unknown_algorithm(store: SqlStore, keys: SoftKeyStore) -> None:
    with pytest.raises(KeyAccessError, match="empty passphrase"), store.transaction() as tx:
        SoftKeyStore(store, b"").initialize(tx)
    with pytest.raises(InvalidInput, match="too weak"), store.transaction() as tx:
        SoftKeyStore(store, PASSPHRASE).initialize(tx, n=2**14)
    with pytest.raises(InvalidInput, match="unsupported key algorithm 'EC-P521'"), store.transaction() as tx:
        keys.create(tx, "ca:x", "EC-P521", NOW)
    assert store.get_key("ca:x") is None


def test_load_caches_the_unlocked_key(store: SqlStore, keys: SoftKeyStore) -> None:
    with store.transaction() as tx:
        keys.create(tx, "ca:root", "EC-P256", NOW)
    fresh = SoftKeyStore(store, PASSPHRASE)
    first = fresh.load("ca:root")
    assert fresh.load("ca:root") is first


@pytest.mark.parametrize(("algorithm", "bits"), [("RSA-2048", 2048), ("RSA-3072", 3072)])
def test_rsa_keys(tmp_path: Path, algorithm: str, bits: int) -> None:
    # Key generation is slow; the database round trip is already covered by the EC tests on both databases.
    store = open_store(sqlite_url(tmp_path / "rsa"))
    store.migrate()
    keys = SoftKeyStore(store, PASSPHRASE)
    with store.transaction() as tx:
        keys.initialize(tx)
        keys.create(tx, "ca:station", algorithm, NOW)
    loaded = SoftKeyStore(store, PASSPHRASE).load("ca:station")
    assert isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size == bits and _signs(loaded)
    store.close()
