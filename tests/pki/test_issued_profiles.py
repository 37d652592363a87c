"""Every profile rule asserted on real issued certificates, every chain verified by OpenSSL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID, SignatureAlgorithmOID

from pki.profiles import PROFILES, Kind
from tests.helpers import csr_pem, make_csr, make_key
from tests.pki.conftest import openssl_verify

LEAVES = {
    "secc": ("DE*ICE*E45B*78C", "p256"),
    "cps-leaf": ("CPS Leaf", "p256"),
    "contract": ("DE83DUIEN83QGZD", "p256"),
    "oem-provisioning": ("WMIABCDEFGHIJKLM1", "p256"),
    "charging-station": ("CS-0001", "rsa2048"),
}


def _ku(cert: x509.Certificate) -> set[str]:
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign")
    return {n for n in names if getattr(ku, n)}


def assert_profile(cert: x509.Certificate, profile_name: str, issuer: x509.Certificate | None, ocsp_url: str) -> None:
    p = PROFILES[profile_name]
    der = cert.public_bytes(Encoding.DER)
    assert cert.version is x509.Version.v3
    assert 64 <= cert.serial_number.bit_length() <= 159
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca == p.is_ca and bc.value.path_length == p.path_length
    ku = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE)
    assert ku.critical and _ku(cert) == set(p.key_usage)
    assert not cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).critical
    if p.kind is Kind.ROOT:
        assert cert.issuer == cert.subject
        with pytest.raises(x509.ExtensionNotFound):
            cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    else:
        assert issuer is not None
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        assert [d.access_location.value for d in aia] == [ocsp_url]
        assert cert.not_valid_after_utc <= issuer.not_valid_after_utc
    if p.iso15118:
        assert len(der) <= 800
        assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        order = [rdn._attributes[0].oid for rdn in cert.subject.rdns]
        assert order == [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME,
                         NameOID.DOMAIN_COMPONENT]
        assert cert.subject.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)[0].value == p.domain_component
        with pytest.raises(x509.ExtensionNotFound):
            cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    if p.extended_key_usage:
        assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == list(p.extended_key_usage)


def test_every_ca_matches_its_profile(shared_pki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = shared_pki
    cas = svc.store.list_cas()
    assert {c.name for c in cas} == {p.name for p in PROFILES.values() if p.is_ca}
    for ca in cas:
        chain = [svc.authority.ca_certificate(c) for c in svc.authority.chain(ca.name)]
        assert_profile(chain[0], ca.profile, chain[1] if len(chain) > 1 else None, svc.authority.config.ocsp_url)
        assert ca.name == ca.profile  # default CA names equal their profile names
        if len(chain) > 1:
            result = openssl_verify(tmp_path, chain[0], chain[1:])
            assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("profile", sorted(LEAVES))
def test_leaf_matches_profile_and_verifies_with_openssl(shared_pki, tmp_path: Path, profile: str) -> None:  # type: ignore[no-untyped-def]
    cn, key = LEAVES[profile]
    o = "ICE Charging" if profile == "secc" else None
    issued = shared_pki.ra.issue_from_csr(csr_pem(make_csr(cn, o=o, key=make_key(key))), profile, requester="test")
    assert_profile(issued.certificate, profile, issued.chain[0], shared_pki.authority.config.ocsp_url)
    result = openssl_verify(tmp_path, issued.certificate, list(issued.chain))
    assert result.returncode == 0, result.stdout + result.stderr
    stored = shared_pki.store.get_certificate(issued.certificate.serial_number)
    assert stored is not None and stored.der == issued.certificate.public_bytes(Encoding.DER)


def test_ocsp_responder_profile(shared_pki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    issued = shared_pki.ra.issue_from_csr(csr_pem(make_csr("OCSP cpo-sub2")), "ocsp-responder", requester="test",
                                          issuer="cpo-sub2")
    eku = issued.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    issued.certificate.extensions.get_extension_for_oid(ExtensionOID.OCSP_NO_CHECK)
    assert_profile(issued.certificate, "ocsp-responder", issued.chain[0], shared_pki.authority.config.ocsp_url)


def test_csr_extensions_are_never_copied(shared_pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr("DE*ICE*E45B*78C", extensions=[x509.BasicConstraints(ca=True, path_length=None),
                                                  x509.SubjectAlternativeName([x509.DNSName("evil.example")])])
    cert = shared_pki.ra.issue_from_csr(csr_pem(csr), "secc", requester="test").certificate
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_validity_backdated_at_most_five_minutes_and_clamped_to_issuer(shared_pki) -> None:  # type: ignore[no-untyped-def]
    now = shared_pki.clock()
    issued = shared_pki.ra.issue_from_csr(csr_pem(make_csr("CS-0002")), "charging-station", requester="test",
                                          validity=timedelta(days=5 * 365))
    cert = issued.certificate
    assert now - timedelta(minutes=5) <= cert.not_valid_before_utc <= now
    assert cert.not_valid_after_utc == issued.chain[0].not_valid_after_utc  # cso-sub ends first (4 years)


@pytest.mark.parametrize("days", [0, -1])
def test_a_validity_that_is_not_positive_is_refused(shared_pki, days: int) -> None:  # type: ignore[no-untyped-def]
    from pki.errors import PolicyRefused

    before = len(shared_pki.store.list_certificates())
    with pytest.raises(PolicyRefused, match="validity must be positive"):  # never silently the default
        shared_pki.ra.issue_from_csr(csr_pem(make_csr("CS-0003")), "charging-station", requester="test",
                                     validity=timedelta(days=days))
    assert len(shared_pki.store.list_certificates()) == before


def test_subject_order_and_dc_forced_from_issuer_defaults(shared_pki) -> None:  # type: ignore[no-untyped-def]
    cert = shared_pki.ra.issue_from_csr(csr_pem(make_csr("DE83DUIEN83QGZ")), "contract", requester="t").certificate
    assert cert.subject.rfc4514_string() == "DC=MO,C=DE,O=PNC,CN=DE83DUIEN83QGZ"


def test_serials_are_unique_and_random(shared_pki) -> None:  # type: ignore[no-untyped-def]
    serials = {shared_pki.ra.issue_from_csr(csr_pem(make_csr(f"CS-{i}")), "charging-station",
                                            requester="t").record.serial for i in range(20)}
    assert len(serials) == 20
    assert all(64 <= s.bit_length() <= 159 for s in serials)
    assert max(s.bit_length() for s in serials) == 159  # 159 random bits: all 20 shorter has p = 2^-20
