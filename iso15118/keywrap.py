"""Contract private key encryption of ISO 15118-2 ([V2G2-818], [V2G2-823]).

The CertificateInstallationRes / CertificateUpdateRes carries the freshly issued contract private key
encrypted for the EV:

1. a fresh ephemeral P-256 key pair ``e, E`` (the sender side);
2. ``Z`` = ECDH(e, Q), the 32-byte x-coordinate of the shared point, where ``Q`` is the public key of the
   OEM provisioning certificate (installation) or of the old contract certificate (update);
3. ``K`` = SHA-256(00000001 || Z || OtherInfo)[0:16], the NIST SP 800-56A concatenation KDF with one round,
   OtherInfo = AlgorithmID 0x01 || PartyUInfo 0x55 ('U') || PartyVInfo 0x56 ('V'), no SuppPubInfo;
4. AES-128-CBC with a random 16-byte IV and **no padding** over the contract private scalar written as
   32 big-endian bytes (left-padded with zeros; a scalar below 2^248 must still give 32 bytes);
5. ``ContractSignatureEncryptedPrivateKey`` = IV || CT (48 bytes, privateKeyType maxLength 48) and
   ``DHpublickey`` = the 65-byte uncompressed SEC1 point of ``E`` (dHpublickeyType maxLength 65).

Decryption reverses this and checks the recovered scalar is a valid P-256 private key (1 <= d < n) and,
when the caller passes the contract certificate's public key, that it matches ([V2G2-823]).
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "KeyWrapError",
    "encrypt_private_key",
    "decrypt_private_key",
    "derive_key",
    "ENCRYPTED_KEY_LENGTH",
    "DH_PUBLIC_KEY_LENGTH",
]

#: IV (16) || two AES blocks over the 32-byte scalar (privateKeyType, maxLength 48).
ENCRYPTED_KEY_LENGTH = 48
#: 0x04 || X || Y on P-256 (dHpublickeyType, maxLength 65).
DH_PUBLIC_KEY_LENGTH = 65

_IV_LENGTH = 16
_SCALAR_LENGTH = 32
_AES_KEY_LENGTH = 16
# SP 800-56A rev. 1 §5.8.1 concatenation KDF as ISO 15118-2 [V2G2-818] fixes it:
# counter 00000001, OtherInfo = AlgorithmID 0x01 || PartyUInfo 'U' || PartyVInfo 'V'.
_KDF_COUNTER = b"\x00\x00\x00\x01"
_KDF_OTHER_INFO = b"\x01\x55\x56"
# Order n of the P-256 group (SEC 2 §2.4.2); a private scalar must satisfy 1 <= d < n.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class KeyWrapError(Exception):
    """The contract key cannot be wrapped or unwrapped; ``reason`` is a stable machine-readable word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def derive_key(shared_secret: bytes) -> bytes:
    """The 16-byte AES key from the ECDH x-coordinate ``Z`` (SP 800-56A concat KDF, one SHA-256 round)."""
    if len(shared_secret) != _SCALAR_LENGTH:
        raise KeyWrapError(
            "bad_shared_secret", f"ECDH shared secret must be 32 bytes, got {len(shared_secret)}"
        )
    return hashlib.sha256(_KDF_COUNTER + shared_secret + _KDF_OTHER_INFO).digest()[:_AES_KEY_LENGTH]


def _require_p256(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey, role: str) -> None:
    # ISO 15118-2 uses secp256r1 only (certificate profiles and [V2G2-818]).
    if not isinstance(key.curve, ec.SECP256R1):
        raise KeyWrapError("wrong_curve", f"{role} key must be on P-256 (secp256r1), got {key.curve.name}")


