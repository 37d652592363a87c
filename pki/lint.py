"""Lints run on the to-be-signed certificate before the real signature (Boulder's lint-before-sign).

One small function per rule; each returns ``None`` or a problem string, and cites the rule it enforces.
``run_lints`` returns every problem at once so an operator sees them all. The lint certificate carries a
placeholder signature, so size checks assume the largest signature the real issuer key can produce.

The certificate is read from its DER: cryptography parses it (it must parse, and simple fields come from its
getters), and the TBS fields are compared as encoded (subject and issuer byte for byte with what policy approved
and the issuing CA's subject). The extension lints depend only on the extensions other than the subject key
identifier, the profile, the URLs and the issuer's key identifier, which are the same for every certificate a CA
issues under one profile; their verdict is therefore remembered per exact extension bytes (``_ExtensionVerdicts``),
and each certificate's own subject key identifier is checked on its own.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID, SignatureAlgorithmOID

from pki._der import children, content, element_end, oid, subject_of, tlv
from pki.csr import check_key
from pki.errors import PkiError
from pki.names import Subject, as_subject
from pki.policy import check_cn
from pki.profiles import KEY_USAGE_FIELDS, KeySpec, Kind, Profile

__all__ = ["LintContext", "Lint", "LINTS", "run_lints", "max_signature_size", "LintInputError"]

_SKI_OID = b"\x06\x03\x55\x1d\x0e"  # DER OBJECT IDENTIFIER 2.5.29.14 (subjectKeyIdentifier)
_EXTENSIONS_TAG = 0xA3  # TBSCertificate extensions [3] EXPLICIT
# Extension { subjectKeyIdentifier, extnValue OCTET STRING { KeyIdentifier OCTET STRING (20 octets) } }, non-critical
_SKI_EXTENSION_PREFIX = tlv(0x30, _SKI_OID + tlv(0x04, tlv(0x04, bytes(20))))[:-20]


class LintInputError(PkiError):
    """The bytes to lint are not a certificate cryptography can parse (an encoder bug: nothing is signed)."""


class LintContext:
    """What the lints read: the certificate to be signed (DER with a placeholder signature), parsed by
    cryptography and split into its encoded TBS fields, and what policy expects of it."""

    __slots__ = (
        "profile", "der", "cert", "tbs_fields", "issuer", "issuer_subject_der", "issuer_key_id", "issuer_validity",
        "expected_subject",
        "expected_subject_der", "ocsp_url", "crl_url", "now", "max_backdate", "signature_size", "_extensions",
        "_split", "_spki", "_parts",
    )  # fmt: skip

    def __init__(
        self,
        *,
        profile: Profile,
        der: bytes,
        issuer: x509.Certificate | None,
        expected_subject: Subject | x509.Name,
        ocsp_url: str | None,
        crl_url: str | None,
        now: datetime,
        max_backdate: timedelta,
        signature_size: int,
        issuer_subject_der: bytes | None = None,
        issuer_key_id: bytes | None = None,
        issuer_validity: tuple[datetime, datetime] | None = None,
        expected_subject_der: bytes | None = None,
    ) -> None:
        """``issuer`` None: self-signed. The ``*_der``/``issuer_key_id``/``issuer_validity`` arguments are optional
        precomputed values (the issuing CA's encoded subject, subjectKeyIdentifier and (notBefore, notAfter), the
        approved subject's encoding)."""
        try:
            self.cert = x509.load_der_x509_certificate(der)  # it parsed: der is one SEQUENCE, the TBS first in it
            start = 2 + (der[1] & 0x7F if der[1] >= 0x80 else 0)
            fields = children(der[start : element_end(der, start)])
        except (ValueError, IndexError, x509.InvalidVersion) as exc:
            raise LintInputError(f"encoding: the certificate does not parse ({exc})") from None
        if fields[:1] and fields[0][:1] != b"\xa0":
            fields.insert(0, b"")  # version absent (v1, refused by its lint): keep the field positions of RFC 5280
        if len(fields) < 7:
            raise LintInputError(f"encoding: the TBSCertificate has {len(fields)} fields, at least 7 expected")
        self.tbs_fields = fields
        self.profile = profile
        self.der = der
        self.issuer = issuer
        if issuer is not None:
            if issuer_subject_der is None:
                issuer_subject_der = subject_of(issuer.public_bytes(Encoding.DER))
            if issuer_key_id is None:
                issuer_key_id = _ski_of(issuer)
            if issuer_validity is None:
                issuer_validity = (issuer.not_valid_before_utc, issuer.not_valid_after_utc)
        self.issuer_subject_der = issuer_subject_der
        self.issuer_key_id = issuer_key_id
        self.issuer_validity = issuer_validity
        self.expected_subject = as_subject(expected_subject)
        self.expected_subject_der = (
            self.expected_subject.der if expected_subject_der is None else expected_subject_der
        )
        self.ocsp_url = ocsp_url
        self.crl_url = crl_url
        self.now = now
        self.max_backdate = max_backdate
        self.signature_size = signature_size
        self._extensions: Mapping[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]] | None = None
        self._split: tuple[list[bytes], tuple[bytes, ...]] | None = None
        self._spki: list[bytes] | None = None
        self._parts: tuple[list[bytes], bytes | tuple[bytes, ...]] | None = None

    @property
    def extensions(self) -> Mapping[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]]:
        """The parsed extensions (parsed on first use; cryptography raises on duplicates or bad values)."""
        if self._extensions is None:
            self._extensions = {e.oid: e for e in self.cert.extensions}
        return self._extensions

    def split_extensions(self) -> tuple[list[bytes], tuple[bytes, ...]]:
        """(the subjectKeyIdentifier extensions, every other extension in order), each exactly as encoded (empty
        without an extensions field)."""
        if self._split is None:
            raw = next((children(content(f)) for f in self.tbs_fields[7:] if f[0] == _EXTENSIONS_TAG), [])
            ski: list[bytes] = []
            other: list[bytes] = []
            for e in raw:
                (ski if e.startswith(_SKI_OID, 2 if e[1] < 0x80 else 2 + (e[1] & 0x7F)) else other).append(e)
            self._split = (ski, tuple(other))
        return self._split

    def extension_parts(self) -> tuple[list[bytes], bytes | tuple[bytes, ...]]:
        """(the subjectKeyIdentifier extensions as encoded, a value that is equal for two certificates exactly when
        their other extensions are: the ``_ExtensionVerdicts`` key).

        The usual certificate, one non-critical SKI with a 20-octet key identifier, is read without splitting the
        extensions: the extensions field holds the SKI's OID once, inside the SKI's fixed 11-octet framing, and the
        rest of the field (its headers, whose lengths then follow from the other extensions, and those extensions)
        is the key. Anything else goes through ``split_extensions``."""
        if self._parts is None:
            field = self.tbs_fields[-1]
            at = field.find(_SKI_EXTENSION_PREFIX) if field[:1] == b"\xa3" else -1
            end = at + len(_SKI_EXTENSION_PREFIX) + 20
            if at > 0 and end <= len(field) and field.count(_SKI_OID) == 1:
                self._parts = ([field[at:end]], field[:at] + field[end:])
            else:
                self._parts = self.split_extensions()
        return self._parts

    def spki(self) -> list[bytes]:
        """The subjectPublicKeyInfo's algorithm and BIT STRING, as encoded."""
        if self._spki is None:
            self._spki = children(self.tbs_fields[6])
        return self._spki


