"""Certificates for the lint tests (test_lint.py, test_lint_input.py): a real chain made per test (a V2G root,
a CPO Sub-CA 2, SECC leaves; a CSO root, CSO Sub-CA, charging station leaves), built with cryptography's
CertificateBuilder with exactly the extensions pki.tbs writes; ``issue(..., extensions={oid: replacement or
None})`` changes one of them. The fixtures ``v2g``, ``cso`` and ``rsa_keys`` are in tests/pki/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from pki._der import certificate_from_parts, children, content, tlv
from pki.lint import LintContext, max_signature_size, run_lints
from pki.profiles import KEY_USAGE_FIELDS, Kind, Profile, get_profile
from pki.tbs import placeholder_signature
from tests.helpers import name

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Ext = tuple[x509.ExtensionType, bool]  # (value, critical)

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(minutes=1)
BACKDATE = timedelta(minutes=5)
SERIAL = (1 << 158) + 12345
OCSP = "http://ocsp.test/cpo-sub2"
CRL = "http://crl.test/cpo-sub2.crl"
SECC_SUBJECT = name("DE*ICE*S*CTRL0001", "Test CPO", "DE", "CPO")
STATION_SUBJECT = name("CS-0001", "Test CSO", "DE")

BC, KU, EKU = ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE
SKI, AKI = ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER
AIA, CRL_DP = ExtensionOID.AUTHORITY_INFORMATION_ACCESS, ExtensionOID.CRL_DISTRIBUTION_POINTS
NOCHECK, SAN = ExtensionOID.OCSP_NO_CHECK, ExtensionOID.SUBJECT_ALTERNATIVE_NAME
UNKNOWN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1")



# --- building certificates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A certificate and what its lint context is built from (as pki.issuance.prepare would)."""

    cert: x509.Certificate
    profile: Profile
    issuer: CA | None
    subject: x509.Name  # the policy-approved subject (expected_subject)
    ocsp_url: str | None
    crl_url: str | None

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(Encoding.DER)


@dataclass(frozen=True)
class CA:
    issued: Issued
    key: ec.EllipticCurvePrivateKey

    @property
    def cert(self) -> x509.Certificate:
        return self.issued.cert

    @property
    def ski(self) -> x509.SubjectKeyIdentifier:
        return self.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value


class Chain(NamedTuple):
    root: CA
    sub: CA


def key_usage(*fields: str) -> x509.KeyUsage:
    return x509.KeyUsage(encipher_only=False, decipher_only=False, **{f: f in fields for f in KEY_USAGE_FIELDS})


def aia(*urls: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u)) for u in urls]
    )


def crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)])


def required_extensions(
    profile: Profile, public_key: Any, issuer: CA | None, ocsp_url: str | None, crl_url: str | None
) -> dict[x509.ObjectIdentifier, Ext]:
    """Exactly the extensions pki.tbs._fixed_extensions writes, in its order (the SKI after BC and KU)."""
    exts: dict[x509.ObjectIdentifier, Ext] = {
        BC: (x509.BasicConstraints(ca=profile.is_ca, path_length=profile.path_length), True),
        KU: (key_usage(*profile.key_usage), True),
        SKI: (x509.SubjectKeyIdentifier.from_public_key(public_key), False),
    }
    if issuer is not None and profile.kind is not Kind.ROOT:
        exts[AKI] = (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer.ski), False)
    if profile.extended_key_usage:
        exts[EKU] = (x509.ExtendedKeyUsage(list(profile.extended_key_usage)), False)
    if ocsp_url is not None and profile.kind is not Kind.ROOT:
        exts[AIA] = (aia(ocsp_url), False)
    if crl_url is not None:
        exts[CRL_DP] = (crl_dp(crl_url), False)
    if profile.ocsp_nocheck:
        exts[NOCHECK] = (x509.OCSPNoCheck(), False)
    return exts


