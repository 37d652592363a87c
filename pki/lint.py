"""Lints run on the to-be-signed certificate before the real signature (Boulder's lint-before-sign).

One small function per rule; each returns ``None`` or a problem string, and cites the rule it enforces.
``run_lints`` returns every problem at once so an operator sees them all. The lint certificate carries a
throwaway signature, so size checks assume the largest signature the real issuer key can produce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from pki.csr import check_key
from pki.errors import PkiError
from pki.policy import check_cn
from pki.profiles import KEY_USAGE_FIELDS, Kind, Profile

__all__ = ["LintContext", "Lint", "LINTS", "run_lints", "max_signature_size"]


@dataclass(frozen=True, slots=True)
class LintContext:
    profile: Profile
    cert: x509.Certificate  # signed with a throwaway key
    issuer: x509.Certificate | None  # None: self-signed (the certificate is its own issuer)
    expected_subject: x509.Name
    ocsp_url: str | None
    crl_url: str | None
    now: datetime
    max_backdate: timedelta
    signature_size: int  # the largest DER signature the real issuer key can produce
    der_length: int  # len(DER) of the lint certificate
    # Materialised once from ``cert`` and ``issuer`` (each access of the certificate's would parse again):
    extensions: Mapping[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]] = field(init=False)
    subject: x509.Name = field(init=False)
    issuer_name: x509.Name = field(init=False)
    issuer_subject: x509.Name | None = field(init=False)  # the issuing CA's subject (None when self-signed)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen dataclass
        set_(self, "extensions", {e.oid: e for e in self.cert.extensions})
        set_(self, "subject", self.cert.subject)
        set_(self, "issuer_name", self.cert.issuer)
        set_(self, "issuer_subject", self.issuer.subject if self.issuer is not None else None)


@dataclass(frozen=True, slots=True)
class Lint:
    name: str
    citation: str
    check: Callable[[LintContext], str | None]


def _ext(ctx: LintContext, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType] | None:
    return ctx.extensions.get(oid)


def _issuer_ski(ctx: LintContext) -> bytes | None:
    cert = ctx.issuer if ctx.issuer is not None else ctx.cert
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def max_signature_size(issuer_public_key: object) -> int:
    if isinstance(issuer_public_key, ec.EllipticCurvePublicKey):
        n = (issuer_public_key.curve.key_size + 7) // 8
        # SEQUENCE { INTEGER r, INTEGER s }, each up to n+1 bytes (sign byte)
        return 2 + 2 * (2 + n + 1) + (1 if 2 * (2 + n + 1) >= 128 else 0)
    if isinstance(issuer_public_key, rsa.RSAPublicKey):
        return (issuer_public_key.key_size + 7) // 8
    raise PkiError(f"unsupported issuer key {type(issuer_public_key).__name__}")  # pragma: no cover


def _version(ctx: LintContext) -> str | None:
    return None if ctx.cert.version is x509.Version.v3 else "certificate must be X.509 v3"


def _serial(ctx: LintContext) -> str | None:
    s = ctx.cert.serial_number
    if s <= 0:
        return "serial must be positive (RFC 5280 §4.1.2.2)"
    if s.bit_length() > 159:
        return "serial longer than 20 octets (RFC 5280 §4.1.2.2)"
    if s.bit_length() < 64:
        return "serial has fewer than 64 bits (CA/B BR §7.1, OCPP A00.FR.4xx)"
    return None


def _signature_algorithm(ctx: LintContext) -> str | None:
    if ctx.profile.iso15118 and ctx.cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        return "ISO 15118 certificates must be signed with ecdsa-with-SHA256 ([V2G2-006])"
    if not isinstance(ctx.cert.signature_hash_algorithm, hashes.SHA256 | hashes.SHA384 | hashes.SHA512):
        return "signature hash must be SHA-2"
    return None


def _public_key(ctx: LintContext) -> str | None:
    try:
        check_key(ctx.profile, ctx.cert.public_key())  # type: ignore[arg-type]
    except PkiError as exc:
        return exc.message
    return None


def _subject(ctx: LintContext) -> str | None:
    subject = ctx.subject
    if subject != ctx.expected_subject:
        return "subject differs from the policy-approved subject"
    if ctx.profile.iso15118:
        if any(len(rdn) != 1 for rdn in subject.rdns):
            return "ISO 15118 subjects carry one attribute per RDN"
        order = [attribute.oid for attribute in subject]
        wanted = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME, NameOID.DOMAIN_COMPONENT]
        if order != [oid for oid in wanted if oid in order] or NameOID.COMMON_NAME not in order:
            return "ISO 15118 subject attributes must be CN, O, C, DC in that order"
    dcs = subject.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)
    want_dc = ctx.profile.domain_component
    if want_dc is None and dcs:
        return f"profile {ctx.profile.name} carries no DC"
    if want_dc is not None and [a.value for a in dcs] != [want_dc]:
        return f"subject DC must be {want_dc!r} (EVs check it)"
    cns = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(cns) != 1:
        return "subject must carry exactly one CN"
    try:
        check_cn(ctx.profile, str(cns[0].value))
    except PkiError as exc:
        return exc.message
    return None


def _issuer_name(ctx: LintContext) -> str | None:
    if ctx.issuer_subject is not None and ctx.issuer_name != ctx.issuer_subject:
        return "issuer name differs from the issuing CA's subject"
    return None


def _validity(ctx: LintContext) -> str | None:
    nb, na = ctx.cert.not_valid_before_utc, ctx.cert.not_valid_after_utc
    if nb >= na:
        return "notBefore must precede notAfter"
    if nb < ctx.now - ctx.max_backdate - timedelta(seconds=1):
        return f"notBefore is backdated more than {ctx.max_backdate}"
    if na - nb > ctx.profile.max_validity + ctx.max_backdate:
        return f"validity exceeds the profile maximum of {ctx.profile.max_validity.days} days"
    if ctx.issuer is not None:
        if na > ctx.issuer.not_valid_after_utc:
            return "notAfter is beyond the issuer's notAfter (a child never outlives its issuer)"
        if nb < ctx.issuer.not_valid_before_utc:
            return "notBefore precedes the issuer's notBefore"
    return None


def _basic_constraints(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.BASIC_CONSTRAINTS)
    if ext is None or not ext.critical:
        return "basicConstraints must be present and critical"
    bc = ext.value
    assert isinstance(bc, x509.BasicConstraints)
    if bc.ca != ctx.profile.is_ca:
        return f"basicConstraints cA must be {ctx.profile.is_ca}"
    if bc.path_length != ctx.profile.path_length:
        return f"pathLenConstraint must be {ctx.profile.path_length}"
    return None


def _key_usage(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.KEY_USAGE)
    if ext is None or not ext.critical:
        return "keyUsage must be present and critical"
    ku = ext.value
    assert isinstance(ku, x509.KeyUsage)
    present = {f for f in KEY_USAGE_FIELDS if getattr(ku, f)}
    if present != set(ctx.profile.key_usage):
        return f"keyUsage {sorted(present)} differs from the profile's {sorted(ctx.profile.key_usage)}"
    return None


def _eku(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.EXTENDED_KEY_USAGE)
    want = list(ctx.profile.extended_key_usage)
    got = list(ext.value) if ext is not None else []  # type: ignore[call-overload]
    if got != want:
        return "ISO 15118 certificates carry no extendedKeyUsage" if ctx.profile.iso15118 else "EKU differs"
    return None


def _key_identifiers(ctx: LintContext) -> str | None:
    ski = _ext(ctx, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    if ski is None or ski.critical:
        return "subjectKeyIdentifier must be present and non-critical (RFC 5280 §4.2.1.2)"
    aki = _ext(ctx, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if ctx.profile.kind is Kind.ROOT:
        return None
    if aki is None or aki.critical:
        return "authorityKeyIdentifier must be present and non-critical on non-root certificates"
    issuer_ski = _issuer_ski(ctx)
    assert isinstance(aki.value, x509.AuthorityKeyIdentifier)
    if issuer_ski is None or aki.value.key_identifier != issuer_ski:
        return "authorityKeyIdentifier does not match the issuer's subjectKeyIdentifier"
    return None


def _aia(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if ctx.profile.kind is Kind.ROOT:
        return None if ext is None else "a root carries no AIA"
    if ctx.ocsp_url is None:
        return None
    urls = [d.access_location.value for d in ext.value] if ext is not None else []  # type: ignore[attr-defined]
    if urls != [ctx.ocsp_url]:
        return f"AIA must carry exactly the OCSP URL {ctx.ocsp_url}"
    return None


def _crl_dp(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if ctx.crl_url is None:
        return None if ext is None else "CRL distribution point present but not enabled for this CA"
    if ext is None:
        return f"CRL distribution point {ctx.crl_url} missing"
    return None


def _ocsp_nocheck(ctx: LintContext) -> str | None:
    present = _ext(ctx, ExtensionOID.OCSP_NO_CHECK) is not None
    if present != ctx.profile.ocsp_nocheck:
        return "id-pkix-ocsp-nocheck presence differs from the profile (RFC 6960 §4.2.2.2.1)"
    return None


_KNOWN = {
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS, ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.OCSP_NO_CHECK,
}  # fmt: skip


def _only_known_extensions(ctx: LintContext) -> str | None:
    extra = [oid.dotted_string for oid in ctx.extensions if oid not in _KNOWN]
    return f"unexpected extensions {extra} (CSR extensions are never copied)" if extra else None


def _size(ctx: LintContext) -> str | None:
    limit = ctx.profile.max_der_size
    if limit is None:
        return None
    worst = ctx.der_length - len(ctx.cert.signature) + ctx.signature_size
    if worst > limit:
        return f"certificate would be up to {worst} bytes DER, ISO 15118-2 allows {limit} ([V2G2-010])"
    return None


LINTS: Sequence[Lint] = (
    Lint("version_v3", "RFC 5280 §4.1.2.1", _version),
    Lint("serial_number", "RFC 5280 §4.1.2.2", _serial),
    Lint("signature_algorithm", "ISO 15118-2 [V2G2-006]", _signature_algorithm),
    Lint("public_key", "ISO 15118-2 [V2G2-007], OCPP A00.FR.4xx", _public_key),
    Lint("subject", "ISO 15118-2 Annex F, pnc-facts §1", _subject),
    Lint("issuer_name", "RFC 5280 §4.1.2.4", _issuer_name),
    Lint("validity", "RFC 5280 §4.1.2.5, profile", _validity),
    Lint("basic_constraints", "RFC 5280 §4.2.1.9, [V2G2-009]", _basic_constraints),
    Lint("key_usage", "RFC 5280 §4.2.1.3, ISO 15118-2 Annex F", _key_usage),
    Lint("extended_key_usage", "ISO 15118-2 Annex F", _eku),
    Lint("key_identifiers", "RFC 5280 §4.2.1.1-2", _key_identifiers),
    Lint("aia_ocsp", "RFC 5280 §4.2.2.1, Hubject CP", _aia),
    Lint("crl_distribution_points", "RFC 5280 §4.2.1.13", _crl_dp),
    Lint("ocsp_nocheck", "RFC 6960 §4.2.2.2.1", _ocsp_nocheck),
    Lint("only_known_extensions", "policy: CSR extensions never copied", _only_known_extensions),
    Lint("der_size", "ISO 15118-2 [V2G2-010]", _size),
)


def run_lints(ctx: LintContext, lints: Sequence[Lint] = LINTS) -> list[str]:
    return [f"{lint.name}: {problem}" for lint in lints if (problem := lint.check(ctx)) is not None]
