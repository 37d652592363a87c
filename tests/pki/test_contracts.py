"""Contracts and trust anchors: the pure policy (eMAID minting, contract selection, tolerant root matching)
and the SQL registry / trust store on a real SQLite file."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from pki.contracts import (
    Contract,
    ContractStatus,
    ProvisioningPolicy,
    Selection,
    canonical_emaid,
    mint_emaid,
    new_contract,
    select_contract,
)
from pki.errors import AlreadyExists, AlreadyRevoked, InvalidIdentifier, InvalidInput, NotFound, PolicyRefused
from pki.identifiers import emaid_check_digit, validate_emaid
from pki.trust import RootMatch, load_der_certificate, load_pem_certificates, match_root, normalize_name, parse_dn

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PCID = "WMIPNC00000000001"


def _root(cn: str, serial: int, *, order: str = "CN,O,C,DC") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    values = {"CN": (NameOID.COMMON_NAME, cn), "O": (NameOID.ORGANIZATION_NAME, "Switch, Ltd"),
              "C": (NameOID.COUNTRY_NAME, "UK"), "DC": (NameOID.DOMAIN_COMPONENT, "V2G")}
    name = x509.Name([x509.NameAttribute(*values[k]) for k in order.split(",")])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial).not_valid_before(NOW).not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


# -- eMAIDs and contracts ---------------------------------------------------------------------------------

def test_minted_emaids_carry_a_valid_check_digit_and_differ() -> None:
    minted = {mint_emaid("DEPNC") for _ in range(200)}
    assert len(minted) == 200
    for emaid in minted:
        assert len(emaid) == 15 and emaid.startswith("DEPNC")
        assert emaid[-1] == emaid_check_digit(emaid[:14])
        assert validate_emaid(emaid, require_check_digit=True) == emaid


def test_minting_uses_the_din_spec_vector() -> None:
    # DIN SPEC 91286 vector from pnc-facts §1: DE8AA001234567 -> 0
    assert mint_emaid("DE8AA", instance="001234567") == "DE8AA0012345670"


def test_canonical_emaid_appends_or_checks_the_check_character() -> None:
    assert canonical_emaid("NN123ABCDEFGHI") == "NN123ABCDEFGHIT"
    assert canonical_emaid("nn-123-abcdefghi-t") == "NN123ABCDEFGHIT"
    with pytest.raises(InvalidIdentifier, match="check character"):
        canonical_emaid("NN123ABCDEFGHIX")


@pytest.mark.parametrize("prefix", ["DE", "DEPNCX", "1EPNC", "depnc"])
def test_policy_refuses_bad_provider_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidIdentifier):
        ProvisioningPolicy(auto_provision=True, provider_prefix=prefix)


def test_new_contract_validates_identifiers_and_end() -> None:
    c = new_contract("DE8AA001234567", PCID, now=NOW, actor="t")
    assert c.emaid == "DE8AA0012345670" and c.status is ContractStatus.ACTIVE
    with pytest.raises(InvalidIdentifier):
        new_contract("DE8AA001234567", "short", now=NOW, actor="t")
    with pytest.raises(PolicyRefused):
        new_contract("DE8AA001234567", PCID, now=NOW, actor="t", not_after=NOW)


def test_selection_prefers_the_newest_active_contract() -> None:
    def c(emaid: str, status: ContractStatus, end: datetime | None = None) -> Contract:
        return Contract(emaid, PCID, status, NOW, "t", end)

    revoked = c("DEPNCAAAAAAAAA1", ContractStatus.REVOKED)
    expired = c("DEPNCAAAAAAAAA2", ContractStatus.ACTIVE, NOW - timedelta(days=1))
    active = c("DEPNCAAAAAAAAA3", ContractStatus.ACTIVE, NOW + timedelta(days=1))
    assert select_contract([revoked, expired, active], NOW) == (Selection.FOUND, active)
    assert select_contract([revoked, expired], NOW) == (Selection.CANCELED, revoked)
    assert select_contract([], NOW) == (Selection.NONE, None)


# -- tolerant RootCertificateID matching -----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "CN=V2GRootCA,O=Switch\\, Ltd,C=UK,DC=V2G",  # RFC 4514 (reversed order)
    "DC=V2G,C=UK,O=Switch\\, Ltd,CN=V2GRootCA",
    "<Name(DC=V2G,C=UK,O=Switch\\, Ltd,CN=V2GRootCA)>",  # SwitchEV: repr of a cryptography Name
    "/CN=V2GRootCA/O=Switch, Ltd/C=UK/DC=V2G",  # OpenSSL one-line
    "commonName = v2grootca, organizationName = \"Switch, Ltd\", countryName=uk, domainComponent=V2G",
    "2.5.4.3=V2GRootCA, 2.5.4.10=Switch\\, Ltd, 2.5.4.6=UK, 0.9.2342.19200300.100.1.25=V2G",
])
def test_dn_text_forms_normalise_to_the_certificate_name(text: str) -> None:
    root = _root("V2GRootCA", 1234, order="DC,C,O,CN")
    assert parse_dn(text) == normalize_name(root.subject)


def test_match_prefers_name_and_serial_then_name_then_serial() -> None:
    a = _root("Root A", 1)
    a2 = _root("Root A", 2)
    b = _root("Root B", 3)
    assert match_root("CN=Root A,O=Switch\\, Ltd,C=UK,DC=V2G", 2, [a, a2, b]) == (a2, RootMatch.NAME_AND_SERIAL)
    assert match_root("CN=Root A,O=Switch\\, Ltd,C=UK,DC=V2G", 9, [b, a]) == (a, RootMatch.NAME)
    assert match_root("garbage without equals", 3, [a, b]) == (b, RootMatch.SERIAL)
    assert match_root("CN=Unknown", 99, [a, b]) is None


# -- the SQL registry and trust store (real SQLite file, migrated by Alembic) ------------------------------

@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    from ca_store import open_store, sqlite_url

    s = open_store(sqlite_url(tmp_path / "db"))
    s.migrate()
    yield s
    s.close()


def _audit_actions(store) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.event.action for e in store.audit_entries()]


def test_contract_tables_match_the_migration(store) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ca_store.contracts import contracts_table
    from ca_store.trust import trust_anchors_table

    for table in (contracts_table, trust_anchors_table):
        def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object,
                 metadata: Any = table.metadata) -> bool:
            return not (type_ == "table" and name not in metadata.tables)

        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
            assert compare_metadata(context, table.metadata) == []


def test_registry_round_trip_revocation_and_audit(store) -> None:  # type: ignore[no-untyped-def]
    from ca_store.contracts import SqlContractRegistry

    reg = SqlContractRegistry(store)
    first = reg.add(new_contract("DE8AA001234567", PCID, now=NOW, actor="op"), actor="op")
    second = reg.add(new_contract("DEPNC000000001", PCID, now=NOW + timedelta(hours=1), actor="op",
                                  not_after=NOW + timedelta(days=30)), actor="op")
    assert reg.get("de-8aa-001234567") == first  # any spelling of the eMAID finds it
    assert reg.get("not an emaid") is None
    assert [c.emaid for c in reg.for_pcid(PCID)] == [second.emaid, first.emaid]  # newest first
    with pytest.raises(AlreadyExists):
        reg.add(new_contract("DE8AA0012345670", "WMIPNC00000000002", now=NOW, actor="op"), actor="op")
    reg.record_certificate(first.emaid, 0xABC, actor="svc", at=NOW)
    reg.record_certificate(first.emaid, 0xDEF, actor="svc", at=NOW + timedelta(seconds=1))
    assert reg.get(first.emaid).certificates == (0xABC, 0xDEF)  # type: ignore[union-attr]
    assert [c.certificates for c in reg.for_pcid(PCID)] == [(), (0xABC, 0xDEF)]
    revoked = reg.revoke(first.emaid, actor="op", at=NOW)
    assert revoked.status is ContractStatus.REVOKED and revoked.revoked_at == NOW
    with pytest.raises(AlreadyRevoked):
        reg.revoke(first.emaid, actor="op", at=NOW)
    with pytest.raises(NotFound):
        reg.revoke("DEPNC999999999", actor="op", at=NOW)
    assert [c.emaid for c in reg.list(status=ContractStatus.ACTIVE)] == [second.emaid]
    assert _audit_actions(store) == ["contract.add", "contract.add", "contract.certificate",
                                     "contract.certificate", "contract.revoke"]


def test_policy_is_off_by_default_and_persists(store) -> None:  # type: ignore[no-untyped-def]
    from ca_store.contracts import SqlContractRegistry

    reg = SqlContractRegistry(store)
    assert reg.policy() == ProvisioningPolicy()
    assert reg.policy().auto_provision is False
    wanted = ProvisioningPolicy(auto_provision=True, provider_prefix="FRXYZ", contract_validity=timedelta(days=30))
    reg.set_policy(wanted, actor="op", at=NOW)
    assert SqlContractRegistry(store).policy() == wanted
    assert _audit_actions(store) == ["contract.policy"]


def test_certificates_are_parsed_completely_on_load() -> None:
    """cryptography reads the key lazily: a key on an unknown named curve is refused when the file is loaded."""
    der = _root("OEM Root", 9).public_bytes(Encoding.DER)
    assert load_der_certificate(der).serial_number == 9
    p256, unknown = bytes.fromhex("06082a8648ce3d030107"), bytes.fromhex("06082a8648ce3d03017f")
    bad = der.replace(p256, unknown, 1)
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(bad) + b"-----END CERTIFICATE-----\n"
    for load, data in ((load_der_certificate, bad), (load_pem_certificates, bad), (load_pem_certificates, pem)):
        with pytest.raises(InvalidInput, match="not supported"):
            load(data)


def test_trust_store_accepts_cas_only_idempotently(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ca_store.trust import SqlTrustStore
    from pki.trust import TrustKind

    root = _root("OEM Root", 7)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")]))
        .issuer_name(root.subject).public_key(key.public_key()).serial_number(8)
        .not_valid_before(NOW).not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    trust = SqlTrustStore(store, cache_seconds=3600)
    assert trust.certificates(TrustKind.OEM) == ()
    with pytest.raises(PolicyRefused, match="not a CA"):
        trust.add(TrustKind.OEM, [root, leaf], actor="op", at=NOW)
    assert trust.list() == [] and _audit_actions(store) == []  # nothing of the refused file was stored
    added = trust.add(TrustKind.OEM, [root], actor="op", at=NOW)
    assert [(t.kind, t.is_root, t.subject) for t in added] == [(TrustKind.OEM, True, root.subject.rfc4514_string())]
    assert trust.add(TrustKind.OEM, [root], actor="op", at=NOW) == added  # idempotent
    trust.add(TrustKind.MO, [root], actor="op", at=NOW)  # the same certificate may serve two kinds
    assert trust.certificates(TrustKind.OEM) == (root,)  # the cache was dropped by add()
    assert [t.kind for t in trust.list()] == [TrustKind.MO, TrustKind.OEM]
    assert _audit_actions(store) == ["trust.add", "trust.add"]


def test_an_interrupted_cancellation_is_finished_by_running_it_again(pki_services) -> None:  # type: ignore[no-untyped-def]
    from ca_store.contracts import SqlContractRegistry
    from pki.contracts import cancel_contract
    from tests.helpers import csr_pem, make_csr

    svc = pki_services
    reg = SqlContractRegistry(svc.store)
    contract = reg.add(new_contract("DE8AA001234567", PCID, now=svc.clock(), actor="mo"), actor="mo")
    issued = svc.ra.issue_from_csr(csr_pem(make_csr(contract.emaid)), "contract", requester="t")
    reg.record_certificate(contract.emaid, issued.record.serial, actor="t", at=svc.clock())
    reg.revoke(contract.emaid, actor="mo", at=svc.clock())  # the process died here, before the certificates
    done, revoked = cancel_contract(reg, svc.authority, contract.emaid, actor="mo", at=svc.clock())
    assert done.status is ContractStatus.REVOKED and revoked == [issued.record.serial]
    assert svc.store.get_certificate(issued.record.serial).revoked
    with pytest.raises(AlreadyRevoked):  # nothing left to do
        cancel_contract(reg, svc.authority, contract.emaid, actor="mo", at=svc.clock())
    with pytest.raises(NotFound):
        cancel_contract(reg, svc.authority, "DEPNC999999999", actor="mo", at=svc.clock())
