"""Client-side checks of an OCSPResponse (RFC 6960 §3.2, §4.2.2.2).

A response is accepted only if: it parses and is ``successful``; it carries a SingleResponse for exactly the
CertID asked about; it is signed either by the issuing CA's key or by a delegated responder certificate that
was issued by that CA (its signature verifies under the CA key) and carries id-kp-OCSPSigning; thisUpdate is
not in the future and nextUpdate (if present) not in the past, with a small clock skew allowance.

The issuing CA is identified by ``issuerKeyHash``: any certificate (configured, or embedded in the response)
whose public key hashes to it supplies the key, so a verified response is bound to the key the request named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp as x_ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from ocsp.errors import OcspError
from ocsp.model import CertId, Status
from ocsp.signing import issuer_hashes, key_hash
from pki.model import RevocationReason

__all__ = ["VerifiedResponse", "verify_response", "describe_response"]

SKEW = timedelta(minutes=5)
_STATUS = {x_ocsp.OCSPCertStatus.GOOD: Status.GOOD, x_ocsp.OCSPCertStatus.REVOKED: Status.REVOKED,
           x_ocsp.OCSPCertStatus.UNKNOWN: Status.UNKNOWN}
_REASONS = {reason.flag: reason for reason in RevocationReason}


@dataclass(frozen=True, slots=True)
class VerifiedResponse:
    status: Status
    this_update: datetime
    next_update: datetime | None
    produced_at: datetime
    revoked_at: datetime | None
    reason: RevocationReason | None
    responder: str  # subject of the signing certificate (RFC 4514)
    delegated: bool

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "status": self.status.value,
            "this_update": _iso(self.this_update),
            "next_update": _iso(self.next_update),
            "produced_at": _iso(self.produced_at),
            "revoked_at": _iso(self.revoked_at),
            "reason": self.reason.value if self.reason is not None else None,
            "responder": self.responder,
            "delegated": self.delegated,
        }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _verify_signature(public_key: object, signature: bytes, data: bytes,
                      algorithm: hashes.HashAlgorithm | None) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey) and algorithm is not None:
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(public_key, rsa.RSAPublicKey) and algorithm is not None:
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        public_key.verify(signature, data)
    else:
        raise OcspError("unsupported responder key or signature algorithm")


def _load(der: bytes) -> x_ocsp.OCSPResponse:
    try:
        return x_ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise OcspError(f"not an OCSP response: {exc}") from None


def describe_response(der: bytes) -> str:
    """One line for logs and errors: the response status or the first certificate status."""
    response = _load(der)
    if response.response_status is not x_ocsp.OCSPResponseStatus.SUCCESSFUL:
        return response.response_status.name.lower()
    return _STATUS[response.certificate_status].value


def _find_single(response: x_ocsp.OCSPResponse, cert_id: CertId) -> x_ocsp.OCSPSingleResponse:
    for single in response.responses:
        try:
            name = single.hash_algorithm.name
        except UnsupportedAlgorithm:
            continue
        if (name, single.issuer_name_hash, single.issuer_key_hash, single.serial_number) == (
            cert_id.hash_name, cert_id.name_hash, cert_id.key_hash, cert_id.serial
        ):
            return single
    raise OcspError("the response does not answer the CertID that was asked about")


def _issuer(cert_id: CertId, candidates: Iterable[x509.Certificate]) -> x509.Certificate | None:
    for cert in candidates:
        try:
            if issuer_hashes(cert, cert_id.hash_name) == (cert_id.name_hash, cert_id.key_hash):
                return cert
        except (ValueError, UnsupportedAlgorithm):
            continue
    return None


def _responder(response: x_ocsp.OCSPResponse, candidates: Iterable[x509.Certificate]) -> x509.Certificate | None:
    for cert in candidates:
        if response.responder_key_hash is not None:
            if key_hash(cert, "sha1") == response.responder_key_hash:
                return cert
        elif response.responder_name is not None and cert.subject == response.responder_name:
            return cert
    return None


def verify_response(der: bytes, cert_id: CertId, issuers: Iterable[x509.Certificate],
                    now: datetime) -> VerifiedResponse:
    """Check ``der`` as the answer to ``cert_id`` (see the module docstring); raises ``OcspError``."""
    response = _load(der)
    if response.response_status is not x_ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspError(f"the OCSP responder answered {response.response_status.name.lower()}")
    single = _find_single(response, cert_id)
    embedded = list(response.certificates)
    issuer = _issuer(cert_id, [*issuers, *embedded])
    if issuer is None:
        raise OcspError("the issuing CA of this CertID is not known: cannot check who signed the response")
    signer = _responder(response, [issuer, *embedded])
    if signer is None:
        raise OcspError("the response names a responder that is neither the CA nor an embedded certificate")
    delegated = key_hash(signer) != key_hash(issuer)
    if delegated:  # RFC 6960 §4.2.2.2: issued directly by the CA, with id-kp-OCSPSigning
        try:
            signer.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise OcspError("the delegated responder certificate was not issued by the CA") from None
        try:
            usages = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            usages = x509.ExtendedKeyUsage([])
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usages:
            raise OcspError("the responder certificate lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)")
        if not signer.not_valid_before_utc - SKEW <= now <= signer.not_valid_after_utc + SKEW:
            raise OcspError("the responder certificate is outside its validity")
    try:
        _verify_signature(signer.public_key(), response.signature, response.tbs_response_bytes,
                          response.signature_hash_algorithm)
    except InvalidSignature:
        raise OcspError("the OCSP response signature does not verify") from None
    if single.this_update_utc > now + SKEW:
        raise OcspError("the response's thisUpdate is in the future")
    if single.next_update_utc is not None and single.next_update_utc < now - SKEW:
        raise OcspError("the response is expired (nextUpdate has passed)")
    status = _STATUS[single.certificate_status]
    reason = single.revocation_reason
    return VerifiedResponse(
        status=status,
        this_update=single.this_update_utc,
        next_update=single.next_update_utc,
        produced_at=response.produced_at_utc,
        revoked_at=single.revocation_time_utc,
        reason=(_REASONS.get(reason) if reason is not None else
                (RevocationReason.UNSPECIFIED if status is Status.REVOKED else None)),
        responder=signer.subject.rfc4514_string(),
        delegated=delegated,
    )
