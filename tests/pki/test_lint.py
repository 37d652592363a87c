"""Each lint of pki.lint fires on the defect it exists for, and stays silent on a correct certificate.

Certificates are built with cryptography's CertificateBuilder for a real chain made in the test (a V2G root, a
CPO Sub-CA 2, SECC leaves; a CSO root, CSO Sub-CA, charging station leaves), with exactly the extensions
pki.tbs writes; ``issue(..., extensions={oid: replacement or None})`` changes one of them. The extension lints
are memoised per exact extension bytes (``pki.lint._verdicts``), so the memo tests lint good and bad
certificates from the same issuer in both orders and check every one gets its own verdict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, ExtensionOID, NameOID

from pki._der import certificate_from_parts, children, content, integer, subject_of, tlv
from pki.errors import LintFailed
from pki.issuance import IssuanceRequest, prepare, sign
from pki.lint import LintContext, LintInputError, max_signature_size, run_lints
from pki.names import as_subject
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


def lint(issued: Issued, **overrides: Any) -> list[str]:
    """run_lints on the context prepare would build for ``issued``; ``overrides`` replace LintContext arguments."""
    issuer_cert = issued.issuer.cert if issued.issuer is not None else None
    args: dict[str, Any] = dict(
        profile=issued.profile, der=issued.der, issuer=issuer_cert, expected_subject=issued.subject,
        ocsp_url=issued.ocsp_url, crl_url=issued.crl_url, now=NOW, max_backdate=BACKDATE,
        signature_size=max_signature_size((issuer_cert or issued.cert).public_key()),
    )  # fmt: skip
    args.update(overrides)
    return run_lints(LintContext(**args))


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


@pytest.fixture
def v2g() -> Chain:
    """A fresh V2G root and CPO Sub-CA 2 per test: a new issuer key id, so no memo entry is shared between tests."""
    return make_chain("v2g-root", "cpo-sub2", "Test CPO", "V2G")


@pytest.fixture
def cso() -> Chain:
    return make_chain("cso-root", "cso-sub", "Test CSO", None)


@pytest.fixture(scope="module")
def rsa_keys() -> dict[int, rsa.RSAPrivateKey]:
    return {size: rsa.generate_private_key(public_exponent=65537, key_size=size) for size in (1024, 2048)}


# --- correct certificates pass ------------------------------------------------------------------------------

GOOD: dict[str, Callable[[Chain, Chain], Issued]] = {
    "v2g-root": lambda v2g, cso: v2g.root.issued,
    "cpo-sub2": lambda v2g, cso: v2g.sub.issued,
    "secc": lambda v2g, cso: secc(v2g),
    "secc-evse-id-cn": lambda v2g, cso: secc(v2g, subject=name("DE*ICE*E45B*78C", "Test CPO", "DE", "CPO")),
    "secc-with-crl-dp": lambda v2g, cso: secc(v2g, crl_url=CRL),
    "secc-64-bit-serial": lambda v2g, cso: secc(v2g, serial=1 << 63),
    "ocsp-responder": lambda v2g, cso: issue("ocsp-responder", v2g.sub, subject=name("OCSP", "Test CPO", "DE")),
    "cso-root": lambda v2g, cso: cso.root.issued,
    "cso-sub": lambda v2g, cso: cso.sub.issued,
    "charging-station-p256": lambda v2g, cso: station(cso),
    "charging-station-p384": lambda v2g, cso: station(cso, key=ec.generate_private_key(ec.SECP384R1())),
    "charging-station-sha384": lambda v2g, cso: station(cso, hash_algorithm=hashes.SHA384()),
}


@pytest.mark.parametrize("make", GOOD.values(), ids=GOOD.keys())
def test_correct_certificate_has_no_problem(make: Callable[[Chain, Chain], Issued], v2g: Chain, cso: Chain) -> None:
    issued = make(v2g, cso)
    assert lint(issued) == []
    assert lint(issued) == []  # and again, from the memo


def test_precomputed_context_values_give_the_same_verdicts(v2g: Chain) -> None:
    """prepare passes the issuer's encoded subject, its key id and the subject encoding precomputed."""
    precomputed = dict(issuer_subject_der=subject_of(v2g.sub.issued.der), issuer_key_id=v2g.sub.ski.digest,
                       expected_subject_der=SECC_SUBJECT.public_bytes())
    assert lint(secc(v2g), **precomputed) == []
    assert fired(lint(secc(v2g, serial=7), **precomputed)) == ["serial_number"]
    assert fired(lint(secc(v2g, issuer_name=v2g.root.cert.subject), **precomputed)) == ["issuer_name"]


