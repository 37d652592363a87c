"""Each lint of pki.lint fires on the defect it exists for, and stays silent on a correct certificate
(certificates from ``tests.pki.lint_builders``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from pki._der import integer, subject_of, tlv
from pki.lint import max_signature_size
from pki.profiles import KEY_USAGE_FIELDS
from pki.tbs import placeholder_signature
from tests.helpers import name
from tests.pki.lint_builders import (
    AIA,
    AKI,
    BC,
    CRL,
    CRL_DP,
    EKU,
    KU,
    NOCHECK,
    NOW,
    OCSP,
    SAN,
    SECC_SUBJECT,
    SKI,
    START,
    UNKNOWN_OID,
    Chain,
    Ext,
    Issued,
    aia,
    crl_dp,
    fired,
    issue,
    key_usage,
    lint,
    make_ca,
    rebuilt,
    secc,
    station,
)

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
