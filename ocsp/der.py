"""DER encoding of OCSP responses (RFC 6960 §4.2.1), written by hand for speed.

pyca's ``OCSPResponseBuilder`` spends about three times the ECDSA signature on building (and twice again when
the responder certificate is embedded), and builds only one SingleResponse; the encoding below is a handful of
byte concatenations around the one ``sign`` call (../shared/docs/reference/ocsp_ca.md §1.2: hand-written DER
template + sign 47 µs vs 102 µs with the builder). Every structure is checked by pyca's parser and by
``openssl ocsp`` in tests/ocsp.

    OCSPResponse      ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes }
    ResponseBytes     ::= SEQUENCE { responseType OID id-pkix-ocsp-basic, response OCTET STRING }
    BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
                                     signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
    ResponseData      ::= SEQUENCE { responderID [2] EXPLICIT KeyHash, producedAt GeneralizedTime,
                                     responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT ... }
    SingleResponse    ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
                                     nextUpdate [0] EXPLICIT GeneralizedTime }
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ocsp.model import CertId, CertState, Status

__all__ = ["tlv", "cert_id", "single_response", "response_data", "basic_response", "ocsp_response", "certs_block",
           "nonce_extension", "EXTENDED_REVOKE_EXTENSION", "HASH_ALGORITHM_IDS", "SIGNATURE_ALGORITHM_IDS"]


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    return bytes((tag,)) + _length(n) + content


def _seq(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def _integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))  # minimal, positive (RFC 5280 serials)


def _time(value: datetime) -> bytes:
    return tlv(0x18, value.strftime("%Y%m%d%H%M%SZ").encode("ascii"))  # RFC 5280 §4.1.2.5.2: no fractions


# AlgorithmIdentifier DER, with NULL parameters for the hashes (as OpenSSL writes CertIDs)
HASH_ALGORITHM_IDS = {
    "sha1": bytes.fromhex("300906052b0e03021a0500"),
    "sha256": bytes.fromhex("300d06096086480165030402010500"),
    "sha384": bytes.fromhex("300d06096086480165030402020500"),
    "sha512": bytes.fromhex("300d06096086480165030402030500"),
}
SIGNATURE_ALGORITHM_IDS = {  # RFC 5758 §3.2: ecdsa-with-SHA* without parameters; RFC 4055 for RSA (NULL)
    "sha256_ecdsa": bytes.fromhex("300a06082a8648ce3d040302"),
    "sha384_ecdsa": bytes.fromhex("300a06082a8648ce3d040303"),
    "sha512_ecdsa": bytes.fromhex("300a06082a8648ce3d040304"),
    "sha256_rsa": bytes.fromhex("300d06092a864886f70d01010b0500"),
    "sha384_rsa": bytes.fromhex("300d06092a864886f70d01010c0500"),
    "sha512_rsa": bytes.fromhex("300d06092a864886f70d01010d0500"),
}
_OCSP_BASIC = bytes.fromhex("06092b0601050507300101")  # id-pkix-ocsp-basic
_NONCE_OID = bytes.fromhex("06092b0601050507300102")  # id-pkix-ocsp-nonce
# RFC 6960 §4.4.8 id-pkix-ocsp-extended-revoke, extnValue NULL
EXTENDED_REVOKE_EXTENSION = _seq(bytes.fromhex("06092b0601050507300109"), tlv(0x04, b"\x05\x00"))
_GOOD = b"\x80\x00"  # [0] IMPLICIT NULL
_UNKNOWN = b"\x82\x00"  # [2] IMPLICIT NULL
_EPOCH = b"\x18\x0f19700101000000Z"  # RFC 6960 §2.2: revocationTime of an extended "revoked"


def cert_id(value: CertId) -> bytes:
    """The CertID as the request had it (asn1crypto path), or encoded from its parts."""
    if value.raw is not None:
        return value.raw
    return _seq(HASH_ALGORITHM_IDS[value.hash_name], tlv(0x04, value.name_hash), tlv(0x04, value.key_hash),
                _integer(value.serial))


def _status(state: CertState) -> bytes:
    if state.status is Status.GOOD:
        return _GOOD
    if state.status is Status.UNKNOWN:
        return _UNKNOWN
    if state.extended:  # 1970-01-01, reason certificateHold
        return tlv(0xA1, _EPOCH + tlv(0xA0, b"\x0a\x01\x06"))
    info = _time(state.revoked_at) if state.revoked_at is not None else _EPOCH
    if state.reason is not None and state.reason.code != 0:  # RFC 5280 §5.3.1: omit "unspecified"
        info += tlv(0xA0, bytes((0x0A, 0x01, state.reason.code)))
    return tlv(0xA1, info)


def single_response(cid: CertId, state: CertState, this_update: datetime, next_update: datetime) -> bytes:
    return _seq(cert_id(cid), _status(state), _time(this_update), tlv(0xA0, _time(next_update)))


def nonce_extension(nonce: bytes) -> bytes:
    """RFC 9654 §2.1: extnValue is the DER of Nonce ::= OCTET STRING."""
    return _seq(_NONCE_OID, tlv(0x04, tlv(0x04, nonce)))


def response_data(responder_key_hash: bytes, produced_at: datetime, singles: Iterable[bytes],
                  extensions: Iterable[bytes] = ()) -> bytes:
    parts = [tlv(0xA2, tlv(0x04, responder_key_hash)), _time(produced_at), _seq(*singles)]
    exts = b"".join(extensions)
    if exts:
        parts.append(tlv(0xA1, tlv(0x30, exts)))
    return _seq(*parts)


def basic_response(tbs: bytes, signature_algorithm: bytes, signature: bytes, certs_block: bytes = b"") -> bytes:
    """``certs_block``: the complete ``[0] EXPLICIT SEQUENCE OF Certificate`` (pre-encoded once per signer)."""
    return _seq(tbs, signature_algorithm, tlv(0x03, b"\x00" + signature), certs_block)


def certs_block(certificates_der: Iterable[bytes]) -> bytes:
    body = b"".join(certificates_der)
    return tlv(0xA0, tlv(0x30, body)) if body else b""


def ocsp_response(basic: bytes) -> bytes:
    """A successful OCSPResponse around a BasicOCSPResponse."""
    return _seq(b"\x0a\x01\x00", tlv(0xA0, _seq(_OCSP_BASIC, tlv(0x04, basic))))

