"""Signing: the only module that uses CA private keys (Boulder's CA component).

``prepare`` encodes the TBSCertificate (``pki.tbs``), lints it as a certificate with a placeholder signature and
returns a single-use ``Prepared`` token; nothing is signed before the lint passed. ``sign`` redeems the token: the
issuer key signs exactly the linted TBS bytes, and the certificate is assembled from them (Boulder's
TBS-equality invariant, by construction). ``sign_crl`` signs CRLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding

from pki._der import certificate_from_parts, subject_of
from pki.errors import LintFailed, PkiError, SignerError
from pki.lint import LintContext, LintInputError, max_signature_size, run_lints
from pki.names import Subject
from pki.ports import PrivateKey, PublicKey
from pki.profiles import Profile
from pki.tbs import encode_tbs, placeholder_signature, signature_algorithm

__all__ = ["IssuanceRequest", "Prepared", "prepare", "sign", "sign_der", "sign_crl", "hash_for"]


@dataclass(frozen=True, slots=True)
class IssuanceRequest:
    """Everything that will appear in the certificate, already decided by policy."""

    profile: Profile
    subject: Subject
    public_key: PublicKey
    serial: int
    not_before: datetime
    not_after: datetime
    ocsp_url: str | None  # AIA OCSP (None for roots)
    crl_url: str | None = None  # CRL DP when enabled for the issuing CA
    spki: bytes | None = None  # public_key's SubjectPublicKeyInfo when already encoded (pki.csr.CheckedCsr.spki)


@dataclass(slots=True)
class Prepared:
    """Single-use issuance token: the TBS bytes that passed lint."""

    request: IssuanceRequest
    lint_tbs: bytes
    signature_algorithm: bytes  # DER AlgorithmIdentifier, as in the TBS
    _used: bool = field(default=False)


def hash_for(public_key: PublicKey) -> hashes.SHA256 | hashes.SHA384:
    """Signature hash for an issuer key: SHA-256 for RSA, for EC see ``_ec_signing``."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _ec_signing(public_key.curve.key_size)[0]
    return _SHA256


def _ec_signing(key_size: int) -> tuple[hashes.SHA256 | hashes.SHA384, ec.ECDSA]:
    """(hash, ECDSA with that hash) for an EC issuer key: SHA-256 for P-256 ([V2G2-006]), SHA-384 for P-384."""
    return _EC_SIGNING[key_size > 256]


_SHA256 = hashes.SHA256()
_SHA384 = hashes.SHA384()
_EC_SIGNING = ((_SHA256, ec.ECDSA(_SHA256)), (_SHA384, ec.ECDSA(_SHA384)))  # made once: every issuance signs


@dataclass(frozen=True, slots=True)
class _IssuerFacts:
    """What every issuance under one CA certificate needs from it, derived once."""

    public_key: PublicKey
    name_der: bytes  # its subject exactly as encoded: the issuer field of every child
    key_id: bytes  # its subjectKeyIdentifier: the AKI of every child
    algorithm: bytes  # DER AlgorithmIdentifier of its signatures
    placeholder: bytes  # a largest-size signature for the lint certificate
    signature_size: int
    validity: tuple[datetime, datetime]  # (notBefore, notAfter)


_issuers: dict[int, tuple[x509.Certificate, _IssuerFacts]] = {}  # by id(); the entry keeps its certificate alive


def _issuer_facts(issuer: x509.Certificate) -> _IssuerFacts:
    entry = _issuers.get(id(issuer))
    facts = entry[1] if entry is not None and entry[0] is issuer else None
    if facts is None:
        public_key: PublicKey = issuer.public_key()  # type: ignore[assignment]
        try:
            key_id = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            raise LintFailed(["issuer certificate has no subjectKeyIdentifier"]) from None
        facts = _IssuerFacts(public_key, subject_of(issuer.public_bytes(Encoding.DER)), key_id,
                             signature_algorithm(public_key), placeholder_signature(public_key),
                             max_signature_size(public_key), (issuer.not_valid_before_utc, issuer.not_valid_after_utc))
        if len(_issuers) >= 256:  # CAs are few; a long-running process rotating many would otherwise grow this
            _issuers.clear()
        _issuers[id(issuer)] = (issuer, facts)
    return facts