def test_rsa_2048_on_charging_station_is_allowed(cso: Chain, rsa_keys: dict[int, rsa.RSAPrivateKey]) -> None:
    assert lint(station(cso, key=rsa_keys[2048])) == []


# --- one lint per defect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("serial", [1, 12345, (1 << 63) - 1], ids=["1", "small", "63-bits"])
def test_serial_below_64_bits(v2g: Chain, serial: int) -> None:
    problems = lint(secc(v2g, serial=serial))
    assert fired(problems) == ["serial_number"]
    assert "64 bits" in problems[0]


@pytest.mark.parametrize("make", [
    lambda v2g: secc(v2g, hash_algorithm=hashes.SHA384()),
    lambda v2g: secc(v2g, hash_algorithm=hashes.SHA512()),
    lambda v2g: issue("cpo-sub2", v2g.root, subject=v2g.sub.issued.subject, hash_algorithm=hashes.SHA384()),
], ids=["secc-sha384", "secc-sha512", "cpo-sub2-sha384"])  # fmt: skip
def test_iso15118_certificate_not_signed_with_sha256(v2g: Chain, make: Callable[[Chain], Issued]) -> None:
    problems = lint(make(v2g))
    assert fired(problems) == ["signature_algorithm"]
    assert "ecdsa-with-SHA256" in problems[0]


CURVES: dict[str, ec.EllipticCurve] = {
    "p384": ec.SECP384R1(), "p521": ec.SECP521R1(), "brainpool": ec.BrainpoolP256R1(),
}  # fmt: skip


@pytest.mark.parametrize(("profile", "key"), [
    ("secc", "p384"), ("secc", "brainpool"), ("secc", "rsa2048"),
    ("charging-station", "rsa1024"), ("charging-station", "p521"), ("charging-station", "brainpool"),
])  # fmt: skip
def test_key_not_allowed_by_the_profile(
    v2g: Chain, cso: Chain, rsa_keys: dict[int, rsa.RSAPrivateKey], profile: str, key: str
) -> None:
    private = rsa_keys[int(key[3:])] if key.startswith("rsa") else ec.generate_private_key(CURVES[key])
    issued = secc(v2g, key=private) if profile == "secc" else station(cso, key=private)
    problems = lint(issued)
    assert fired(problems) == ["public_key"]
    assert "not allowed" in problems[0]


def test_subject_with_another_cn(v2g: Chain) -> None:
    issued = secc(v2g, subject=name("DE*ICE*S*CTRL0002", "Test CPO", "DE", "CPO"))
    problems = lint(issued, expected_subject=SECC_SUBJECT)
    assert fired(problems) == ["subject"]
    assert "policy-approved" in problems[0]


def test_subject_with_the_same_attributes_in_another_order(v2g: Chain) -> None:
    reordered = x509.Name([*SECC_SUBJECT.get_attributes_for_oid(NameOID.ORGANIZATION_NAME),
                           *SECC_SUBJECT.get_attributes_for_oid(NameOID.COMMON_NAME),
                           *SECC_SUBJECT.get_attributes_for_oid(NameOID.COUNTRY_NAME),
                           *SECC_SUBJECT.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)])  # fmt: skip
    assert fired(lint(secc(v2g, subject=reordered), expected_subject=SECC_SUBJECT)) == ["subject"]
    # approved as such, the order itself breaks the ISO 15118 rule
    problems = lint(secc(v2g, subject=reordered))
    assert fired(problems) == ["subject"]
    assert "CN, O, C, DC" in problems[0]


def test_subject_with_the_same_attributes_encoded_differently(v2g: Chain) -> None:
    """Byte equality: an O as PrintableString instead of the approved UTF8String is another subject."""
    printable = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "DE*ICE*S*CTRL0001"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test CPO", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "CPO"),
    ])  # fmt: skip
    assert printable.public_bytes() != SECC_SUBJECT.public_bytes()
    assert fired(lint(secc(v2g, subject=printable), expected_subject=SECC_SUBJECT)) == ["subject"]


