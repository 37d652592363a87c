"""ECDSA P-256 / SHA-256 as ISO 15118-2 transmits it: raw ``r || s`` (32 bytes each, big-endian).

``cryptography`` (like OpenSSL) speaks DER ``ECDSA-Sig-Value`` (RFC 3279 §2.2.3); the SignatureValue of
an ISO 15118-2 message is the two integers left-padded to 32 bytes each and concatenated (64 bytes).
The data handed to ``sign_raw``/``verify_raw`` is the message itself (the EXI SignedInfo bytes): ECDSA
hashes it with SHA-256; callers must not pre-hash.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from iso15118.xmldsig.errors import BadSignature, MalformedSignature, UnsupportedAlgorithm

__all__ = ["RAW_SIGNATURE_LENGTH", "der_to_raw", "raw_to_der", "sign_raw", "verify_raw"]

#: r (32) || s (32) for P-256.
RAW_SIGNATURE_LENGTH = 64
_HALF = RAW_SIGNATURE_LENGTH // 2
_SIGNATURE_METHOD = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"


def der_to_raw(der: bytes) -> bytes:
    """DER ``SEQUENCE { r INTEGER, s INTEGER }`` -> 64 bytes ``r || s`` (each left-padded to 32 bytes)."""
    try:
        r, s = decode_dss_signature(der)
    except ValueError as exc:
        raise MalformedSignature(f"not a DER ECDSA signature: {exc}") from None
    if not (0 < r < 1 << 256 and 0 < s < 1 << 256):
        raise MalformedSignature("ECDSA signature integers do not fit in 32 bytes (not a P-256 signature)")
    return r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")


def raw_to_der(raw: bytes) -> bytes:
    """64 bytes ``r || s`` -> DER ``ECDSA-Sig-Value``."""
    if len(raw) != RAW_SIGNATURE_LENGTH:
        raise MalformedSignature(
            f"SignatureValue must be {RAW_SIGNATURE_LENGTH} bytes (raw r||s for P-256), got {len(raw)}"
        )
    return encode_dss_signature(int.from_bytes(raw[:_HALF], "big"), int.from_bytes(raw[_HALF:], "big"))


def _require_p256(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> None:
    # ISO 15118-2 SignatureMethod is ecdsa-sha256 on secp256r1 only ([V2G2-771], certificate profiles).
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise UnsupportedAlgorithm(
            f"{_SIGNATURE_METHOD} needs a P-256 (secp256r1) key, got {type(key).__name__}", _SIGNATURE_METHOD
        )


def sign_raw(data: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """ECDSA P-256/SHA-256 over ``data``; returns the 64-byte raw signature."""
    _require_p256(key)
    return der_to_raw(key.sign(data, ec.ECDSA(hashes.SHA256())))


def verify_raw(data: bytes, raw: bytes, public_key: ec.EllipticCurvePublicKey) -> None:
    """Raise ``BadSignature`` unless ``raw`` is a valid ECDSA P-256/SHA-256 signature of ``data``."""
    _require_p256(public_key)
    der = raw_to_der(raw)
    try:
        public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadSignature("SignatureValue does not verify over the SignedInfo with the given key") from None