@dataclass(frozen=True, slots=True)
class Lint:
    name: str
    citation: str
    check: Callable[[LintContext], str | None]
    extensions_only: bool = False  # reads only the extensions other than the SKI (and the context's constants)


def _ski_of(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _ext(ctx: LintContext, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType] | None:
    return ctx.extensions.get(oid)


def max_signature_size(issuer_public_key: object) -> int:
    if isinstance(issuer_public_key, ec.EllipticCurvePublicKey):
        n = (issuer_public_key.curve.key_size + 7) // 8
        # SEQUENCE { INTEGER r, INTEGER s }, each up to n+1 bytes (sign byte)
        return 2 + 2 * (2 + n + 1) + (1 if 2 * (2 + n + 1) >= 128 else 0)
    if isinstance(issuer_public_key, rsa.RSAPublicKey):
        return (issuer_public_key.key_size + 7) // 8
    raise PkiError(f"unsupported issuer key {type(issuer_public_key).__name__}")  # pragma: no cover


_V3 = tlv(0xA0, b"\x02\x01\x02")  # version [0] EXPLICIT INTEGER 2 (v3), the one DER encoding of v3


def _version(ctx: LintContext) -> str | None:
    # Read from the encoding (cryptography, which parsed it, builds an enum member for ``version`` on every call).
    return None if ctx.tbs_fields[0] == _V3 else "certificate must be X.509 v3"


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
    if ctx.cert.signature_algorithm_oid not in _SHA2_SIGNATURES:
        return "signature hash must be SHA-2"
    return None


_EC_ALGORITHMS = {  # SPKI AlgorithmIdentifier of id-ecPublicKey on a named curve (RFC 5480 §2.1.1)
    tlv(0x30, oid("1.2.840.10045.2.1") + oid("1.2.840.10045.3.1.7")): KeySpec.EC_P256,
    tlv(0x30, oid("1.2.840.10045.2.1") + oid("1.3.132.0.34")): KeySpec.EC_P384,
}


_SHA2_SIGNATURES = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA256, SignatureAlgorithmOID.ECDSA_WITH_SHA384,
    SignatureAlgorithmOID.ECDSA_WITH_SHA512, SignatureAlgorithmOID.RSA_WITH_SHA256,
    SignatureAlgorithmOID.RSA_WITH_SHA384, SignatureAlgorithmOID.RSA_WITH_SHA512,
}  # fmt: skip