@pytest.mark.parametrize("dc", ["V2G", "MO", None], ids=["V2G", "MO", "no-DC"])
def test_secc_subject_with_a_wrong_dc(v2g: Chain, dc: str | None) -> None:
    problems = lint(secc(v2g, subject=name("DE*ICE*S*CTRL0001", "Test CPO", "DE", dc)))
    assert fired(problems) == ["subject"]
    assert "DC" in problems[0] and "'CPO'" in problems[0]


def test_dc_on_a_profile_without_dc(cso: Chain) -> None:
    problems = lint(station(cso, subject=name("CS-0001", "Test CSO", "DE", "CPO")))
    assert fired(problems) == ["subject"]
    assert "carries no DC" in problems[0]


def test_iso15118_subject_with_a_multi_valued_rdn(v2g: Chain) -> None:
    cn, o, c, dc = (attribute for rdn in SECC_SUBJECT.rdns for attribute in rdn)
    subject = x509.Name([x509.RelativeDistinguishedName([cn, o]), x509.RelativeDistinguishedName([c]),
                         x509.RelativeDistinguishedName([dc])])  # fmt: skip
    problems = lint(secc(v2g, subject=subject))
    assert fired(problems) == ["subject"]
    assert "one attribute per RDN" in problems[0]


@pytest.mark.parametrize("cn", [None, "not a SECC ID", "DE*ICE*X*CTRL0001"], ids=["no-cn", "text", "not-S"])
def test_secc_subject_without_a_valid_cn(v2g: Chain, cn: str | None) -> None:
    assert fired(lint(secc(v2g, subject=name(cn, "Test CPO", "DE", "CPO")))) == ["subject"]


def test_issuer_name_not_the_issuing_ca_subject(v2g: Chain) -> None:
    assert fired(lint(secc(v2g, issuer_name=v2g.root.cert.subject))) == ["issuer_name"]


def test_issuer_name_equal_but_encoded_differently(v2g: Chain) -> None:
    """The issuer field must be the CA's subject byte for byte (here O re-encoded as PrintableString)."""
    sub_subject = v2g.sub.cert.subject
    printable = {NameOID.ORGANIZATION_NAME: _ASN1Type.PrintableString}
    reencoded = x509.Name([x509.NameAttribute(a.oid, a.value, _type=printable.get(a.oid)) for a in sub_subject])
    assert reencoded.public_bytes() != sub_subject.public_bytes()
    assert fired(lint(secc(v2g, issuer_name=reencoded))) == ["issuer_name"]


def test_self_signed_issuer_name_differs_from_subject(v2g: Chain) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    root = issue("v2g-root", None, subject=name("Root", "T", "DE", "V2G"), key=key, ocsp_url=None,
                 issuer_name=name("Other", "T", "DE", "V2G"))
    assert fired(lint(root)) == ["issuer_name"]


def test_not_after_beyond_the_issuer(v2g: Chain) -> None:
    short_sub = make_ca("cpo-sub2", v2g.root, v2g.sub.issued.subject, not_after=NOW + timedelta(days=30))
    problems = lint(issue("secc", short_sub, subject=SECC_SUBJECT, not_after=NOW + timedelta(days=31)))
    assert fired(problems) == ["validity"]
    assert "beyond the issuer" in problems[0]


def test_not_before_before_the_issuer(v2g: Chain) -> None:
    late_sub = make_ca("cpo-sub2", v2g.root, v2g.sub.issued.subject, not_before=NOW)
    problems = lint(issue("secc", late_sub, subject=SECC_SUBJECT, not_before=NOW - timedelta(minutes=2)))
    assert fired(problems) == ["validity"]
    assert "precedes the issuer" in problems[0]


@pytest.mark.parametrize(("not_before", "not_after", "message"), [
    (NOW - timedelta(minutes=10), NOW + timedelta(days=90), "backdated more than"),
    (START, START + timedelta(days=366), "exceeds the profile maximum"),
    (START, START, "must precede"),
], ids=["backdated", "too-long", "empty"])  # fmt: skip
def test_validity(v2g: Chain, not_before: datetime, not_after: datetime, message: str) -> None:
    problems = lint(secc(v2g, not_before=not_before, not_after=not_after))
    assert fired(problems) == ["validity"]
    assert message in problems[0]


