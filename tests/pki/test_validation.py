"""ISO 15118-2 path validation: a precise reason for every failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509

from pki.errors import PathInvalid
from pki.model import RevocationReason
from pki.validation import store_revocation_check, validate_path
from tests.helpers import csr_pem, make_csr, make_key


def _issue(svc, profile: str, cn: str, **kw):  # type: ignore[no-untyped-def]
    return svc.ra.issue_from_csr(csr_pem(make_csr(cn, key=make_key(kw.pop("key", "p256")))), profile,
                                 requester="t", **kw)


def _root(svc, name: str) -> x509.Certificate:  # type: ignore[no-untyped-def]
    cert: x509.Certificate = svc.authority.ca_certificate(svc.authority.ca(name))
    return cert


def test_valid_paths_for_every_iso_leaf(pki_services) -> None:  # type: ignore[no-untyped-def]
    svc = pki_services
    now = svc.clock()
    for profile, cn, dc, root, usages in [
        ("secc", "DE*ICE*E1", "CPO", "v2g-root", ("digital_signature", "key_agreement")),
        ("cps-leaf", "CPS", "CPS", "v2g-root", ("digital_signature",)),
        ("contract", "DE83DUIEN83QGZD", "MO", "mo-root", ("digital_signature", "key_agreement")),
        ("oem-provisioning", "WMIABCDEFGHIJKLM1", "OEM", "oem-root", ("digital_signature",)),
    ]:
        issued = _issue(svc, profile, cn)
        path = validate_path(issued.certificate, issued.chain[:-1], [_root(svc, root)], at=now, leaf_dc=dc,
                             leaf_key_usage=usages, revocation=store_revocation_check(svc.store))
        assert path.leaf == issued.certificate and len(path.certificates) == 4


def test_failures_have_precise_reasons(pki_services) -> None:  # type: ignore[no-untyped-def]
    svc = pki_services
    now = svc.clock()
    secc = _issue(svc, "secc", "DE*ICE*E1")
    subs, v2g = list(secc.chain[:-1]), [_root(svc, "v2g-root")]

    with pytest.raises(PathInvalid, match="must carry DC=CPS"):
        validate_path(secc.certificate, subs, v2g, at=now, leaf_dc="CPS")
    with pytest.raises(PathInvalid, match="expired") as info:
        validate_path(secc.certificate, subs, v2g, at=now + timedelta(days=400))
    assert info.value.depth == 0
    with pytest.raises(PathInvalid, match="not yet valid"):
        validate_path(secc.certificate, subs, v2g, at=now - timedelta(days=1))
    with pytest.raises(PathInvalid, match="no issuer found"):
        validate_path(secc.certificate, subs[:1], v2g, at=now)
    with pytest.raises(PathInvalid, match="chain does not lead to a trusted root"):
        validate_path(secc.certificate, subs, [_root(svc, "mo-root")], at=now)
    with pytest.raises(PathInvalid, match="lacks keyUsage key_cert_sign|lacks keyUsage"):
        validate_path(secc.certificate, subs, v2g, at=now, leaf_key_usage=("key_cert_sign",))
    with pytest.raises(PathInvalid, match="no trusted root"):
        validate_path(secc.certificate, subs, [], at=now)

    svc.ra.revoke(secc.record.serial, RevocationReason.KEY_COMPROMISE, requester="t")
    with pytest.raises(PathInvalid, match=r"revoked \(keyCompromise\)"):
        validate_path(secc.certificate, subs, v2g, at=now, revocation=store_revocation_check(svc.store))


def test_station_rsa_path_without_iso_rules(pki_services) -> None:  # type: ignore[no-untyped-def]
    svc = pki_services
    station = _issue(svc, "charging-station", "CS-1", key="rsa2048")
    cso = [_root(svc, "cso-root")]
    with pytest.raises(PathInvalid, match="secp256r1"):
        validate_path(station.certificate, station.chain[:-1], cso, at=svc.clock())
    validate_path(station.certificate, station.chain[:-1], cso, at=svc.clock(), iso15118=False)


def test_revoked_sub_ca_in_path_and_issuer_unusable(pki_services) -> None:  # type: ignore[no-untyped-def]
    from pki.errors import IssuerUnusable

    svc = pki_services
    contract = _issue(svc, "contract", "DE83DUIEN83QGZD")
    sub2 = svc.authority.ca("mo-sub2")
    before = len(svc.store.list_certificates())
    svc.ra.revoke(sub2.serial, RevocationReason.CA_COMPROMISE, requester="t")
    with pytest.raises(PathInvalid, match="MO Sub-CA 2.*revoked") as info:
        validate_path(contract.certificate, contract.chain[:-1], [_root(svc, "mo-root")], at=svc.clock(),
                      revocation=store_revocation_check(svc.store))
    assert info.value.depth == 1
    entries = len(list(svc.store.audit_entries()))
    with pytest.raises(IssuerUnusable, match="'mo-sub2' is revoked"):
        _issue(svc, "contract", "DE83DUIEN83ZGQM")
    assert len(svc.store.list_certificates()) == before
    assert len(list(svc.store.audit_entries())) == entries


def test_expired_issuer_is_unusable(pki_services) -> None:  # type: ignore[no-untyped-def]
    from ca_store.services import open_services
    from pki.errors import IssuerUnusable

    svc = pki_services
    late = open_services(svc.store.url, passphrase=b"correct horse battery staple",
                         clock=lambda: svc.clock() + timedelta(days=3 * 365))
    with pytest.raises(IssuerUnusable, match="'mo-sub2' expired"):
        _issue(late, "contract", "DE83DUIEN83QGZD")


# -- path building edge cases on a hand-made foreign PKI (no pathLenConstraint anywhere) ----------------------

def _foreign_chain(sub_cas: int):  # type: ignore[no-untyped-def]
    """root, sub-CAs (top down), leaf: P-256, ecdsa-with-SHA256, AKI/SKI, no pathLenConstraint."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def cert(cn: str, key, issuer_cn: str, issuer_key, ca: bool) -> x509.Certificate:  # type: ignore[no-untyped-def]
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                          crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                            critical=False))
        return b.sign(issuer_key, hashes.SHA256())

    root_key = make_key()
    root = cert("Root", root_key, "Root", root_key, True)
    subs, issuer_cn, issuer_key = [], "Root", root_key
    for i in range(sub_cas):
        key = make_key()
        subs.append(cert(f"Sub {i + 1}", key, issuer_cn, issuer_key, True))
        issuer_cn, issuer_key = f"Sub {i + 1}", key
    leaf = cert("Leaf", make_key(), issuer_cn, issuer_key, False)
    return root, subs, leaf, now


