"""Contract certificate provisioning in-process: Install and Update checked by the independent EV-side verifier,
and every bad input of issue 6 answered with the right ResponseCode (or UnusableRequest) with no contract
certificate issued or stored."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ca_store.services import Services
from iso15118.contract import (
    Action,
    CpsLeafSigner,
    ProvisioningContext,
    SelfCheckFailed,
    SigningIdentity,
    UnusableRequest,
    answer,
    decode_base64,
)
from iso15118.contract.testing import (
    Vehicle,
    installation_request,
    new_pcid,
    provision_vehicle,
    received_contract,
    root_id,
    update_request,
)
from iso15118.exi import Grammar, decode, encode
from iso15118.messages import ResponseCode, X509IssuerSerial
from pki.contracts import ContractStatus, ProvisioningPolicy, cancel_contract, new_contract
from pki.identifiers import validate_emaid
from pki.model import RevocationReason
from pki.trust import TrustKind
from pki.validation import store_revocation_check
from tests.conftest import PASSPHRASE
from tests.iso15118.contract_ev import Received, foreign_pki, response_code, verify_response


@dataclass
class Env:
    services: Services
    registry: Any
    trust: Any
    ctx: ProvisioningContext
    v2g_root: x509.Certificate
    mo_root: x509.Certificate

    def cert(self, name: str) -> x509.Certificate:
        authority = self.services.authority
        return authority.ca_certificate(authority.ca(name))

    def contract_with_vehicle(self, **kwargs: Any) -> tuple[Vehicle, str]:
        vehicle = provision_vehicle(self.services.ra)
        contract = new_contract(f"DEPNC{os.urandom(5).hex()[:9].upper()}", vehicle.pcid, now=self.services.clock(),
                                actor="mo", **kwargs)
        self.registry.add(contract, actor="mo")
        return vehicle, contract.emaid

    def issued_count(self) -> tuple[int, int]:
        """(contract certificates in the store, certificates linked to contracts)."""
        contracts = self.services.store.list_certificates(profile="contract")
        linked = sum(len(c.certificates) for c in self.registry.list())
        return len(contracts), linked


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from ca_store import sqlite_url
    from ca_store.contracts import SqlContractRegistry
    from ca_store.services import initialize
    from ca_store.store import SqlStore
    from ca_store.trust import SqlTrustStore

    services = initialize(sqlite_url(Path(tmp_path_factory.mktemp("contract-pki"))), passphrase=PASSPHRASE)
    store = services.store
    assert isinstance(store, SqlStore)
    registry = SqlContractRegistry(store)
    trust = SqlTrustStore(store, cache_seconds=0)
    signer = CpsLeafSigner(services.store, services.keys, services.ra, services.clock)
    ctx = ProvisioningContext(registry, trust, services.ra, signer, services.clock,
                              revocation=store_revocation_check(services.store))
    authority = services.authority
    yield Env(services, registry, trust, ctx, authority.ca_certificate(authority.ca("v2g-root")),
              authority.ca_certificate(authority.ca("mo-root")))
    store.close()


def _install(env: Env, vehicle: Vehicle, **kwargs: Any) -> tuple[Any, bytes]:
    session = os.urandom(8)
    exi = installation_request(vehicle, kwargs.pop("roots", [env.v2g_root]), session_id=session, **kwargs)
    return answer(exi, env.ctx, requester="client:test"), session


def _verify(env: Env, result: Any, recipient: ec.EllipticCurvePrivateKey, session: bytes,
            kind: str = "CertificateInstallationRes") -> Received:
    return verify_response(result.exi, v2g_root=env.v2g_root, mo_root=env.mo_root, recipient=recipient,
                           session_id=session, kind=kind)


def _installed(env: Env) -> tuple[Vehicle, str, Any, Received]:
    """A vehicle with a contract, its installation answered and checked: (vehicle, eMAID, answer, received)."""
    vehicle, emaid = env.contract_with_vehicle()
    result, session = _install(env, vehicle)
    return vehicle, emaid, result, _verify(env, result, vehicle.key, session)


# -- the good paths ------------------------------------------------------------------------------------------

def test_install_answer_verifies_on_the_ev_side(env: Env) -> None:
    vehicle, emaid = env.contract_with_vehicle()
    before = env.issued_count()
    result, session = _install(env, vehicle)
    assert result.ok and result.action is Action.INSTALL and result.emaid == emaid and result.pcid == vehicle.pcid
    received = _verify(env, result, vehicle.key, session)
    assert received.emaid == emaid
    assert received.certificate.serial_number == result.certificate_serial
    assert [c.subject for c in received.sub_cas] == [env.cert("mo-sub2").subject, env.cert("mo-sub1").subject]
    record = env.services.store.get_certificate(result.certificate_serial)
    assert record is not None
    assert record.profile == "contract" and record.issuer == "mo-sub2" and record.requester == "client:test"
    assert env.registry.get(emaid).certificates == (result.certificate_serial,)
    assert env.issued_count() == (before[0] + 1, before[1] + 1)


def test_contract_certificate_never_outlives_the_contract(env: Env) -> None:
    end = env.services.clock() + timedelta(days=30)
    vehicle, _ = env.contract_with_vehicle(not_after=end)
    result, session = _install(env, vehicle)
    received = _verify(env, result, vehicle.key, session)
    assert received.certificate.not_valid_after_utc <= end


@pytest.mark.parametrize("style", ["repr", "openssl"])
def test_sloppy_root_ids_still_match(env: Env, style: str) -> None:
    vehicle, _ = env.contract_with_vehicle()
    if style == "repr":  # SwitchEV: str(cert.issuer)
        ids = [root_id(env.mo_root), root_id(env.v2g_root, style="repr")]
    else:  # OpenSSL one-line name, serial of another root: matched by the name alone
        one_line = "/" + "/".join(a.rfc4514_string() for a in env.v2g_root.subject)
        ids = [X509IssuerSerial(issuer_name=one_line, serial_number=1)]
    result, session = _install(env, vehicle, roots=ids)
    assert result.ok, result.message
    _verify(env, result, vehicle.key, session)


def test_update_answer_verifies_with_the_old_contract_key(env: Env) -> None:
    _, emaid, first, old = _installed(env)
    session2 = os.urandom(8)
    exi = update_request(old.key, old.certificate, old.sub_cas, emaid, [env.v2g_root], session_id=session2)
    result = answer(exi, env.ctx, action=Action.UPDATE)
    assert result.ok and result.action is Action.UPDATE, result.message
    new = _verify(env, result, old.key, session2, kind="CertificateUpdateRes")
    assert new.emaid == emaid and new.certificate.serial_number != old.certificate.serial_number
    assert new.key.public_key() != old.key.public_key()
    assert env.registry.get(emaid).certificates == (first.certificate_serial, result.certificate_serial)


def test_update_accepts_a_fourteen_character_emaid(env: Env) -> None:
    """Also runs the demo's path: ``received_contract`` unpacks the response for the next request."""
    vehicle, emaid = env.contract_with_vehicle()
    first, session = _install(env, vehicle)
    old = received_contract(first.exi, vehicle.key)
    assert old.emaid == emaid and old.key.public_key() == old.certificate.public_key()
    with pytest.raises(ValueError, match="FAILED_"):
        received_contract(_refused_install(env).exi, vehicle.key)
    exi = update_request(old.key, old.certificate, old.sub_cas, emaid[:14], [env.v2g_root], session_id=session)
    assert answer(exi, env.ctx).ok


