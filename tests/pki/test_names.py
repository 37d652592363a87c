"""``pki.names.Subject.of`` encodes exactly what cryptography's ``x509.Name`` encodes, and writes the same
RFC 4514 text, for every value policy can let through (and for the characters RFC 4514 escapes)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from pki.names import Subject, as_subject, escape_rfc4514

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
