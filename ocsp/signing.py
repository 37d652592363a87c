"""Signing OCSP responses: the ``Signer`` of one CA and the response builders.

A single-CertID response is built with pyca's ``OCSPResponseBuilder`` (responderID by key hash, RFC 5019
§2.2.2 / RFC 9919; the delegated responder certificate embedded so clients can check it, RFC 6960
§4.2.2.2); responses with several SingleResponses go through ``ocsp._asn1`` (pyca builds one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp as x_ocsp
from cryptography.x509.oid import ObjectIdentifier

from ocsp import _asn1
from ocsp.model import CertId, CertState, Status
from pki.ports import PrivateKey

__all__ = ["Signer", "HASHES", "sign_single", "sign_multi", "issuer_hashes", "key_hash", "EXTENDED_REVOKE_OID"]

HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),  # noqa: S303 - RFC 6960 CertID default; a lookup key, not a signature
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
EXTENDED_REVOKE_OID = ObjectIdentifier("1.3.6.1.5.5.7.48.1.9")  # RFC 6960 §4.4.8
_PYCA_STATUS = {
    Status.GOOD: x_ocsp.OCSPCertStatus.GOOD,
    Status.REVOKED: x_ocsp.OCSPCertStatus.REVOKED,
    Status.UNKNOWN: x_ocsp.OCSPCertStatus.UNKNOWN,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # RFC 6960 §2.2: revocationTime of an extended "revoked"


def _bit_string(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING value (without the unused-bits octet): what CertID.issuerKeyHash and
    ResponderID.byKey hash (RFC 6960 §4.1.1, §4.2.1)."""
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hash(cert: x509.Certificate, algorithm: str = "sha1") -> bytes:
    return hashlib.new(algorithm, _bit_string(cert)).digest()


def issuer_hashes(cert: x509.Certificate, algorithm: str) -> tuple[bytes, bytes]:
    """(issuerNameHash, issuerKeyHash) of CertIDs naming ``cert`` as issuer."""
    return hashlib.new(algorithm, cert.subject.public_bytes()).digest(), key_hash(cert, algorithm)


def _signature_hash(key: PrivateKey) -> hashes.HashAlgorithm:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384() if key.curve.key_size <= 384 else hashes.SHA512()
    return hashes.SHA256()


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs responses for CA ``ca_name``: a delegated responder (``delegated``) or the CA itself."""

    ca_name: str
    key: PrivateKey
    certificate: x509.Certificate
    delegated: bool

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    @property
    def responder_key_hash(self) -> bytes:
        return key_hash(self.certificate, "sha1")

    def sign_raw(self, data: bytes) -> tuple[bytes, str]:
        """Sign ``data``; returns the signature and its asn1crypto algorithm name."""
        digest = _signature_hash(self.key)
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(digest)), f"{digest.name}_ecdsa"
        return self.key.sign(data, padding.PKCS1v15(), digest), f"{digest.name}_rsa"


def _revocation(state: CertState) -> tuple[datetime | None, x509.ReasonFlags | None]:
    if state.status is not Status.REVOKED:
        return None, None
    if state.extended:  # RFC 6960 §2.2: 1970-01-01, reason certificateHold
        return _EPOCH, x509.ReasonFlags.certificate_hold
    reason = state.reason
    # RFC 5280 §5.3.1: "unspecified" is expressed by omitting the reason code (as in our CRLs)
    flag = reason.flag if reason is not None and reason.code != 0 else None
    return state.revoked_at, flag


def sign_single(
    signer: Signer,
    cert_id: CertId,
    state: CertState,
    this_update: datetime,
    next_update: datetime,
    nonce: bytes | None = None,
) -> bytes:
    """A signed successful OCSPResponse for one CertID (hash algorithm must be one of ``HASHES``)."""
    revoked_at, reason = _revocation(state)
    builder = x_ocsp.OCSPResponseBuilder().add_response_by_hash(
        cert_id.name_hash, cert_id.key_hash, cert_id.serial, HASHES[cert_id.hash_name],
        _PYCA_STATUS[state.status], this_update.replace(microsecond=0), next_update.replace(microsecond=0),
        revoked_at.replace(microsecond=0) if revoked_at is not None else None, reason,
    ).responder_id(x_ocsp.OCSPResponderEncoding.HASH, signer.certificate)
    if signer.delegated:
        builder = builder.certificates([signer.certificate])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    if state.extended:
        builder = builder.add_extension(x509.UnrecognizedExtension(EXTENDED_REVOKE_OID, b"\x05\x00"), critical=False)
    response = builder.sign(signer.key, _signature_hash(signer.key))
    return response.public_bytes(serialization.Encoding.DER)


def sign_multi(
    signer: Signer,
    singles: list[tuple[CertId, CertState, datetime, datetime]],
    produced_at: datetime,
    nonce: bytes | None,
) -> bytes:
    certs = [signer.certificate.public_bytes(serialization.Encoding.DER)] if signer.delegated else []
    return _asn1.build_response(singles, responder_key_hash=signer.responder_key_hash, produced_at=produced_at,
                                certs_der=certs, nonce=nonce, sign=signer.sign_raw)
