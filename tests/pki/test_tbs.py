"""pki.tbs frames cryptography's encodings; the result must equal cryptography's own CertificateBuilder output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID

from pki.profiles import KEY_USAGE_FIELDS, PROFILES
from pki.tbs import encode_tbs, signature_algorithm
from tests.helpers import make_key, name


def _builder_tbs(profile_name: str, key: ec.EllipticCurvePrivateKey, subject: x509.Name, issuer: x509.Name,
                 issuer_key_id: bytes, serial: int, nb: datetime, na: datetime, ocsp: str | None,
                 crl: str | None, public_key: object) -> bytes:
    p = PROFILES[profile_name]
    usage = {f: f in p.key_usage for f in KEY_USAGE_FIELDS}
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)  # type: ignore[arg-type]
         .serial_number(serial).not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=p.is_ca, path_length=p.path_length), critical=True)
         .add_extension(x509.KeyUsage(encipher_only=False, decipher_only=False, **usage), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))  # type: ignore[arg-type]
    if p.issuers:
        b = b.add_extension(x509.AuthorityKeyIdentifier(issuer_key_id, None, None), critical=False)
    if p.extended_key_usage:
        b = b.add_extension(x509.ExtendedKeyUsage(list(p.extended_key_usage)), critical=False)
    if ocsp and p.issuers:
        b = b.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]), critical=False)
    if crl:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl)], None, None, None)]), critical=False)
    if p.ocsp_nocheck:
        b = b.add_extension(x509.OCSPNoCheck(), critical=False)
    return b.sign(key, hashes.SHA256()).tbs_certificate_bytes


@pytest.mark.parametrize("profile", ["v2g-root", "cpo-sub2", "secc", "contract", "ocsp-responder",
                                     "charging-station"])
@pytest.mark.parametrize("years", [1, 30])  # 30 years: notAfter after 2049 must be GeneralizedTime
def test_tbs_is_byte_identical_to_cryptography_builder(profile: str, years: int) -> None:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    subject_key = make_key("rsa2048" if profile == "charging-station" else "p256")
    issuer = name("Issuer CA", "PNC", "DE", "V2G")
    subject = name("DE*ICE*E1", "PNC", "DE", PROFILES[profile].domain_component)
    nb = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    na = nb + timedelta(days=365 * years)
    serial = (1 << 158) | 0x1234567890ABCDEF
    key_id = b"\x11" * 20
    crl = "http://pki.test/crl/x.crl" if profile == "secc" else None
    algorithm = signature_algorithm(issuer_key.public_key())
    ours = encode_tbs(profile=PROFILES[profile], serial=serial, signature_alg=algorithm,
                      issuer_name=issuer.public_bytes(), not_before=nb, not_after=na, subject=subject.public_bytes(),
                      public_key=subject_key.public_key(), issuer_key_id=key_id, ocsp_url="http://pki.test/ocsp",
                      crl_url=crl)
    theirs = _builder_tbs(profile, issuer_key, subject, issuer, key_id, serial, nb, na, "http://pki.test/ocsp", crl,
                          subject_key.public_key())
    assert ours == theirs