def _aes_cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def encrypt_private_key(
    private: ec.EllipticCurvePrivateKey,
    recipient: ec.EllipticCurvePublicKey,
    *,
    ephemeral: ec.EllipticCurvePrivateKey | None = None,
    iv: bytes | None = None,
) -> tuple[bytes, bytes]:
    """Encrypt ``private`` (the contract key) for ``recipient`` (OEM provisioning or old contract key).

    Returns ``(IV || CT, DHpublickey)``: 48 bytes for ContractSignatureEncryptedPrivateKey and the
    65-byte uncompressed ephemeral public point for DHpublickey. ``ephemeral`` and ``iv`` exist for
    known-answer tests; production callers leave them out so both are fresh and random.
    """
    _require_p256(private, "contract private")
    _require_p256(recipient, "recipient public")
    if ephemeral is None:
        ephemeral = ec.generate_private_key(ec.SECP256R1())
    _require_p256(ephemeral, "ephemeral private")
    if iv is None:
        iv = os.urandom(_IV_LENGTH)
    if len(iv) != _IV_LENGTH:
        raise KeyWrapError("bad_iv", f"IV must be {_IV_LENGTH} bytes, got {len(iv)}")
    z = ephemeral.exchange(ec.ECDH(), recipient)
    key = derive_key(z)
    # Left-pad to 32 bytes: a scalar with leading zero bytes must still fill two AES blocks exactly.
    scalar = private.private_numbers().private_value.to_bytes(_SCALAR_LENGTH, "big")
    ciphertext = _aes_cbc(key, iv, scalar, encrypt=True)
    dh_public = ephemeral.public_key().public_bytes(
        encoding=serialization.Encoding.X962, format=serialization.PublicFormat.UncompressedPoint
    )
    return iv + ciphertext, dh_public


def decrypt_private_key(
    encrypted: bytes,
    dh_public: bytes,
    recipient_private: ec.EllipticCurvePrivateKey,
    *,
    expected_public: ec.EllipticCurvePublicKey | None = None,
) -> ec.EllipticCurvePrivateKey:
    """Recover the contract private key (the EV side, or a self-check by the issuer).

    ``expected_public`` is the contract certificate's public key; when given, a recovered key that does
    not match it raises ``KeyWrapError("key_mismatch")`` ([V2G2-823]). Without it a wrong recipient key
    is only detected when the garbage scalar happens to be out of range, so pass it whenever you can.
    """
    _require_p256(recipient_private, "recipient private")
    if len(encrypted) != ENCRYPTED_KEY_LENGTH:
        raise KeyWrapError(
            "bad_length",
            f"encrypted private key must be {ENCRYPTED_KEY_LENGTH} bytes (IV 16 + 2 AES blocks), "
            f"got {len(encrypted)}",
        )
    if len(dh_public) != DH_PUBLIC_KEY_LENGTH or dh_public[0] != 0x04:
        raise KeyWrapError(
            "bad_dh_public_key",
            "DHpublickey must be a 65-byte uncompressed P-256 point (04 || X || Y), "
            f"got {len(dh_public)} bytes",
        )
    try:
        # from_encoded_point checks that the point lies on the curve (no invalid-curve ECDH).
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), dh_public)
    except ValueError as exc:
        raise KeyWrapError("bad_dh_public_key", f"DHpublickey is not a point on P-256: {exc}") from None
    z = recipient_private.exchange(ec.ECDH(), peer)
    key = derive_key(z)
    plain = _aes_cbc(key, encrypted[:_IV_LENGTH], encrypted[_IV_LENGTH:], encrypt=False)
    scalar = int.from_bytes(plain, "big")
    if not 1 <= scalar < _P256_ORDER:
        # [V2G2-823]: the decrypted value must be a valid private key; out of range means a wrong key or data.
        raise KeyWrapError(
            "invalid_scalar", "decrypted value is not a valid P-256 private key (wrong recipient key or data)"
        )
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    if expected_public is not None:
        _require_p256(expected_public, "expected public")
        if private.public_key().public_numbers() != expected_public.public_numbers():
            raise KeyWrapError(
                "key_mismatch",
                "decrypted private key does not match the contract certificate's public key "
                "(wrong recipient key or corrupted data)",
            )
    return private