def _method_1(public_key: Any) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest


SKI_DEFECTS: dict[str, tuple[Callable[[Any], Ext | None], str]] = {  # the subject key -> the SKI it gets
    "missing": (lambda key: None, "present once"),
    "critical": (lambda key: (x509.SubjectKeyIdentifier(_method_1(key)), True), "non-critical"),
    "critical-and-zeros": (lambda key: (x509.SubjectKeyIdentifier(bytes(20)), True), "non-critical"),
    "zeros": (lambda key: (x509.SubjectKeyIdentifier(bytes(20)), False), "not the SHA-1"),
    "other-key": (lambda key: (x509.SubjectKeyIdentifier(_method_1(ec.generate_private_key(ec.SECP256R1())
                                                                   .public_key())), False), "not the SHA-1"),
    "sha1-of-whole-spki": (lambda key: (x509.SubjectKeyIdentifier(hashlib.sha1(  # noqa: S324 - a common mistake
        key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()), False), "not the SHA-1"),
    "truncated": (lambda key: (x509.SubjectKeyIdentifier(_method_1(key)[:8]), False), "not the SHA-1"),
}  # fmt: skip


@pytest.mark.parametrize("defect", SKI_DEFECTS.keys())
def test_subject_key_identifier(v2g: Chain, defect: str) -> None:
    make_ski, message = SKI_DEFECTS[defect]
    key = ec.generate_private_key(ec.SECP256R1())
    problems = lint(secc(v2g, key=key, extensions={SKI: make_ski(key.public_key())}))
    assert fired(problems) == ["subject_key_identifier"]
    assert message in problems[0]


@pytest.mark.parametrize(("profile", "replacement", "message"), [
    ("secc", None, "present and critical"),
    ("secc", (x509.BasicConstraints(ca=False, path_length=None), False), "present and critical"),
    ("secc", (x509.BasicConstraints(ca=True, path_length=None), True), "cA must be False"),
    ("secc", (x509.BasicConstraints(ca=True, path_length=0), True), "cA must be False"),
    ("cpo-sub2", None, "present and critical"),
    ("cpo-sub2", (x509.BasicConstraints(ca=True, path_length=0), False), "present and critical"),
    ("cpo-sub2", (x509.BasicConstraints(ca=False, path_length=None), True), "cA must be True"),
    ("cpo-sub2", (x509.BasicConstraints(ca=True, path_length=1), True), "pathLenConstraint must be 0"),
    ("cpo-sub2", (x509.BasicConstraints(ca=True, path_length=None), True), "pathLenConstraint must be 0"),
], ids=["leaf-missing", "leaf-not-critical", "leaf-ca", "leaf-ca-pathlen", "sub-missing", "sub-not-critical",
        "sub-not-ca", "sub-pathlen-1", "sub-pathlen-absent"])  # fmt: skip
def test_basic_constraints(v2g: Chain, profile: str, replacement: Ext | None, message: str) -> None:
    subject = SECC_SUBJECT if profile == "secc" else v2g.sub.issued.subject
    issuer = v2g.sub if profile == "secc" else v2g.root
    problems = lint(issue(profile, issuer, subject=subject, extensions={BC: replacement}))
    assert fired(problems) == ["basic_constraints"]
    assert message in problems[0]


@pytest.mark.parametrize(("profile", "replacement"), [
    ("secc", (key_usage("digital_signature"), True)),
    ("secc", (key_usage("digital_signature", "key_agreement", "key_encipherment"), True)),
    ("secc", (key_usage("digital_signature", "key_agreement", "key_cert_sign"), True)),
    ("secc", (key_usage("digital_signature", "key_agreement"), False)),
    ("secc", None),
    ("cpo-sub2", (key_usage("key_cert_sign"), True)),
    ("cpo-sub2", (key_usage("key_cert_sign", "crl_sign", "digital_signature"), True)),
], ids=["secc-missing-key-agreement", "secc-extra-key-encipherment", "secc-cert-sign", "secc-not-critical",
        "secc-missing", "sub-no-crl-sign", "sub-extra-digital-signature"])  # fmt: skip
def test_key_usage(v2g: Chain, profile: str, replacement: Ext | None) -> None:
    subject = SECC_SUBJECT if profile == "secc" else v2g.sub.issued.subject
    issuer = v2g.sub if profile == "secc" else v2g.root
    assert fired(lint(issue(profile, issuer, subject=subject, extensions={KU: replacement}))) == ["key_usage"]


@pytest.mark.parametrize("flag", ["encipher_only", "decipher_only"])
def test_key_usage_with_encipher_or_decipher_only(v2g: Chain, flag: str) -> None:
    usage = x509.KeyUsage(**{f: f in {"digital_signature", "key_agreement"} for f in KEY_USAGE_FIELDS},
                          **{"encipher_only": False, "decipher_only": False, flag: True})  # fmt: skip
    assert fired(lint(secc(v2g, extensions={KU: (usage, True)}))) == ["key_usage"]


@pytest.mark.parametrize("usages", [[ExtendedKeyUsageOID.SERVER_AUTH], [ExtendedKeyUsageOID.CLIENT_AUTH]],
                         ids=["serverAuth", "clientAuth"])  # fmt: skip
def test_eku_on_an_iso15118_leaf(v2g: Chain, usages: list[x509.ObjectIdentifier]) -> None:
    problems = lint(secc(v2g, extensions={EKU: (x509.ExtendedKeyUsage(usages), False)}))
    assert fired(problems) == ["extended_key_usage"]
    assert "no extendedKeyUsage" in problems[0]


@pytest.mark.parametrize("replacement", [None, (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)],
                         ids=["missing", "serverAuth"])  # fmt: skip
def test_charging_station_eku(cso: Chain, replacement: Ext | None) -> None:
    assert fired(lint(station(cso, extensions={EKU: replacement}))) == ["extended_key_usage"]


@pytest.mark.parametrize("replacement", [
    None,
    "root-ski",
    (x509.AuthorityKeyIdentifier(bytes(20), None, None), False),
    "critical",
], ids=["missing", "root-key-id", "zeros", "critical"])  # fmt: skip
def test_authority_key_identifier(v2g: Chain, replacement: Any) -> None:
    if replacement == "root-ski":  # the grandparent's key id: a chain builder would look for the wrong CA
        replacement = (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(v2g.root.ski), False)
    elif replacement == "critical":
        replacement = (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(v2g.sub.ski), True)
    assert fired(lint(secc(v2g, extensions={AKI: replacement}))) == ["authority_key_identifier"]


@pytest.mark.parametrize("replacement", [
    None,
    (aia("http://other.test/ocsp"), False),
    (aia(OCSP, OCSP), False),
    (x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(OCSP)),
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(CRL)),
    ]), False),
], ids=["missing", "other-url", "twice", "with-ca-issuers"])  # fmt: skip
def test_aia_ocsp(v2g: Chain, replacement: Ext | None) -> None:
    problems = lint(secc(v2g, extensions={AIA: replacement}))
    assert fired(problems) == ["aia_ocsp"]
    assert OCSP in problems[0]