def _public_key(ctx: LintContext) -> str | None:
    if _EC_ALGORITHMS.get(ctx.spki()[0]) in ctx.profile.keys:
        return None  # an allowed curve, named in the encoding: no need to load the point
    try:
        check_key(ctx.profile, ctx.cert.public_key())  # type: ignore[arg-type]
    except PkiError as exc:
        return exc.message
    return None


_ISO_ORDER = (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME, NameOID.DOMAIN_COMPONENT)


def _subject(ctx: LintContext) -> str | None:
    # Byte equality with the approved subject's encoding (DER: equal bytes, equal name); the rules below then
    # read the approved Name object, which needs no second parse.
    if ctx.tbs_fields[5] != ctx.expected_subject_der:
        return "subject differs from the policy-approved subject"
    subject = ctx.expected_subject
    if ctx.profile.iso15118 and not subject.single_valued:
        return "ISO 15118 subjects carry one attribute per RDN"
    oids = [oid for oid, _value in subject.attributes]
    if ctx.profile.iso15118 and (
        oids != [oid for oid in _ISO_ORDER if oid in oids] or NameOID.COMMON_NAME not in oids
    ):
        return "ISO 15118 subject attributes must be CN, O, C, DC in that order"
    dcs = subject.values(NameOID.DOMAIN_COMPONENT)
    want_dc = ctx.profile.domain_component
    if want_dc is None and dcs:
        return f"profile {ctx.profile.name} carries no DC"
    if want_dc is not None and dcs != [want_dc]:
        return f"subject DC must be {want_dc!r} (EVs check it)"
    cns = subject.values(NameOID.COMMON_NAME)
    if len(cns) != 1:
        return "subject must carry exactly one CN"
    try:
        check_cn(ctx.profile, str(cns[0]))
    except PkiError as exc:
        return exc.message
    return None


def _issuer_name(ctx: LintContext) -> str | None:
    expected = ctx.issuer_subject_der if ctx.issuer is not None else ctx.tbs_fields[5]  # self-signed: own subject
    if ctx.tbs_fields[3] != expected:
        return "issuer name differs from the issuing CA's subject"
    return None


