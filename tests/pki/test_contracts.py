"""Contracts and trust anchors: the pure policy (eMAID minting, contract selection, tolerant root matching)
and the SQL registry / trust store on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
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
from pki.errors import InvalidIdentifier, PolicyRefused
from pki.identifiers import emaid_check_digit, validate_emaid
from pki.trust import RootMatch, match_root, normalize_name, parse_dn

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
