import pytest

from pki.errors import InvalidIdentifier
from pki.identifiers import (
    emaid_check_digit,
    validate_emaid,
    validate_evse_id,
    validate_pcid,
    validate_secc_id,
    validate_station_identity,
)

# DIN SPEC 91286 vectors (pnc-facts §1, from mobilityid CheckDigitSpec)
VECTORS = [
    ("NN123ABCDEFGHI", "T"), ("FRXYZ123456789", "2"), ("ITA1B2C3E4F5G6", "4"), ("ESZU8WOX834H1D", "R"),
    ("PT73902837ABCZ", "Z"), ("DE83DUIEN83QGZ", "D"), ("DE83DUIEN83ZGQ", "M"), ("DE8AA001234567", "0"),
]


@pytest.mark.parametrize(("body", "check"), VECTORS)
def test_emaid_check_digit_vectors(body: str, check: str) -> None:
    assert emaid_check_digit(body) == check
    assert emaid_check_digit(body.lower()) == check
    assert validate_emaid(body + check) == body + check


def test_emaid_with_separators_is_normalised() -> None:
    assert validate_emaid("DE-83D-UIEN83QGZ-D") == "DE83DUIEN83QGZD"
    assert validate_emaid("de83duien83qgz") == "DE83DUIEN83QGZ"


def test_emaid_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(InvalidIdentifier, match="'X' is wrong, DIN SPEC 91286 gives 'D'"):
        validate_emaid("DE83DUIEN83QGZX")


@pytest.mark.parametrize("bad", ["D183DUIEN83QGZ", "DE83DUIEN83Q", "DE83DUIEN83QGZDD", "DE_83DUIEN83QGZ", ""])
def test_emaid_syntax_errors(bad: str) -> None:
    with pytest.raises(InvalidIdentifier, match="eMAID"):
        validate_emaid(bad)


def test_emaid_check_digit_can_be_required() -> None:
    with pytest.raises(InvalidIdentifier, match="check character missing .expected 'D'"):
        validate_emaid("DE83DUIEN83QGZ", require_check_digit=True)


def test_pcid() -> None:
    assert validate_pcid("WMIABCDEFGHIJKLM1") == "WMIABCDEFGHIJKLM1"
    with pytest.raises(InvalidIdentifier, match="has 5 characters, needs 17 or 18"):
        validate_pcid("ABCDE")
    with pytest.raises(InvalidIdentifier, match="letters and digits only"):
        validate_pcid("WMIABCDEFGHIJK-M1")


def test_evse_id() -> None:
    assert validate_evse_id("DE*ICE*E45B*78C") == "DE*ICE*E45B*78C"
    assert validate_evse_id("DEICEE45B78C") == "DEICEE45B78C"
    with pytest.raises(InvalidIdentifier, match="7..37"):
        validate_evse_id("DE*IC")
    with pytest.raises(InvalidIdentifier, match="expected <country"):
        validate_evse_id("DE*ICE*X45B*78C")


def test_secc_id() -> None:
    assert validate_secc_id("DE-ICE-S-00003C4D557878675645330967543476-2")
    with pytest.raises(InvalidIdentifier, match="SECC-ID"):
        validate_secc_id("DE-ICE-X-0000")


def test_station_identity() -> None:
    assert validate_station_identity("CS-0001") == "CS-0001"
    with pytest.raises(InvalidIdentifier, match="printable ASCII"):
        validate_station_identity("has space")


@pytest.mark.parametrize(("validate", "good"), [
    (validate_emaid, "DE83DUIEN83QGZD"), (validate_pcid, "WMIABCDEFGHIJKLM1"), (validate_evse_id, "DE*ICE*E45B*78C"),
    (validate_secc_id, "DE-ICE-S-00003C4D557878675645330967543476-2"), (validate_station_identity, "CS-0001"),
])
def test_a_trailing_newline_is_refused(validate, good: str) -> None:  # type: ignore[no-untyped-def]
    assert validate(good) == good
    with pytest.raises(InvalidIdentifier):  # it would otherwise end up in the certificate's CN
        validate(good + "\n")


def test_free_text_common_names_refuse_control_characters() -> None:
    from pki.policy import check_cn
    from pki.profiles import get_profile

    assert check_cn(get_profile("cps-leaf"), "CPS Signer Ä") == "CPS Signer Ä"
    with pytest.raises(InvalidIdentifier, match="control characters"):
        check_cn(get_profile("cps-leaf"), "CPS\nSigner")


def test_raw_der_csr_ending_in_a_whitespace_byte_is_accepted() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from pki.csr import load_csr
    from tests.helpers import make_csr

    while True:  # ~2.7% of P-256 CSRs end in 0x09-0x0d or 0x20
        der = make_csr("DE*ICE*E1").public_bytes(Encoding.DER)
        if der[-1:].isspace():
            break
    assert load_csr(der).public_bytes(Encoding.DER) == der


def test_an_organization_with_control_characters_is_refused() -> None:
    from pki.errors import PolicyRefused
    from pki.policy import SubjectClaims, build_subject
    from pki.profiles import get_profile
    from tests.helpers import name

    issuer = name("CSO Sub-CA", "PNC", "DE")
    claims = SubjectClaims(common_name="CS-1", organization="Acme\nEvil")
    with pytest.raises(PolicyRefused, match="control characters"):
        build_subject(get_profile("charging-station"), claims, issuer)
    ok = build_subject(get_profile("charging-station"), SubjectClaims(common_name="CS-1", organization="Acme"), issuer)
    assert ok.text == "C=DE,O=Acme,CN=CS-1"