_ONE_SECOND = timedelta(seconds=1)


def _validity(ctx: LintContext) -> str | None:
    nb, na = ctx.cert.not_valid_before_utc, ctx.cert.not_valid_after_utc
    if nb >= na:
        return "notBefore must precede notAfter"
    if nb < ctx.now - ctx.max_backdate - _ONE_SECOND:
        return f"notBefore is backdated more than {ctx.max_backdate}"
    if na - nb > ctx.profile.max_validity + ctx.max_backdate:
        return f"validity exceeds the profile maximum of {ctx.profile.max_validity.days} days"
    if ctx.issuer_validity is not None:
        if na > ctx.issuer_validity[1]:
            return "notAfter is beyond the issuer's notAfter (a child never outlives its issuer)"
        if nb < ctx.issuer_validity[0]:
            return "notBefore precedes the issuer's notBefore"
    return None


def _subject_key_identifier(ctx: LintContext) -> str | None:
    """Exactly one SKI, non-critical, the SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1, what
    EVs and OpenSSL compute to build chains), read from the encoding."""
    found = ctx.extension_parts()[0]
    if len(found) != 1:
        return "subjectKeyIdentifier must be present once (RFC 5280 §4.2.1.2)"
    key_bits = content(ctx.spki()[1])[1:]  # BIT STRING content after its unused-bits octet
    if found[0] == _SKI_EXTENSION_PREFIX + hashlib.sha1(key_bits).digest():  # noqa: S324 - RFC 5280's method
        return None
    if len(children(found[0])) != 2:  # OID, OCTET STRING: a DER BOOLEAN here could only say critical
        return "subjectKeyIdentifier must be non-critical (RFC 5280 §4.2.1.2)"
    return "subjectKeyIdentifier is not the SHA-1 of the subject public key (RFC 5280 §4.2.1.2 method 1)"


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
    if ku.key_agreement:  # these two bits are defined (and readable) only together with keyAgreement
        present |= {f for f in ("encipher_only", "decipher_only") if getattr(ku, f)}
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