def prepare(
    req: IssuanceRequest,
    issuer: x509.Certificate | None,
    *,
    now: datetime,
    max_backdate: timedelta,
) -> Prepared:
    """Encode and lint. ``issuer`` None means self-signed (a root). Raises ``LintFailed``; signs nothing."""
    subject_der = req.subject.der
    if issuer is None:
        issuer_public = req.public_key
        issuer_name = subject_der
        issuer_key_id: bytes | None = None
        issuer_validity = None
        algorithm = signature_algorithm(issuer_public)
        placeholder = placeholder_signature(issuer_public)
        signature_size = max_signature_size(issuer_public)
    else:
        facts = _issuer_facts(issuer)
        issuer_name, issuer_key_id, issuer_validity = facts.name_der, facts.key_id, facts.validity
        algorithm, placeholder, signature_size = facts.algorithm, facts.placeholder, facts.signature_size
    tbs = encode_tbs(
        profile=req.profile, serial=req.serial, signature_alg=algorithm, issuer_name=issuer_name,
        not_before=req.not_before, not_after=req.not_after, subject=subject_der, public_key=req.public_key,
        issuer_key_id=issuer_key_id, ocsp_url=req.ocsp_url, crl_url=req.crl_url, spki=req.spki,
    )
    try:
        ctx = LintContext(
            profile=req.profile,
            der=certificate_from_parts(tbs, algorithm, placeholder),
            issuer=issuer,
            expected_subject=req.subject,
            issuer_subject_der=issuer_name if issuer is not None else None,
            issuer_key_id=issuer_key_id,
            issuer_validity=issuer_validity,
            ocsp_url=req.ocsp_url,
            crl_url=req.crl_url,
            now=now,
            max_backdate=max_backdate,
            signature_size=signature_size,
        )
    except LintInputError as exc:  # would be an encoder bug: refuse rather than sign
        raise LintFailed([exc.message]) from None
    problems = run_lints(ctx)
    if problems:
        raise LintFailed(problems)
    return Prepared(req, tbs, algorithm)


def sign(prepared: Prepared, issuer_key: PrivateKey) -> x509.Certificate:
    """Redeem the token once with the real key: the issuer key signs exactly the linted TBS bytes, so the
    certificate is by construction the one that passed lint (Boulder's TBS-equality invariant)."""
    der = sign_der(prepared, issuer_key)
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:  # pragma: no cover - would be a bug in the assembly
        raise SignerError(f"assembled certificate does not parse: {exc}") from exc


def sign_der(prepared: Prepared, issuer_key: PrivateKey) -> bytes:
    """``sign``, returning the certificate's DER as assembled: the linted certificate with the real signature in
    place of the placeholder (the lint parsed that structure with a signature of the largest size; nothing is
    parsed again here)."""
    if prepared._used:
        raise PkiError("issuance token already used")
    prepared._used = True
    try:
        if type(issuer_key) is _EC_PRIVATE or isinstance(issuer_key, ec.EllipticCurvePrivateKey):
            signature = issuer_key.sign(prepared.lint_tbs, _ec_signing(issuer_key.curve.key_size)[1])
        else:
            signature = issuer_key.sign(prepared.lint_tbs, padding.PKCS1v15(), _SHA256)
    except Exception as exc:  # noqa: BLE001 - HSM-backed keys may raise anything
        raise SignerError(f"signing failed: {exc}") from exc
    return certificate_from_parts(prepared.lint_tbs, prepared.signature_algorithm, signature)


# The concrete class of cryptography's EC private keys: an identity test spares the ABC isinstance machinery on every
# issuance (an HSM-backed key still takes the isinstance path).
_EC_PRIVATE = type(ec.generate_private_key(ec.SECP256R1()))


def sign_crl(builder: x509.CertificateRevocationListBuilder, issuer_key: PrivateKey) -> x509.CertificateRevocationList:
    try:
        return builder.sign(issuer_key, hash_for(issuer_key.public_key()))
    except Exception as exc:  # noqa: BLE001
        raise SignerError(f"CRL signing failed: {exc}") from exc
