"""The EST wire encodings: PKCS#7 "certs-only", base64 bodies, CSR attributes.

certs-only (RFC 7030 §4.1.3, RFC 5652 §5): a ContentInfo of type signedData with no signers, no content,
and the certificates. The ``certificates`` field is a SET OF, whose DER form would sort the elements; we
write them in the order given instead (BER, as OpenSSL and Hubject do), because clients read the order:
CitrineOS takes the last certificate of ``cacerts`` as the V2G root and the first of ``simpleenroll`` as the
leaf (pnc_http_apis.md §1.2). ``cryptography``'s and ``asn1crypto``'s encoders both sort, hence this module.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = ["certs_only", "certs_only_der", "certs_only_b64", "wrap_b64", "csr_attributes", "decode_b64_body"]

_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2
_OID_DATA = bytes.fromhex("06092a864886f70d010701")  # 1.2.840.113549.1.7.1
_OID_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")  # 1.2.840.10045.2.1
_OID_SECP256R1 = bytes.fromhex("06082a8648ce3d030107")  # 1.2.840.10045.3.1.7
_OID_ECDSA_SHA256 = bytes.fromhex("06082a8648ce3d040302")  # 1.2.840.10045.4.3.2


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def certs_only(certificates: Sequence[x509.Certificate]) -> bytes:
    """DER-framed PKCS#7 certs-only with the certificates in the given order."""
    return certs_only_der([c.public_bytes(Encoding.DER) for c in certificates])


def certs_only_der(certificates: Sequence[bytes]) -> bytes:
    """``certs_only`` of certificates given as DER (an issued certificate as stored: nothing parsed or
    re-encoded)."""
    signed_data = _tlv(0x30, b"".join([
        _tlv(0x02, b"\x01"),  # version 1 (RFC 5652 §5.1: no attribute certs, no other types)
        _tlv(0x31, b""),  # digestAlgorithms: empty
        _tlv(0x30, _OID_DATA),  # encapContentInfo: id-data, no content
        _tlv(0xA0, b"".join(certificates)),  # [0] IMPLICIT certificates
        _tlv(0x31, b""),  # signerInfos: empty
    ]))
    return _tlv(0x30, _OID_SIGNED_DATA + _tlv(0xA0, signed_data))


def wrap_b64(data: bytes, width: int = 76) -> bytes:
    """Base64 in lines of ``width`` (RFC 2045 §6.8, what Hubject sends); every RFC 8951 client accepts it."""
    if width == 76 and data:
        return base64.encodebytes(data)  # the same lines, split in C
    text = base64.b64encode(data)
    return b"\n".join(text[i:i + width] for i in range(0, len(text), width)) + b"\n"


def certs_only_b64(certificates: Sequence[x509.Certificate]) -> bytes:
    return wrap_b64(certs_only(certificates))


def csr_attributes() -> bytes:
    """CsrAttrs (RFC 7030 §4.5.2): an EC key on secp256r1 ([V2G2-007]) signed with ecdsa-with-SHA256."""
    key_attribute = _tlv(0x30, _OID_EC_PUBLIC_KEY + _tlv(0x31, _OID_SECP256R1))  # Attribute {type, SET {curve}}
    return _tlv(0x30, key_attribute + _OID_ECDSA_SHA256)


_WS = re.compile(rb"\s+")


def decode_b64_body(data: bytes) -> bytes:
    """A base64 body with any whitespace (RFC 8951 §3: receivers tolerate line breaks)."""
    return base64.b64decode(_WS.sub(b"", data), validate=True)