def test_aia_on_a_root(v2g: Chain) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    root = issue("v2g-root", None, subject=name("Root", "T", "DE", "V2G"), key=key, ocsp_url=None,
                 extensions={AIA: (aia(OCSP), False)})
    assert fired(lint(root)) == ["aia_ocsp"]


def test_crl_distribution_point_without_crl_url(v2g: Chain) -> None:
    problems = lint(secc(v2g, extensions={CRL_DP: (crl_dp(CRL), False)}))  # ctx.crl_url is None
    assert fired(problems) == ["crl_distribution_points"]


def test_aia_present_without_an_ocsp_url(v2g: Chain) -> None:
    assert fired(lint(secc(v2g, ocsp_url=None, extensions={AIA: (aia("http://other.test/ocsp"), False)}))) == [
        "aia_ocsp"
    ]


def test_crl_distribution_point_missing(v2g: Chain) -> None:
    problems = lint(secc(v2g, crl_url=CRL, extensions={CRL_DP: None}))
    assert fired(problems) == ["crl_distribution_points"]
    assert CRL in problems[0]


def test_crl_distribution_point_with_another_url(v2g: Chain) -> None:
    problems = lint(secc(v2g, crl_url=CRL, extensions={CRL_DP: (crl_dp("http://other.test/x.crl"), False)}))
    assert fired(problems) == ["crl_distribution_points"]


