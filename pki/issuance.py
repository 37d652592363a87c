"""Signing: the only module that uses CA private keys (Boulder's CA component).

``prepare`` builds the certificate, signs it with a throwaway key, lints it and returns a single-use
``Prepared`` token; ``sign`` redeems the token: the real issuer key signs the very TBS bytes that passed
lint, and the certificate is assembled from them. A failed lint signs nothing with a real key. ``sign_crl`` signs CRLs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID

from pki._der import certificate_from_parts, signature_algorithm_of
from pki.errors import LintFailed, PkiError, SignerError
from pki.lint import LintContext, max_signature_size, run_lints
from pki.ports import PrivateKey, PublicKey
from pki.profiles import KEY_USAGE_FIELDS, Kind, Profile

__all__ = ["IssuanceRequest", "Prepared", "prepare", "sign", "sign_crl", "hash_for"]


@dataclass(frozen=True, slots=True)
class IssuanceRequest:
    """Everything that will appear in the certificate, already decided by policy."""

    profile: Profile
    subject: x509.Name
    public_key: PublicKey
    serial: int
    not_before: datetime
    not_after: datetime
    ocsp_url: str | None  # AIA OCSP (None for roots)
    crl_url: str | None = None  # CRL DP when enabled for the issuing CA


@dataclass(slots=True)
class Prepared:
    """Single-use issuance token: the builder and the TBS bytes that passed lint."""

    request: IssuanceRequest
    issuer_subject: x509.Name
    issuer_key_id: bytes | None
    builder: x509.CertificateBuilder
    lint_tbs: bytes
    signature_algorithm: bytes  # DER AlgorithmIdentifier, as in the linted certificate
    _used: bool = field(default=False)


def hash_for(public_key: PublicKey) -> hashes.SHA256 | hashes.SHA384:
    """Signature hash for an issuer key: ecdsa-with-SHA256 for P-256 ([V2G2-006]), SHA-384 for P-384."""
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


_throwaway_lock = threading.Lock()
_throwaway: dict[str, PrivateKey] = {}


def _throwaway_key(like: PublicKey) -> PrivateKey:
    """A process-local key of the same type as the issuer key, used only to sign lint certificates."""
    if isinstance(like, ec.EllipticCurvePublicKey):
        tag = f"ec:{like.curve.name}"
    else:
        tag = f"rsa:{like.key_size}"
    with _throwaway_lock:
        key = _throwaway.get(tag)
        if key is None:
            if isinstance(like, ec.EllipticCurvePublicKey):
                key = ec.generate_private_key(like.curve)
            else:
                key = rsa.generate_private_key(public_exponent=65537, key_size=like.key_size)
            _throwaway[tag] = key
        return key


def _builder(req: IssuanceRequest, issuer_subject: x509.Name, issuer_key_id: bytes | None) -> x509.CertificateBuilder:
    p = req.profile
    usage = {f: f in p.key_usage for f in KEY_USAGE_FIELDS}
    b = (
        x509.CertificateBuilder()
        .subject_name(req.subject)
        .issuer_name(issuer_subject)
        .public_key(req.public_key)
        .serial_number(req.serial)
        .not_valid_before(req.not_before)
        .not_valid_after(req.not_after)
        .add_extension(x509.BasicConstraints(ca=p.is_ca, path_length=p.path_length), critical=True)
        .add_extension(x509.KeyUsage(encipher_only=False, decipher_only=False, **usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(req.public_key), critical=False)
    )
    if issuer_key_id is not None and p.kind is not Kind.ROOT:
        b = b.add_extension(x509.AuthorityKeyIdentifier(issuer_key_id, None, None), critical=False)
    if p.extended_key_usage:
        b = b.add_extension(x509.ExtendedKeyUsage(list(p.extended_key_usage)), critical=False)
    if req.ocsp_url is not None and p.kind is not Kind.ROOT:
        ocsp = x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(req.ocsp_url))
        b = b.add_extension(x509.AuthorityInformationAccess([ocsp]), critical=False)
    if req.crl_url is not None:
        dp = x509.DistributionPoint([x509.UniformResourceIdentifier(req.crl_url)], None, None, None)
        b = b.add_extension(x509.CRLDistributionPoints([dp]), critical=False)
    if p.ocsp_nocheck:
        b = b.add_extension(x509.OCSPNoCheck(), critical=False)
    return b


def prepare(
    req: IssuanceRequest,
    issuer: x509.Certificate | None,
    *,
    now: datetime,
    max_backdate: timedelta,
) -> Prepared:
    """Build and lint. ``issuer`` None means self-signed (a root). Raises ``LintFailed``."""
    if issuer is None:
        issuer_subject, issuer_public = req.subject, req.public_key
        issuer_key_id: bytes | None = None
    else:
        issuer_subject = issuer.subject
        issuer_public = issuer.public_key()  # type: ignore[assignment]
        try:
            ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        except x509.ExtensionNotFound:
            raise LintFailed(["issuer certificate has no subjectKeyIdentifier"]) from None
        issuer_key_id = ski.digest
    builder = _builder(req, issuer_subject, issuer_key_id)
    lint_cert = builder.sign(_throwaway_key(issuer_public), hash_for(issuer_public))
    lint_der = lint_cert.public_bytes(Encoding.DER)
    ctx = LintContext(
        profile=req.profile,
        cert=lint_cert,
        issuer=issuer,
        expected_subject=req.subject,
        ocsp_url=req.ocsp_url,
        crl_url=req.crl_url,
        now=now,
        max_backdate=max_backdate,
        signature_size=max_signature_size(issuer_public),
        der_length=len(lint_der),
    )
    problems = run_lints(ctx)
    if problems:
        raise LintFailed(problems)
    return Prepared(req, issuer_subject, issuer_key_id, builder, lint_cert.tbs_certificate_bytes,
                    signature_algorithm_of(lint_der))


def sign(prepared: Prepared, issuer_key: PrivateKey) -> x509.Certificate:
    """Redeem the token once with the real key: the issuer key signs exactly the linted TBS bytes, so the
    certificate is by construction the one that passed lint (Boulder's TBS-equality invariant)."""
    if prepared._used:
        raise PkiError("issuance token already used")
    prepared._used = True
    algorithm = hash_for(issuer_key.public_key())
    try:
        if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
            signature = issuer_key.sign(prepared.lint_tbs, ec.ECDSA(algorithm))
        else:
            signature = issuer_key.sign(prepared.lint_tbs, padding.PKCS1v15(), algorithm)
    except Exception as exc:  # noqa: BLE001 - HSM-backed keys may raise anything
        raise SignerError(f"signing failed: {exc}") from exc
    der = certificate_from_parts(prepared.lint_tbs, prepared.signature_algorithm, signature)
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:  # pragma: no cover - would be a bug in the assembly
        raise SignerError(f"assembled certificate does not parse: {exc}") from exc


def sign_crl(builder: x509.CertificateRevocationListBuilder, issuer_key: PrivateKey) -> x509.CertificateRevocationList:
    try:
        return builder.sign(issuer_key, hash_for(issuer_key.public_key()))
    except Exception as exc:  # noqa: BLE001
        raise SignerError(f"CRL signing failed: {exc}") from exc
