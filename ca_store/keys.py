"""CA private keys: the signer seam (``CachingKeyStore``) and keys encrypted at rest (``SoftKeyStore``).

Why not ``serialization.BestAvailableEncryption``: it writes PKCS#8 ``EncryptedPrivateKeyInfo`` with PBKDF2
at 2,048 iterations, which an attacker with a stolen database can test passphrases against millions of times
per second on a GPU. Instead a key-encryption key (KEK) is derived ONCE per process from the passphrase with
scrypt (memory-hard; n = 2**15, r = 8, p = 1 by default, i.e. 32 MiB and ~0.1 s per guess; salt and
parameters in ``meta`` so they can be raised later), and every CA key is sealed with AES-256-GCM under the
KEK: random 96-bit nonce, the key label as associated data (so a blob copied to another label does not
open), over the PKCS#8 DER. A verifier sealed under the same KEK tells a wrong passphrase apart from a
corrupted key.

The seam: ``CachingKeyStore`` does what every key store does (check the algorithm name, write the
``KeyRecord`` and the ``key.create`` audit event in the caller's transaction, cache unlocked keys), and a
back end supplies only ``_generate`` and ``_open``. A PKCS#11 back end returns an ``EllipticCurvePrivateKey``
subclass whose ``sign`` calls the HSM and stores a ``pkcs11:`` URI as the blob; issuance code, which only
ever calls ``sign``/``public_key`` through the ``cryptography`` builders, does not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from abc import ABC, abstractmethod
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from pki.errors import InvalidInput, KeyAccessError
from pki.model import AuditEvent, KeyRecord
from pki.ports import PrivateKey, Store, StoreTx

__all__ = [
    "ALGORITHMS",
    "CachingKeyStore",
    "SoftKeyStore",
    "KDF_META",
    "VERIFIER_META",
    "MIN_SCRYPT_N",
    "generate_key",
    "spki_sha256",
]

ALGORITHMS = ("EC-P256", "EC-P384", "RSA-2048", "RSA-3072")
KDF_META = "keys.kdf"
VERIFIER_META = "keys.kek_verifier"
MIN_SCRYPT_N = 2**15
_BLOB_MAGIC = b"pnc-soft-1:"  # blob = magic || nonce(12) || AES-256-GCM(PKCS#8 DER) || tag(16)
_VERIFIER_PLAINTEXT = b"pnc key-encryption key verifier"
_VERIFIER_AAD = b"pnc:kek-verifier"
_NONCE_LEN = 12

# KEKs derived in this process, by (passphrase digest, salt, n, r, p): scrypt runs once per process even when
# several key stores are built (CLI sub-commands, API workers, tests).
_kek_cache: dict[tuple[bytes, bytes, int, int, int], bytes] = {}
_kek_lock = threading.Lock()


def generate_key(algorithm: str) -> PrivateKey:
    if algorithm == "EC-P256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EC-P384":
        return ec.generate_private_key(ec.SECP384R1())
    if algorithm in ("RSA-2048", "RSA-3072"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    raise InvalidInput(f"unsupported key algorithm {algorithm!r}; one of: {', '.join(ALGORITHMS)}")


def _algorithm_of(key: PrivateKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "EC-P256", "secp384r1": "EC-P384"}.get(key.curve.name, f"EC-{key.curve.name}")
    return f"RSA-{key.key_size}"


def spki_sha256(key: PrivateKey) -> str:
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


class CachingKeyStore(ABC):
    """``pki.ports.KeyStore`` minus the back end. Unlocked keys stay cached for the life of the process."""

    backend = "abstract"

    def __init__(self, store: Store, *, actor: str = "pnc") -> None:
        self.store = store
        self.actor = actor  # recorded on key.create (the port's create() has no actor parameter)
        self._keys: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def _generate(self, label: str, algorithm: str) -> tuple[PrivateKey, bytes]:
        """Make a new key; return the signer and the blob to store (sealed key, or an HSM reference)."""

    @abstractmethod
    def _open(self, record: KeyRecord) -> PrivateKey:
        """Turn a stored record back into a signer; raise KeyAccessError if that is impossible."""

    def create(self, tx: StoreTx, label: str, algorithm: str, created_at: datetime) -> PrivateKey:
        if algorithm not in ALGORITHMS:
            raise InvalidInput(f"unsupported key algorithm {algorithm!r}; one of: {', '.join(ALGORITHMS)}")
        key, blob = self._generate(label, algorithm)
        tx.add_key(KeyRecord(label, algorithm, blob, created_at))
        details = {"algorithm": algorithm, "spki_sha256": spki_sha256(key), "backend": self.backend}
        tx.audit(AuditEvent("key.create", f"key:{label}", self.actor, created_at, details))
        # Cached before commit so the same transaction can sign with it (a root signing its first sub-CA).
        with self._lock:
            self._keys[label] = key
        return key

    def load(self, label: str) -> PrivateKey:
        cached = self._keys.get(label)  # a dict read is atomic: the lock guards the writes only
        if cached is not None:
            return cached
        record = self.store.get_key(label)
        if record is None:
            raise KeyAccessError(f"no CA key {label!r} in the store")
        key = self._open(record)
        if _algorithm_of(key) != record.algorithm:
            raise KeyAccessError(f"CA key {label!r} is {_algorithm_of(key)}, the store says {record.algorithm}")
        with self._lock:
            self._keys[label] = key
        return key


class SoftKeyStore(CachingKeyStore):
    """CA keys in the store, sealed with AES-256-GCM under a scrypt-derived KEK (see the module docstring)."""

    backend = "soft"

    def __init__(self, store: Store, passphrase: bytes, *, actor: str = "pnc") -> None:
        super().__init__(store, actor=actor)
        self._passphrase = passphrase
        self._kek: bytes | None = None

    def initialize(self, tx: StoreTx, *, n: int = MIN_SCRYPT_N, r: int = 8, p: int = 1) -> None:
        """Write fresh KDF parameters and the passphrase verifier into ``meta`` within ``tx`` (``pnc init``).
        The derived KEK is kept, so keys can be created in the same, not yet committed, transaction."""
        if not self._passphrase:
            raise KeyAccessError("an empty passphrase cannot protect CA keys")
        if n < MIN_SCRYPT_N or n & (n - 1) or r < 8 or p < 1:
            raise InvalidInput(f"scrypt parameters too weak or invalid: n={n} (power of 2 >= 2**15), r={r}, p={p}")
        salt = os.urandom(16)
        params = {"kdf": "scrypt", "n": n, "r": r, "p": p, "salt": salt.hex(), "length": 32}
        kek = _derive(self._passphrase, salt, n, r, p)
        nonce = os.urandom(_NONCE_LEN)
        verifier = nonce + AESGCM(kek).encrypt(nonce, _VERIFIER_PLAINTEXT, _VERIFIER_AAD)
        tx.set_meta(KDF_META, json.dumps(params, sort_keys=True).encode())
        tx.set_meta(VERIFIER_META, verifier)
        self._kek = kek

    def unlock(self) -> None:
        """Derive the KEK now and check the passphrase (raises KeyAccessError("wrong passphrase"))."""
        self._key_encryption_key()

    def _key_encryption_key(self) -> bytes:
        if self._kek is not None:
            return self._kek
        raw_params, verifier = self.store.get_meta(KDF_META), self.store.get_meta(VERIFIER_META)
        if raw_params is None or verifier is None:
            raise KeyAccessError("key encryption is not set up in this store: run `pnc init`")
        try:
            params = json.loads(raw_params)
            if params.get("kdf") != "scrypt":
                raise ValueError(f"unknown KDF {params.get('kdf')!r}")
            salt, n, r, p = bytes.fromhex(params["salt"]), int(params["n"]), int(params["r"]), int(params["p"])
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyAccessError(f"key encryption parameters in the store are unreadable: {exc}") from None
        kek = _derive(self._passphrase, salt, n, r, p)
        try:
            AESGCM(kek).decrypt(verifier[:_NONCE_LEN], verifier[_NONCE_LEN:], _VERIFIER_AAD)
        except InvalidTag:
            raise KeyAccessError("wrong passphrase") from None
        self._kek = kek
        return kek

    def _generate(self, label: str, algorithm: str) -> tuple[PrivateKey, bytes]:
        kek = self._key_encryption_key()
        key = generate_key(algorithm)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        nonce = os.urandom(_NONCE_LEN)
        return key, _BLOB_MAGIC + nonce + AESGCM(kek).encrypt(nonce, der, label.encode())

    def _open(self, record: KeyRecord) -> PrivateKey:
        if not record.blob.startswith(_BLOB_MAGIC):
            raise KeyAccessError(f"CA key {record.label!r} is not a software key (held by another key store)")
        kek = self._key_encryption_key()
        body = record.blob[len(_BLOB_MAGIC):]
        try:
            der = AESGCM(kek).decrypt(body[:_NONCE_LEN], body[_NONCE_LEN:], record.label.encode())
        except InvalidTag:
            raise KeyAccessError(
                f"CA key {record.label!r} does not decrypt: corrupted or moved from another label"
            ) from None
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise KeyAccessError(f"CA key {record.label!r} has an unsupported type {type(key).__name__}")
        return key


def _derive(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    cache_key = (hashlib.sha256(passphrase).digest(), salt, n, r, p)
    with _kek_lock:
        kek = _kek_cache.get(cache_key)
        if kek is None:
            kek = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)
            _kek_cache[cache_key] = kek
    return kek