def test_ocsp_nocheck_presence(v2g: Chain) -> None:
    assert fired(lint(secc(v2g, extensions={NOCHECK: (x509.OCSPNoCheck(), False)}))) == ["ocsp_nocheck"]
    responder = issue("ocsp-responder", v2g.sub, subject=name("OCSP", "Test CPO", "DE"), extensions={NOCHECK: None})
    assert fired(lint(responder)) == ["ocsp_nocheck"]


@pytest.mark.parametrize("extension", [
    (SAN, (x509.SubjectAlternativeName([x509.DNSName("secc.test")]), False)),
    (UNKNOWN_OID, (x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), False)),
    (UNKNOWN_OID, (x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), True)),
], ids=["subjectAltName", "unrecognized", "unrecognized-critical"])  # fmt: skip
def test_only_known_extensions(v2g: Chain, extension: tuple[x509.ObjectIdentifier, Ext]) -> None:
    problems = lint(secc(v2g, extensions=dict([extension])))
    assert fired(problems) == ["only_known_extensions"]
    assert extension[0].dotted_string in problems[0]


def test_iso15118_certificate_over_800_bytes(v2g: Chain) -> None:
    long_o = name("DE*ICE*S*CTRL0001", "O" * 400, "DE", "CPO")
    issued = secc(v2g, subject=long_o)
    assert len(issued.der) > 800
    problems = lint(issued)
    assert fired(problems) == ["der_size"]
    assert "800" in problems[0]


def test_der_size_limit_counts_the_largest_signature(v2g: Chain) -> None:
    """At the limit: 800 bytes with the largest signature pass, 801 fail, also when the actual signature is
    shorter (the real signature may come out at up to signature_size bytes)."""

    def size_with(o_length: int, signature: bytes) -> tuple[Issued, bytes]:
        issued = secc(v2g, subject=name("DE*ICE*S*CTRL0001", "O" * o_length, "DE", "CPO"))
        return issued, rebuilt(issued, lambda exts: exts, signature)

    largest = placeholder_signature(v2g.sub.key.public_key())
    assert len(largest) == max_signature_size(v2g.sub.key.public_key()) == 72
    sizes = {n: size_with(n, largest) for n in range(200, 245)}  # 800 bytes at an O of ~230 characters
    at_limit = next(n for n, (_, der) in sizes.items() if len(der) == 800)
    issued, der = sizes[at_limit]
    assert lint(issued, der=der) == []
    issued, der = sizes[at_limit + 1]
    assert len(der) == 801
    assert fired(lint(issued, der=der)) == ["der_size"]
    short = tlv(0x30, integer(1) + integer(1))
    issued, der = size_with(at_limit + 1, short)
    assert len(der) < 800
    assert fired(lint(issued, der=der)) == ["der_size"]


# --- malformed input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("duplicated", [BC, KU, AKI, AIA], ids=["basicConstraints", "keyUsage", "aki", "aia"])
@pytest.mark.parametrize("judged_first", [False, True], ids=["fresh", "after-good"])
def test_duplicated_extension_is_reported_not_raised(v2g: Chain, duplicated: x509.ObjectIdentifier,
                                                     judged_first: bool) -> None:
    issued = secc(v2g)
    if judged_first:  # the good extension set is in the memo
        assert lint(issued) == []
    index = extension_index(issued, duplicated)
    der = rebuilt(issued, lambda exts: [*exts[: index + 1], exts[index], *exts[index + 1 :]])
    problems = lint(issued, der=der)
    assert problems and any(p.startswith("extensions:") for p in problems), problems


def test_duplicated_ski(v2g: Chain) -> None:
    issued = secc(v2g)
    assert lint(issued) == []
    index = extension_index(issued, SKI)
    der = rebuilt(issued, lambda exts: [*exts[: index + 1], exts[index], *exts[index + 1 :]])
    assert "subject_key_identifier" in fired(lint(issued, der=der))


def test_rebuilt_certificate_without_changes_passes(v2g: Chain) -> None:
    """Control for the hand-framed certificates above: re-framing alone changes nothing."""
    issued = secc(v2g)
    assert lint(issued, der=rebuilt(issued, lambda exts: exts)) == []