def test_auto_provisioning_mints_a_contract_with_a_check_digit(env: Env) -> None:
    vehicle = provision_vehicle(env.services.ra)
    now = env.services.clock()
    env.registry.set_policy(ProvisioningPolicy(auto_provision=True, provider_prefix="FRXYZ"), actor="op", at=now)
    try:
        result, session = _install(env, vehicle)
    finally:
        env.registry.set_policy(ProvisioningPolicy(), actor="op", at=now)
    assert result.ok, result.message
    received = _verify(env, result, vehicle.key, session)
    assert received.emaid.startswith("FRXYZ") and validate_emaid(received.emaid, require_check_digit=True)
    (contract,) = env.registry.for_pcid(vehicle.pcid)
    assert contract.emaid == received.emaid and contract.status is ContractStatus.ACTIVE


def test_a_trusted_foreign_oem_is_accepted(env: Env) -> None:
    oem = foreign_pki(new_pcid("VF3"))
    env.registry.add(new_contract(f"DEPNC{os.urandom(5).hex()[:9].upper()}", oem.pcid, now=env.services.clock(),
                                  actor="mo"), actor="mo")
    vehicle = Vehicle(oem.pcid, oem.leaf_key, oem.leaf, (oem.sub2, oem.sub1))
    refused, _ = _install(env, vehicle)
    assert refused.response_code is ResponseCode.FAILED_CertChainError  # not trusted yet
    env.trust.add(TrustKind.OEM, [oem.root, oem.sub1, oem.sub2], actor="op", at=env.services.clock())
    result, session = _install(env, vehicle)
    assert result.ok, result.message
    _verify(env, result, oem.leaf_key, session)