def test_two_sub_cas_pass_three_are_refused() -> None:
    root, subs, leaf, now = _foreign_chain(2)
    assert len(validate_path(leaf, subs[::-1], [root], at=now).certificates) == 4
    root, subs, leaf, now = _foreign_chain(3)
    with pytest.raises(PathInvalid, match=r"more than 2 sub-CAs .*\[V2G2-009\]"):
        validate_path(leaf, subs[::-1], [root], at=now)


def test_root_and_duplicates_among_intermediates_are_harmless() -> None:
    root, subs, leaf, now = _foreign_chain(2)
    path = validate_path(leaf, [root, *subs, *subs, leaf], [root], at=now)
    assert path.certificates == (leaf, subs[1], subs[0], root)


def test_self_signed_certificates_that_are_not_trusted() -> None:
    root, subs, leaf, now = _foreign_chain(1)
    other_root, _, _, _ = _foreign_chain(0)
    with pytest.raises(PathInvalid, match="'?CN=Root'? is self-signed but not a trusted root") as info:
        validate_path(leaf, [*subs, root], [other_root], at=now)
    assert info.value.depth == 2
    with pytest.raises(PathInvalid, match="is self-signed but not a trusted root") as info:
        validate_path(root, [], [other_root], at=now)
    assert info.value.depth == 0
    with pytest.raises(PathInvalid, match="is itself a trust anchor, not a leaf"):
        validate_path(root, [], [root], at=now)