NOT_CERTIFICATES: dict[str, Callable[[bytes], bytes]] = {  # a good certificate's DER -> bytes to lint
    "empty": lambda der: b"",
    "text": lambda der: b"not a certificate",
    "an-integer-in-a-sequence": lambda der: b"\x30\x03\x02\x01\x01",
    "last-byte-cut": lambda der: der[:-1],
    "half": lambda der: der[: len(der) // 2],
    "tbs-only": lambda der: children(der)[0],
    "a-name": lambda der: SECC_SUBJECT.public_bytes(),
}


@pytest.mark.parametrize("mangle", NOT_CERTIFICATES.values(), ids=NOT_CERTIFICATES.keys())
def test_bytes_that_are_not_a_certificate(v2g: Chain, mangle: Callable[[bytes], bytes]) -> None:
    issued = secc(v2g)
    with pytest.raises(LintInputError):
        lint(issued, der=mangle(issued.der))


def test_version_1_certificate(v2g: Chain) -> None:
    """No version field (v1, DEFAULT): the field positions are kept and the version lint fires."""
    issued = secc(v2g)
    tbs, algorithm, _signature = children(issued.der)
    der = certificate_from_parts(tlv(0x30, b"".join(children(tbs)[1:])), algorithm, tlv(0x30, integer(1) + integer(1)))
    assert x509.load_der_x509_certificate(der).version is x509.Version.v1
    assert fired(lint(issued, der=der)) == ["version_v3"]


def test_certificate_with_an_invalid_version_is_a_lint_input_error(v2g: Chain) -> None:
    issued = secc(v2g)
    tbs, algorithm, _signature = children(issued.der)
    fields = children(tbs)
    fields[0] = tlv(0xA0, integer(1))  # v2
    der = certificate_from_parts(tlv(0x30, b"".join(fields)), algorithm, tlv(0x30, integer(1) + integer(1)))
    with pytest.raises(LintInputError):
        lint(issued, der=der)


# --- the extension verdict memo -----------------------------------------------------------------------------

DEFECTS: dict[str, tuple[str, Callable[[Chain], Mapping[x509.ObjectIdentifier, Ext | None]]]] = {
    "bc-not-critical": ("basic_constraints", lambda c: {BC: (x509.BasicConstraints(False, None), False)}),
    "bc-missing": ("basic_constraints", lambda c: {BC: None}),
    "ku-wrong": ("key_usage", lambda c: {KU: (key_usage("digital_signature"), True)}),
    "eku": ("extended_key_usage", lambda c: {EKU: (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)}),
    "aki-root": ("authority_key_identifier",
                 lambda c: {AKI: (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(c.root.ski), False)}),
    "aki-missing": ("authority_key_identifier", lambda c: {AKI: None}),
    "aia-other": ("aia_ocsp", lambda c: {AIA: (aia("http://other.test/ocsp"), False)}),
    "aia-missing": ("aia_ocsp", lambda c: {AIA: None}),
    "crl-dp": ("crl_distribution_points", lambda c: {CRL_DP: (crl_dp(CRL), False)}),
    "nocheck": ("ocsp_nocheck", lambda c: {NOCHECK: (x509.OCSPNoCheck(), False)}),
    "san": ("only_known_extensions", lambda c: {SAN: (x509.SubjectAlternativeName([x509.DNSName("a.test")]), False)}),
}


@pytest.mark.parametrize("bad_first", [True, False], ids=["bad-then-good", "good-then-bad"])
@pytest.mark.parametrize("defect", DEFECTS.keys())
def test_memo_gives_each_extension_set_its_own_verdict(v2g: Chain, defect: str, bad_first: bool) -> None:
    """Same issuer, profile and URLs; the non-SKI extensions differ only in the defect; every certificate has its
    own key. Each lint, in either order and repeated, gets its own verdict."""
    lint_name, override = DEFECTS[defect]
    for bad in [True, False] * 2 if bad_first else [False, True] * 2:
        issued = secc(v2g, extensions=override(v2g)) if bad else secc(v2g)
        assert fired(lint(issued)) == ([lint_name] if bad else []), "bad" if bad else "good"


def test_memo_checks_each_certificate_ski(v2g: Chain) -> None:
    first, second = secc(v2g), secc(v2g)
    assert first.cert.extensions.get_extension_for_oid(SKI) != second.cert.extensions.get_extension_for_oid(SKI)
    assert lint(first) == [] and lint(second) == []
    # the other extensions of this one are byte-identical to the two above, already judged good
    wrong = secc(v2g, extensions={SKI: (x509.SubjectKeyIdentifier(bytes(20)), False)})
    assert fired(lint(wrong)) == ["subject_key_identifier"]
    # and a good certificate carrying another's (correct) SKI value is caught too
    borrowed = secc(v2g, extensions={SKI: (first.cert.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value, False)})  # fmt: skip
    assert fired(lint(borrowed)) == ["subject_key_identifier"]
    assert lint(secc(v2g)) == []


@pytest.mark.parametrize(("change", "lint_name"), [
    ({"ocsp_url": "http://other.test/ocsp"}, "aia_ocsp"),
    ({"crl_url": CRL}, "crl_distribution_points"),
    ({"profile": get_profile("cps-leaf")}, "key_usage"),
], ids=["ocsp-url", "crl-url", "profile"])  # fmt: skip
def test_memo_key_includes_the_context(v2g: Chain, change: dict[str, Any], lint_name: str) -> None:
    """The same certificate bytes, judged good in one context, are judged again in another."""
    issued = secc(v2g)
    assert lint(issued) == []
    assert lint_name in fired(lint(issued, **change))
    assert lint(issued) == []


def test_memo_key_includes_the_issuer_key_id(v2g: Chain) -> None:
    """Another CA with the same name but another key: the AKI, judged good for the first, is wrong for it."""
    issued = secc(v2g)
    assert lint(issued) == []
    twin = make_ca("cpo-sub2", v2g.root, v2g.sub.issued.subject)
    assert twin.cert.subject == v2g.sub.cert.subject and twin.ski != v2g.sub.ski
    assert fired(lint(issued, issuer=twin.cert)) == ["authority_key_identifier"]


def test_self_signed_non_root_aki_is_judged_against_its_own_ski() -> None:
    """Two self-signed CA certificates whose extensions other than the SKI are byte-identical (both AKIs name key
    a): right for the one with key a, wrong for the one with key b. Self-signed certificates are never memoised."""
    key_a, key_b = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    aki_a = (x509.AuthorityKeyIdentifier.from_issuer_public_key(key_a.public_key()), False)
    subject = name("Self-signed Sub-CA", "T", "DE", "V2G")
    a = issue("cpo-sub2", None, subject=subject, key=key_a, extensions={AKI: aki_a})
    b = issue("cpo-sub2", None, subject=subject, key=key_b, extensions={AKI: aki_a})
    assert lint(a) == []
    assert fired(lint(b)) == ["authority_key_identifier"]


# --- through pki.issuance.prepare ---------------------------------------------------------------------------


def _request(**kw: Any) -> IssuanceRequest:
    fields: dict[str, Any] = dict(profile=get_profile("secc"), subject=SECC_SUBJECT,
                                  public_key=ec.generate_private_key(ec.SECP256R1()).public_key(), serial=SERIAL,
                                  not_before=START, not_after=START + timedelta(days=90), ocsp_url=OCSP)  # fmt: skip
    fields.update(kw)
    fields["subject"] = as_subject(fields["subject"])
    return IssuanceRequest(**fields)


def test_prepare_refuses_what_lint_refuses_and_signs_what_it_accepts(v2g: Chain) -> None:
    bad = _request(public_key=ec.generate_private_key(ec.SECP384R1()).public_key(), serial=12345)
    with pytest.raises(LintFailed) as info:
        prepare(bad, v2g.sub.cert, now=NOW, max_backdate=BACKDATE)
    assert sorted(fired(info.value.problems)) == ["public_key", "serial_number"]
    cert = sign(prepare(_request(), v2g.sub.cert, now=NOW, max_backdate=BACKDATE), v2g.sub.key)
    cert.verify_directly_issued_by(v2g.sub.cert)
    assert lint(Issued(cert, get_profile("secc"), v2g.sub, SECC_SUBJECT, OCSP, None)) == []