def _refused_install(env: Env) -> Any:
    return answer(installation_request(provision_vehicle(env.services.ra), [env.v2g_root]), env.ctx)


# -- bad input: each answered precisely, nothing issued or stored --------------------------------------------

def _refused(env: Env, exi: bytes, code: ResponseCode, *, kind: str = "CertificateInstallationRes",
             session: bytes | None = None) -> Any:
    before = env.issued_count()
    result = answer(exi, env.ctx)
    assert result.response_code is code, result.message
    assert result.message and result.certificate_serial is None
    seen_code, seen_session = response_code(result.exi, kind)
    assert seen_code == code.value
    if session is not None:
        assert seen_session == session.hex().upper()
    assert env.issued_count() == before
    return result


def _tamper(exi: bytes, path: tuple[str, ...], change: Any) -> bytes:
    tree = decode(exi, Grammar.ISO2)
    node = tree["V2G_Message"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = change(node[path[-1]])
    return encode(tree, Grammar.ISO2)


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[10] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_tampered_signature_value(env: Env) -> None:
    vehicle, _ = env.contract_with_vehicle()
    session = os.urandom(8)
    exi = installation_request(vehicle, [env.v2g_root], session_id=session)
    bad = _tamper(exi, ("Header", "Signature", "SignatureValue", "value"), _flip)
    _refused(env, bad, ResponseCode.FAILED_SignatureError, session=session)


def test_tampered_signed_body(env: Env) -> None:
    vehicle, _ = env.contract_with_vehicle()
    exi = installation_request(vehicle, [env.v2g_root, env.mo_root])
    # Drop one root ID after signing: the digest of CertificateInstallationReq no longer matches.
    bad = _tamper(exi, ("Body", "CertificateInstallationReq", "ListOfRootCertificateIDs", "RootCertificateID"),
                  lambda ids: ids[:1])
    _refused(env, bad, ResponseCode.FAILED_SignatureError)


def test_request_signed_by_another_key(env: Env) -> None:
    vehicle, _ = env.contract_with_vehicle()
    exi = installation_request(vehicle, [env.v2g_root], key=ec.generate_private_key(ec.SECP256R1()))
    _refused(env, exi, ResponseCode.FAILED_SignatureError)


def test_untrusted_oem_root(env: Env) -> None:
    oem = foreign_pki(new_pcid("ZZZ"))
    env.registry.add(new_contract(f"DEPNC{os.urandom(5).hex()[:9].upper()}", oem.pcid, now=env.services.clock(),
                                  actor="mo"), actor="mo")
    exi = installation_request(Vehicle(oem.pcid, oem.leaf_key, oem.leaf, ()), [env.v2g_root])
    result = _refused(env, exi, ResponseCode.FAILED_CertChainError)
    assert "trusted root" in result.message


def test_expired_oem_provisioning_certificate(env: Env) -> None:
    oem = foreign_pki(new_pcid("EXP"), leaf_expired=True)
    env.trust.add(TrustKind.OEM, [oem.root, oem.sub1, oem.sub2], actor="op", at=env.services.clock())
    env.registry.add(new_contract(f"DEPNC{os.urandom(5).hex()[:9].upper()}", oem.pcid, now=env.services.clock(),
                                  actor="mo"), actor="mo")
    exi = installation_request(Vehicle(oem.pcid, oem.leaf_key, oem.leaf, ()), [env.v2g_root])
    _refused(env, exi, ResponseCode.FAILED_CertificateExpired)


@pytest.mark.parametrize("defect, expected", [({"leaf_dc": "CPO"}, "DC=OEM"),
                                              ({"leaf_key_agreement": False}, "keyUsage key_agreement")])
def test_oem_provisioning_certificate_profile(env: Env, defect: dict[str, Any], expected: str) -> None:
    oem = foreign_pki(new_pcid("PRF"), **defect)
    env.trust.add(TrustKind.OEM, [oem.root, oem.sub1, oem.sub2], actor="op", at=env.services.clock())
    env.registry.add(new_contract(f"DEPNC{os.urandom(5).hex()[:9].upper()}", oem.pcid, now=env.services.clock(),
                                  actor="mo"), actor="mo")
    exi = installation_request(Vehicle(oem.pcid, oem.leaf_key, oem.leaf, ()), [env.v2g_root])
    result = _refused(env, exi, ResponseCode.FAILED_CertChainError)
    assert expected in result.message


def _malformed(der: bytes, defect: str) -> bytes:
    """The certificate with a defect cryptography only notices when the part is read (it parses lazily)."""
    if defect == "unknown curve":
        return der.replace(bytes.fromhex("06082a8648ce3d030107"), bytes.fromhex("06082a8648ce3d03017f"), 1)
    if defect == "unknown version":
        return der.replace(bytes.fromhex("a003020102"), bytes.fromhex("a00302010a"), 1)  # v3 -> "v11"
    if defect == "subject CN as a BIT STRING":
        tag = der.rfind(bytes.fromhex("0603550403")) + 5  # the subject's CN (the issuer's comes first)
        return der[:tag] + b"\x03" + der[tag + 1:tag + 2] + b"\x00" + der[tag + 3:]
    cert = asn1_x509.Certificate.load(der)
    tbs = cert["tbs_certificate"]
    if defect == "duplicate extension":
        extensions = tbs["extensions"]
        extensions.append(extensions[0])
        tbs["extensions"] = extensions
        fields = {"tbs_certificate": tbs, "signature_algorithm": cert["signature_algorithm"],
                  "signature_value": cert["signature_value"]}
        rebuilt: bytes = asn1_x509.Certificate(fields).dump(force=True)
        return rebuilt
    key_usage = next(e for e in tbs["extensions"] if e["extn_id"].native == "key_usage")
    value = key_usage["extn_value"].contents  # OCTET STRING content: BIT STRING (tag 03) ...
    return der.replace(value, b"\x05" + value[1:], 1)  # ... turned into tag 05


@pytest.mark.parametrize("defect", ["duplicate extension", "malformed keyUsage", "unknown curve", "unknown version",
                                    "subject CN as a BIT STRING"])
def test_oem_provisioning_certificate_that_does_not_parse(env: Env, defect: str) -> None:
    vehicle, _ = env.contract_with_vehicle()
    def broken(b64: str) -> str:
        return base64.b64encode(_malformed(base64.b64decode(b64), defect)).decode()

    exi = _tamper(installation_request(vehicle, [env.v2g_root]),
                  ("Body", "CertificateInstallationReq", "OEMProvisioningCert"), broken)
    result = _refused(env, exi, ResponseCode.FAILED_CertChainError)
    assert "not a valid DER X.509 certificate" in result.message


def test_revoked_oem_provisioning_certificate(env: Env) -> None:
    vehicle, _ = env.contract_with_vehicle()
    env.services.authority.revoke(vehicle.certificate.serial_number, RevocationReason.KEY_COMPROMISE, "test")
    result = _refused(env, installation_request(vehicle, [env.v2g_root]), ResponseCode.FAILED_CertificateRevoked)
    assert "keyCompromise" in result.message


def test_unknown_pcid_without_auto_provisioning(env: Env) -> None:
    assert env.registry.policy().auto_provision is False
    vehicle = provision_vehicle(env.services.ra)
    _refused(env, installation_request(vehicle, [env.v2g_root]), ResponseCode.FAILED_NoCertificateAvailable)
    assert env.registry.for_pcid(vehicle.pcid) == []


def test_no_acceptable_root_in_the_list(env: Env) -> None:
    vehicle, _ = env.contract_with_vehicle()
    foreign = foreign_pki(new_pcid("ROO")).root
    exi = installation_request(vehicle, [env.mo_root, foreign])
    result = _refused(env, exi, ResponseCode.FAILED_NoCertificateAvailable)
    assert "root certificate IDs" in result.message


def test_no_acceptable_root_mints_no_contract(env: Env) -> None:
    vehicle = provision_vehicle(env.services.ra)
    now = env.services.clock()
    env.registry.set_policy(ProvisioningPolicy(auto_provision=True), actor="op", at=now)
    try:
        _refused(env, installation_request(vehicle, [env.mo_root]), ResponseCode.FAILED_NoCertificateAvailable)
    finally:
        env.registry.set_policy(ProvisioningPolicy(), actor="op", at=now)
    assert env.registry.for_pcid(vehicle.pcid) == []


def test_update_signed_with_the_wrong_key(env: Env) -> None:
    vehicle, emaid, _, old = _installed(env)
    exi = update_request(vehicle.key, old.certificate, old.sub_cas, emaid, [env.v2g_root])
    _refused(env, exi, ResponseCode.FAILED_SignatureError, kind="CertificateUpdateRes")


def test_update_with_an_emaid_other_than_the_certificate(env: Env) -> None:
    _, _, _, old = _installed(env)
    _, other = env.contract_with_vehicle()
    exi = update_request(old.key, old.certificate, old.sub_cas, other, [env.v2g_root])
    _refused(env, exi, ResponseCode.FAILED_CertChainError, kind="CertificateUpdateRes")


def test_revoked_contract_install_and_update(env: Env) -> None:
    vehicle, emaid, first, old = _installed(env)
    contract, revoked = cancel_contract(env.registry, env.services.authority, emaid, actor="mo",
                                        at=env.services.clock())
    assert contract.status is ContractStatus.REVOKED and revoked == [first.certificate_serial]
    record = env.services.store.get_certificate(first.certificate_serial)
    assert record is not None and record.revoked
    result = _refused(env, installation_request(vehicle, [env.v2g_root]), ResponseCode.FAILED_ContractCanceled)
    assert result.emaid == emaid
    exi = update_request(old.key, old.certificate, old.sub_cas, emaid, [env.v2g_root])
    _refused(env, exi, ResponseCode.FAILED_ContractCanceled, kind="CertificateUpdateRes")


def test_exi_that_is_not_a_certificate_request(env: Env) -> None:
    tree = {"V2G_Message": {"Header": {"SessionID": "0102030405060708"},
                            "Body": {"SessionSetupReq": {"EVCCID": "0A0B0C0D0E0F"}}}}
    before = env.issued_count()
    with pytest.raises(UnusableRequest) as caught:
        answer(encode(tree, Grammar.ISO2), env.ctx)
    assert caught.value.reason == "not_certificate_request" and "SessionSetupReq" in caught.value.message
    assert env.issued_count() == before


@pytest.mark.parametrize("text, reason", [
    (base64.b64encode(b"this is not EXI at all").decode(), "not_exi"),
    (base64.b64encode(bytes([0x80]) + os.urandom(200)).decode(), "not_exi"),
    ("not base64 !!", "not_base64"),
    ("A" * 5601, "too_long"),
])
def test_unusable_exi_requests(env: Env, text: str, reason: str) -> None:
    before = env.issued_count()
    with pytest.raises(UnusableRequest) as caught:
        answer(decode_base64(text), env.ctx)
    assert caught.value.reason == reason
    assert env.issued_count() == before


def test_action_must_match_the_exi_body(env: Env) -> None:
    vehicle, _ = env.contract_with_vehicle()
    with pytest.raises(UnusableRequest) as caught:
        answer(installation_request(vehicle, [env.v2g_root]), env.ctx, action=Action.UPDATE)
    assert caught.value.reason == "action_mismatch"


def test_a_request_of_exactly_5600_characters_is_read() -> None:
    assert len(decode_base64("A" * 5600)) == 4200


# -- self-check and the CPS signer -----------------------------------------------------------------------------

class _BrokenSigner:
    """A CPS identity whose key does not belong to its certificate: the self-check must catch it."""

    def __init__(self, real: SigningIdentity) -> None:
        self.identity = replace(real, key=ec.generate_private_key(ec.SECP256R1()))

    def identities(self) -> list[SigningIdentity]:
        return [self.identity]


def test_self_check_failure_sends_nothing_and_revokes_the_certificate(env: Env) -> None:
    vehicle, emaid = env.contract_with_vehicle()
    real = env.ctx.signer.identities()[0]
    broken = replace(env.ctx, signer=_BrokenSigner(real))
    before = len(env.services.store.list_certificates(profile="contract", revoked=True))
    with pytest.raises(SelfCheckFailed):
        answer(installation_request(vehicle, [env.v2g_root]), broken)
    revoked = env.services.store.list_certificates(profile="contract", revoked=True)
    assert len(revoked) == before + 1 and revoked[0].revocation_reason is RevocationReason.SUPERSEDED
    assert emaid in revoked[0].subject


def test_cps_leaf_is_created_once_and_rotated_before_expiry(pki_services: Any) -> None:
    from pki.authority import CertificateAuthority
    from pki.registration import RegistrationAuthority

    clock = [pki_services.clock()]
    ra = RegistrationAuthority(CertificateAuthority(pki_services.store, pki_services.keys, lambda: clock[0],
                                                    pki_services.authority.config))
    signer = CpsLeafSigner(pki_services.store, pki_services.keys, ra, lambda: clock[0],
                           rotate_before=timedelta(days=30))
    first = signer.current()
    assert signer.current() is first
    assert first.certificate.not_valid_after_utc - first.certificate.not_valid_before_utc > timedelta(days=60)
    assert [c.subject for c in first.sub_cas] == [
        pki_services.authority.ca_certificate(pki_services.authority.ca(n)).subject for n in ("cps-sub2", "cps-sub1")]
    # A second signer (another process) finds the same key and certificate instead of issuing again.
    again = CpsLeafSigner(pki_services.store, pki_services.keys, ra, lambda: clock[0]).current()
    assert again.certificate == first.certificate
    clock[0] = first.certificate.not_valid_after_utc - timedelta(days=29)
    rotated = signer.current()
    assert rotated.certificate.serial_number != first.certificate.serial_number
    assert rotated.certificate.public_key() == first.certificate.public_key()  # same service key svc:cps-leaf
    assert rotated.certificate.not_valid_after_utc > first.certificate.not_valid_after_utc
    assert [e.event.action for e in pki_services.store.audit_entries()].count("key.create") == len(
        pki_services.store.list_cas()) + 1