def _authority_key_identifier(ctx: LintContext) -> str | None:
    aki = _ext(ctx, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if ctx.profile.kind is Kind.ROOT:
        return None
    if aki is None or aki.critical:
        return "authorityKeyIdentifier must be present and non-critical on non-root certificates"
    issuer_ski = ctx.issuer_key_id if ctx.issuer is not None else _ski_of(ctx.cert)
    assert isinstance(aki.value, x509.AuthorityKeyIdentifier)
    if issuer_ski is None or aki.value.key_identifier != issuer_ski:
        return "authorityKeyIdentifier does not match the issuer's subjectKeyIdentifier"
    return None


def _aia(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if ctx.profile.kind is Kind.ROOT:
        return None if ext is None else "a root carries no AIA"
    if ctx.ocsp_url is None:
        return None if ext is None else "AIA present but no OCSP URL is published"
    entries = list(ext.value) if ext is not None else []  # type: ignore[call-overload]
    if [(d.access_method, d.access_location.value) for d in entries] != [(AuthorityInformationAccessOID.OCSP,
                                                                           ctx.ocsp_url)]:
        return f"AIA must carry exactly the OCSP URL {ctx.ocsp_url}"
    return None


def _crl_dp(ctx: LintContext) -> str | None:
    ext = _ext(ctx, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if ctx.crl_url is None:
        return None if ext is None else "CRL distribution point present but not enabled for this CA"
    if ext is None:
        return f"CRL distribution point {ctx.crl_url} missing"
    names = [(p.full_name, p.relative_name, p.reasons, p.crl_issuer) for p in ext.value]  # type: ignore[attr-defined]
    if names != [([x509.UniformResourceIdentifier(ctx.crl_url)], None, None, None)]:
        return f"CRL distribution points must be exactly {ctx.crl_url}"
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
    worst = len(ctx.der) - len(ctx.cert.signature) + ctx.signature_size
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
    Lint("subject_key_identifier", "RFC 5280 §4.2.1.2", _subject_key_identifier),
    Lint("basic_constraints", "RFC 5280 §4.2.1.9, [V2G2-009]", _basic_constraints, True),
    Lint("key_usage", "RFC 5280 §4.2.1.3, ISO 15118-2 Annex F", _key_usage, True),
    Lint("extended_key_usage", "ISO 15118-2 Annex F", _eku, True),
    Lint("authority_key_identifier", "RFC 5280 §4.2.1.1", _authority_key_identifier, True),
    Lint("aia_ocsp", "RFC 5280 §4.2.2.1, Hubject CP", _aia, True),
    Lint("crl_distribution_points", "RFC 5280 §4.2.1.13", _crl_dp, True),
    Lint("ocsp_nocheck", "RFC 6960 §4.2.2.2.1", _ocsp_nocheck, True),
    Lint("only_known_extensions", "policy: CSR extensions never copied", _only_known_extensions, True),
    Lint("der_size", "ISO 15118-2 [V2G2-010]", _size),
)


class _ExtensionVerdicts:
    """The problems the ``extensions_only`` lints found, per exact input: the lints, the profile, the URLs, the
    issuer's key identifier and the encoded extensions other than the SKI. A CA issuing one profile produces the
    same extension bytes every time, so the extensions are parsed and judged once, not per certificate. Bounded;
    self-signed certificates (their AKI refers to themselves) are always judged afresh."""

    _LIMIT = 1024

    def __init__(self) -> None:
        self._verdicts: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def problems(self, ctx: LintContext, lints: _LintSet) -> tuple[str, ...]:
        if ctx.issuer is None:
            return self._judge(ctx, lints.lints)
        # The lint set by identity (hashing its tuple would run every Lint's dataclass __hash__); the key holds
        # the set, so no other set can take its identity while the verdict is remembered.
        key = (lints, ctx.profile, ctx.ocsp_url, ctx.crl_url, ctx.issuer_key_id, ctx.extension_parts()[1])
        found = self._verdicts.get(key)
        if found is None:
            found = self._judge(ctx, lints.lints)
            with self._lock:
                if len(self._verdicts) >= self._LIMIT:
                    self._verdicts.clear()
                self._verdicts[key] = found
        return found

    @staticmethod
    def _judge(ctx: LintContext, lints: tuple[Lint, ...]) -> tuple[str, ...]:
        try:
            ctx.extensions  # noqa: B018 - parse once; duplicates and malformed values raise here
        except (ValueError, x509.DuplicateExtension) as exc:
            return (f"extensions: cannot be parsed ({exc})",)
        return tuple(f"{lint.name}: {problem}" for lint in lints if (problem := lint.check(ctx)) is not None)


_verdicts = _ExtensionVerdicts()


class _LintSet:
    """Some lints, compared and hashed by identity (a memo key part, see ``_ExtensionVerdicts``)."""

    __slots__ = ("lints",)

    def __init__(self, lints: tuple[Lint, ...]) -> None:
        self.lints = lints


_partitions: dict[int, tuple[Sequence[Lint], tuple[Lint, ...], _LintSet]] = {}


def _partition(lints: Sequence[Lint]) -> tuple[tuple[Lint, ...], _LintSet]:
    """(the per-certificate lints, the extension lints) of a lint list, worked out once per list."""
    found = _partitions.get(id(lints))
    if found is None or found[0] is not lints:  # (the list is kept in the entry, so its id stays its own)
        found = _partitions[id(lints)] = (lints, tuple(lint for lint in lints if not lint.extensions_only),
                                          _LintSet(tuple(lint for lint in lints if lint.extensions_only)))
    return found[1], found[2]


def run_lints(ctx: LintContext, lints: Sequence[Lint] = LINTS) -> list[str]:
    per_certificate, extension_lints = _partition(lints)
    problems = [f"{lint.name}: {problem}" for lint in per_certificate if (problem := lint.check(ctx)) is not None]
    if extension_lints.lints:
        problems.extend(_verdicts.problems(ctx, extension_lints))
    return problems
