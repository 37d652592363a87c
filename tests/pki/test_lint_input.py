"""Lint input that is not a well-formed certificate, the extension verdict memo (per exact extension bytes,
``pki.lint._verdicts``: good and bad certificates from the same issuer in both orders each get their own
verdict), and lint through ``pki.issuance.prepare``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from pki._der import certificate_from_parts, children, integer, tlv
from pki.errors import LintFailed
from pki.issuance import IssuanceRequest, prepare, sign
from pki.lint import LintInputError
from pki.names import as_subject
from pki.profiles import get_profile
from tests.helpers import name
from tests.pki.lint_builders import (
    AIA,
    AKI,
    BACKDATE,
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
    SERIAL,
    SKI,
    START,
    Chain,
    Ext,
    Issued,
    aia,
    context,
    crl_dp,
    extension_index,
    fired,
    issue,
    key_usage,
    lint,
    make_ca,
    rebuilt,
    secc,
)

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


def test_extension_parts_read_the_usual_ski_without_a_split(v2g: Chain) -> None:
    """The fast reading finds the same SKI as the full split; certificates that differ only in their key share the
    verdict key, one more extension gives another; a second SKI anywhere sends it to the split."""
    first, second = secc(v2g), secc(v2g, key=ec.generate_private_key(ec.SECP256R1()))
    parts, split = context(first).extension_parts(), context(first).split_extensions()
    assert parts[0] == split[0] and len(parts[0]) == 1 and isinstance(parts[1], bytes)
    assert context(second).extension_parts()[1] == parts[1]
    assert context(second).extension_parts()[0] != parts[0]
    index = extension_index(first, SKI)
    doubled = rebuilt(first, lambda exts: [*exts, exts[index]])
    assert context(first, der=doubled).extension_parts() == context(first, der=doubled).split_extensions()
    extra = rebuilt(first, lambda exts: [*exts, exts[extension_index(first, KU)]])
    assert context(first, der=extra).extension_parts()[1] != parts[1]