def issue(
    profile: Profile | str,
    issuer: CA | None,
    *,
    subject: x509.Name,
    key: PrivateKey | None = None,
    serial: int = SERIAL,
    not_before: datetime = START,
    not_after: datetime | None = None,
    issuer_name: x509.Name | None = None,
    hash_algorithm: hashes.HashAlgorithm | None = None,
    ocsp_url: str | None = OCSP,
    crl_url: str | None = None,
    extensions: Mapping[x509.ObjectIdentifier, Ext | None] | None = None,
) -> Issued:
    """A correct certificate of ``profile`` issued by ``issuer`` (None: self-signed with ``key``); each keyword
    changes one thing. ``extensions`` replaces (in place), removes (None) or appends extensions by OID."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
    if not_after is None:
        not_after = not_before + profile.default_validity
        if issuer is not None:
            not_after = min(not_after, issuer.cert.not_valid_after_utc)
    exts = required_extensions(profile, key.public_key(), issuer, ocsp_url, crl_url)
    for ext_oid, replacement in (extensions or {}).items():
        if replacement is None:
            del exts[ext_oid]
        else:
            exts[ext_oid] = replacement
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or (issuer.cert.subject if issuer is not None else subject))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for value, critical in exts.values():
        builder = builder.add_extension(value, critical=critical)
    signer = issuer.key if issuer is not None else key
    cert = builder.sign(signer, hash_algorithm or hashes.SHA256())  # type: ignore[arg-type]
    return Issued(cert, profile, issuer, subject, ocsp_url, crl_url)


def make_ca(profile: str, issuer: CA | None, subject: x509.Name, **kw: Any) -> CA:
    key = ec.generate_private_key(ec.SECP256R1())
    return CA(issue(profile, issuer, subject=subject, key=key, ocsp_url=None if issuer is None else OCSP, **kw), key)


def make_chain(root_profile: str, sub_profile: str, org: str, dc: str | None) -> Chain:
    root = make_ca(root_profile, None, name(f"Test {root_profile}", org, "DE", dc))
    return Chain(root, make_ca(sub_profile, root, name(f"Test {sub_profile}", org, "DE", dc)))


def secc(chain: Chain, *, subject: x509.Name = SECC_SUBJECT, **kw: Any) -> Issued:
    return issue("secc", chain.sub, subject=subject, **kw)


def station(chain: Chain, *, subject: x509.Name = STATION_SUBJECT, **kw: Any) -> Issued:
    return issue("charging-station", chain.sub, subject=subject, **kw)


def context(issued: Issued, **overrides: Any) -> LintContext:
    """The context prepare would build for ``issued``; ``overrides`` replace LintContext arguments."""
    issuer_cert = issued.issuer.cert if issued.issuer is not None else None
    args: dict[str, Any] = dict(
        profile=issued.profile, der=issued.der, issuer=issuer_cert, expected_subject=issued.subject,
        ocsp_url=issued.ocsp_url, crl_url=issued.crl_url, now=NOW, max_backdate=BACKDATE,
        signature_size=max_signature_size((issuer_cert or issued.cert).public_key()),
    )  # fmt: skip
    args.update(overrides)
    return LintContext(**args)


def lint(issued: Issued, **overrides: Any) -> list[str]:
    """run_lints on ``context(issued, **overrides)``."""
    return run_lints(context(issued, **overrides))


def fired(problems: list[str]) -> list[str]:
    """The names of the lints that reported a problem ("lint_name: message")."""
    return [problem.split(":", 1)[0] for problem in problems]


def rebuilt(issued: Issued, edit: Callable[[list[bytes]], list[bytes]], signature: bytes | None = None) -> bytes:
    """The certificate with its TBS re-framed by hand after ``edit`` changed the list of encoded Extensions,
    with a dummy (placeholder) signature: CertificateBuilder cannot produce these."""
    tbs, algorithm, _signature = children(issued.der)
    fields = children(tbs)
    assert fields[7][0] == 0xA3
    fields[7] = tlv(0xA3, tlv(0x30, b"".join(edit(children(content(fields[7]))))))
    if signature is None:
        assert issued.issuer is not None
        signature = placeholder_signature(issued.issuer.key.public_key())
    return certificate_from_parts(tlv(0x30, b"".join(fields)), algorithm, signature)


def extension_index(issued: Issued, ext_oid: x509.ObjectIdentifier) -> int:
    return [e.oid for e in issued.cert.extensions].index(ext_oid)
