"""``pki.names.Subject.of`` encodes exactly what cryptography's ``x509.Name`` encodes, and writes the same
RFC 4514 text, for every value policy can let through (and for the characters RFC 4514 escapes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from pki._der import children
from pki.errors import PkiError
from pki.names import Subject, as_subject, escape_rfc4514, simple_attributes
from pki.policy import SubjectClaims, claims_from_csr, claims_from_name

# cryptography's own Name refuses values over 64 UTF-8 octets (RFC 5280 bounds CN and O at 64 characters): the
# comparison needs values both sides accept
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=64).filter(
    lambda v: len(v.encode()) <= 64)
_TRICKY = st.text(st.sampled_from(list(' #,+"\\<>;=\0a\u00e9\u4e2d')), min_size=1, max_size=12)


def _theirs(attributes: list[tuple[x509.ObjectIdentifier, str]]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


@settings(max_examples=300, deadline=None)
@given(cn=_TEXT | _TRICKY, org=st.none() | _TEXT | _TRICKY, country=st.none() | st.sampled_from(["DE", "NL", "US"]),
       dc=st.none() | st.sampled_from(["V2G", "CPO", "CPS", "MO", "OEM"]))  # fmt: skip
def test_encoding_and_text_equal_cryptography(cn: str, org: str | None, country: str | None, dc: str | None) -> None:
    attributes = [(NameOID.COMMON_NAME, cn)]
    attributes += [(NameOID.ORGANIZATION_NAME, org)] if org is not None else []
    attributes += [(NameOID.COUNTRY_NAME, country)] if country is not None else []
    attributes += [(NameOID.DOMAIN_COMPONENT, dc)] if dc is not None else []
    ours, theirs = Subject.of(attributes), _theirs(attributes)
    assert ours.der == theirs.public_bytes()
    assert ours.text == theirs.rfc4514_string()
    assert ours == Subject.from_name(theirs) and ours.to_name() == theirs and ours.single_valued


@pytest.mark.parametrize("value", ["", " ", "  x ", "#x", "a,b", 'q"t', "a+b", "x\\y", "<>;", "nul\0", "é"])
def test_escaping_matches_cryptography(value: str) -> None:
    assert escape_rfc4514(value) == (x509.NameAttribute(NameOID.COMMON_NAME, value).rfc4514_string()[3:]
                                     if value else "")  # fmt: skip


def test_other_attributes_are_refused_and_names_with_them_come_through_from_name() -> None:
    with pytest.raises(ValueError, match="2.5.4.11"):
        Subject.of([(NameOID.ORGANIZATIONAL_UNIT_NAME, "x")])
    multi = x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "a"),
                                                       x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "b")])])
    subject = as_subject(multi)
    assert subject.der == multi.public_bytes() and subject.text == multi.rfc4514_string()
    assert not subject.single_valued and subject.to_name() == multi
    assert as_subject(subject) is subject


# --- CSR subjects read straight from the DER (pki.policy.claims_from_csr) -----------------------------------

_KEY = ec.generate_private_key(ec.SECP256R1())
_STRING_TYPES = [_ASN1Type.UTF8String, _ASN1Type.PrintableString, _ASN1Type.IA5String, _ASN1Type.BMPString,
                 _ASN1Type.T61String]  # fmt: skip
_OIDS = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME, NameOID.DOMAIN_COMPONENT,
         NameOID.ORGANIZATIONAL_UNIT_NAME]  # fmt: skip


def _csr(name: x509.Name) -> x509.CertificateSigningRequest:
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(_KEY, hashes.SHA256())


def _outcome(read: Callable[[], SubjectClaims]) -> object:
    try:
        return read()
    except PkiError as exc:
        return (type(exc), exc.message)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_OIDS), st.sampled_from(_STRING_TYPES),
                          st.text(st.sampled_from(list("AZaz09 -.'*é中")), min_size=2, max_size=2)
                          | st.sampled_from(["DE", "V2G", "DE*PNC*E1", "a+b"])),
                min_size=1, max_size=5),
       st.booleans())  # fmt: skip
def test_claims_read_from_the_der_equal_those_read_through_cryptography(
    attributes: list[tuple[x509.ObjectIdentifier, _ASN1Type, str]], multi_valued: bool
) -> None:
    """Every subject gives the same claims, or the same refusal, whether read from the DER (the fast path for
    simple names) or through cryptography's Name (the path for every other name)."""
    made = []
    for oid, string_type, value in attributes:
        try:
            made.append(x509.NameAttribute(oid, value, string_type))
        except ValueError:  # a value cryptography will not encode in that type (e.g. é as PrintableString)
            continue
    if not made:
        return
    try:
        rdns = [x509.RelativeDistinguishedName(made)] if multi_valued and len(made) > 1 else \
            [x509.RelativeDistinguishedName([a]) for a in made]  # fmt: skip
        csr = _csr(x509.Name(rdns))
    except ValueError:  # e.g. the same attribute twice in one RDN
        return
    der = csr.public_bytes(Encoding.DER)
    subject_der = children(children(der)[0])[1]  # CertificationRequestInfo.subject
    assert _outcome(lambda: claims_from_csr(csr, subject_der)) == _outcome(lambda: claims_from_name(csr.subject))


_SIMPLE_TYPES = [_ASN1Type.UTF8String, _ASN1Type.PrintableString, _ASN1Type.IA5String]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_OIDS[:4]), st.sampled_from(_SIMPLE_TYPES),
                          st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)),
                min_size=1, max_size=4, unique_by=lambda a: a[0]))  # fmt: skip
def test_simple_names_take_the_der_path_and_read_the_same(
    attributes: list[tuple[x509.ObjectIdentifier, _ASN1Type, str]],
) -> None:
    try:
        name = x509.Name([x509.NameAttribute(oid, value, string_type) for oid, string_type, value in attributes])
        csr = _csr(name)
    except ValueError:  # cryptography will not encode the value in that type
        return
    der = csr.public_bytes(Encoding.DER)
    read = simple_attributes(name.public_bytes())
    if all(t is _ASN1Type.UTF8String or v.isascii() and v.isprintable() for _o, t, v in attributes):
        assert read == [(oid, value) for oid, _t, value in attributes]
    subject_der = children(children(der)[0])[1]  # CertificationRequestInfo.subject
    assert _outcome(lambda: claims_from_csr(csr, subject_der)) == _outcome(lambda: claims_from_name(csr.subject))


def test_simple_attributes_reads_simple_names_and_declines_the_rest() -> None:
    simple = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DE*PNC*E1"),
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")])  # fmt: skip
    expected = [(NameOID.COMMON_NAME, "DE*PNC*E1"), (NameOID.COUNTRY_NAME, "DE")]
    assert simple_attributes(simple.public_bytes()) == expected
    for other in (
        x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "x")]),
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x", _ASN1Type.BMPString)]),
        x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "a"),
                                                   x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")])]),
    ):
        assert simple_attributes(other.public_bytes()) is None
    assert simple_attributes(b"\x30\x05\x31\x03\x30\x01") is None  # truncated inside
