"""Signing OCSP responses: the ``Signer`` of one CA and the response builder.

Responses are encoded by ``ocsp.der`` (one code path for one or many SingleResponses) and signed once:
responderID by key hash (RFC 6960 §4.2.1, RFC 5019 §2.2.2), the delegated responder certificate embedded so
clients can check it (RFC 6960 §4.2.2.2; its DER is encoded once per signer), nothing embedded when the CA
signs itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ocsp import der
from ocsp.model import CertId, CertState
from pki.ports import PrivateKey

__all__ = ["Signer", "HASHES", "sign_response", "sign_single", "issuer_hashes", "key_hash"]

HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),  # noqa: S303 - RFC 6960 CertID default; a lookup key, not a signature
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


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


@dataclass(frozen=True)
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

    @cached_property
    def responder_key_hash(self) -> bytes:
        return key_hash(self.certificate, "sha1")

    @cached_property
    def certs_block(self) -> bytes:
        if not self.delegated:  # CFSSL/RFC 5019 practice: nothing to embed when the CA signs
            return b""
        return der.certs_block([self.certificate.public_bytes(serialization.Encoding.DER)])

    @cached_property
    def _algorithm(self) -> tuple[hashes.HashAlgorithm, bytes]:
        digest = _signature_hash(self.key)
        kind = "ecdsa" if isinstance(self.key, ec.EllipticCurvePrivateKey) else "rsa"
        return digest, der.SIGNATURE_ALGORITHM_IDS[f"{digest.name}_{kind}"]

    def sign_tbs(self, tbs: bytes) -> tuple[bytes, bytes]:
        """(signature, signatureAlgorithm DER) over ``tbs``."""
        digest, algorithm_id = self._algorithm
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(tbs, ec.ECDSA(digest)), algorithm_id
        return self.key.sign(tbs, padding.PKCS1v15(), digest), algorithm_id


def sign_response(
    signer: Signer,
    singles: Sequence[tuple[CertId, CertState, datetime, datetime]],
    produced_at: datetime,
    nonce: bytes | None = None,
) -> bytes:
    """A signed successful OCSPResponse with one SingleResponse per entry (RFC 6960 §4.2.1); the nonce, if
    any, echoed in responseExtensions (RFC 9654 §2.1)."""
    extensions = []
    if nonce is not None:
        extensions.append(der.nonce_extension(nonce))
    if any(state.extended for _, state, _, _ in singles):  # RFC 6960 §4.4.8 for extended "revoked" answers
        extensions.append(der.EXTENDED_REVOKE_EXTENSION)
    tbs = der.response_data(signer.responder_key_hash, produced_at.replace(microsecond=0),
                            [der.single_response(*single) for single in singles], extensions)
    signature, algorithm = signer.sign_tbs(tbs)
    return der.ocsp_response(der.basic_response(tbs, algorithm, signature, signer.certs_block))


def sign_single(signer: Signer, cert_id: CertId, state: CertState, this_update: datetime, next_update: datetime,
                nonce: bytes | None = None, produced_at: datetime | None = None) -> bytes:
    return sign_response(signer, [(cert_id, state, this_update, next_update)], produced_at or this_update, nonce)
