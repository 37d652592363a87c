"""ISO 15118 / e-mobility identifiers: eMAID, PCID, EVSE-ID, SECC-ID.

Each validator returns the normalised identifier or raises ``InvalidIdentifier`` with a message that names
the part that is wrong. Sources: ISO 15118-2 Annex H (eMAID ABNF, quoted in hubject/opcp
``05_handling-of-ids.md``), DIN SPEC 91286 / eMI3 "Check Digit Calculation for Contract-IDs", VDE-AR-E
2802-100-1 (PCID), Hubject "3.4 SECC ID".

Patterns are applied with ``fullmatch``: ``re.match("...$")`` also accepts a trailing newline, which would
then be copied into a certificate's CN.
"""

from __future__ import annotations

import re

from pki.errors import InvalidIdentifier

__all__ = [
    "emaid_check_digit",
    "validate_emaid",
    "validate_pcid",
    "validate_evse_id",
    "validate_secc_id",
    "validate_secc_cn",
    "evse_operator_id",
    "validate_station_identity",
]

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Matrix = tuple[tuple[int, int], tuple[int, int]]


def _mat_mul(a: Matrix, b: Matrix, mod: int) -> Matrix:
    return (
        ((a[0][0] * b[0][0] + a[0][1] * b[1][0]) % mod, (a[0][0] * b[0][1] + a[0][1] * b[1][1]) % mod),
        ((a[1][0] * b[0][0] + a[1][1] * b[1][0]) % mod, (a[1][0] * b[0][1] + a[1][1] * b[1][1]) % mod),
    )


def _powers(base: Matrix, mod: int, count: int) -> list[Matrix]:
    out = [base]
    while len(out) < count:
        out.append(_mat_mul(out[-1], base, mod))
    return out


# DIN SPEC 91286: each alphanumeric value v (0..35) is split into q = v // 9 in Z2 x Z2 and r = v % 9 in
# Z3 x Z3; position i (1-based) is weighted with P1^i over Z2 and P2^i over Z3; the check character makes
# both weighted sums zero.
_P1 = _powers(((0, 1), (1, 1)), 2, 15)
_P2 = _powers(((0, 1), (1, 2)), 3, 15)


def _split(value: int) -> tuple[tuple[int, int], tuple[int, int]]:
    q, r = divmod(value, 9)
    return (q // 2, q % 2), (r // 3, r % 3)


def _weighted(position: int, value: int) -> tuple[tuple[int, int], tuple[int, int]]:
    (q1, q2), (r1, r2) = _split(value)
    p1, p2 = _P1[position], _P2[position]
    return (
        ((q1 * p1[0][0] + q2 * p1[1][0]) % 2, (q1 * p1[0][1] + q2 * p1[1][1]) % 2),
        ((r1 * p2[0][0] + r2 * p2[1][0]) % 3, (r1 * p2[0][1] + r2 * p2[1][1]) % 3),
    )


def emaid_check_digit(emaid14: str) -> str:
    """The DIN SPEC 91286 check character of a 14-character eMAID (separators removed, any case)."""
    body = emaid14.replace("-", "").upper()
    if len(body) != 14 or any(c not in _ALNUM for c in body):
        raise InvalidIdentifier(f"eMAID {emaid14!r}: need 14 letters or digits before the check digit")
    qs, rs = [0, 0], [0, 0]
    for i, ch in enumerate(body):
        (a, b), (c, d) = _weighted(i, _ALNUM.index(ch))
        qs = [(qs[0] + a) % 2, (qs[1] + b) % 2]
        rs = [(rs[0] + c) % 3, (rs[1] + d) % 3]
    for candidate, ch in enumerate(_ALNUM):
        (a, b), (c, d) = _weighted(14, candidate)
        if (qs[0] + a) % 2 == 0 and (qs[1] + b) % 2 == 0 and (rs[0] + c) % 3 == 0 and (rs[1] + d) % 3 == 0:
            return ch
    raise AssertionError("unreachable: P1^15 and P2^15 are invertible")  # pragma: no cover


_EMAID = re.compile(r"^([A-Za-z]{2})-?([A-Za-z0-9]{3})-?([A-Za-z0-9]{9})-?([A-Za-z0-9])?$")


def validate_emaid(value: str, *, require_check_digit: bool = False) -> str:
    """Validate an eMAID and return it normalised (upper case, no separators).

    ISO 15118-2 Annex H: 2-letter country, 3 alphanumeric provider ID, 9 alphanumeric instance, optional
    check character; the message field ``eMAID`` is 14..15 characters. A present check character must be
    the DIN SPEC 91286 one.
    """
    m = _EMAID.fullmatch(value)
    if m is None:
        raise InvalidIdentifier(
            f"eMAID {value!r}: expected 2 letters (country) + 3 alphanumerics (provider) + 9 alphanumerics "
            "(instance) + optional check character, with optional '-' separators"
        )
    country, provider, instance, check = m.groups()
    body = (country + provider + instance).upper()
    expected = emaid_check_digit(body)
    if check is None:
        if require_check_digit:
            raise InvalidIdentifier(f"eMAID {value!r}: check character missing (expected {expected!r})")
        return body
    if check.upper() != expected:
        raise InvalidIdentifier(
            f"eMAID {value!r}: check character {check.upper()!r} is wrong, DIN SPEC 91286 gives {expected!r}"
        )
    return body + expected


_PCID = re.compile(r"^[A-Za-z0-9]{17,18}$")


def validate_pcid(value: str) -> str:
    """PCID (VDE-AR-E 2802-100-1: WMI + OEM's unique ID + check digit); Hubject: ``^[a-zA-Z0-9]{17,18}$``."""
    if not _PCID.fullmatch(value):
        problem = (
            f"has {len(value)} characters, needs 17 or 18"
            if not 17 <= len(value) <= 18
            else "may contain letters and digits only"
        )
        raise InvalidIdentifier(f"PCID {value!r}: {problem}")
    return value


# EVSE-ID (ISO 15118-2 Annex H / eMI3): <country 2 letters> <S> <operator 3 alnum> <S> "E" <outlet id>,
# separator '*' (or none); ISO-2 evseIDType is a string of 7..37 characters.
_EVSE_ID = re.compile(r"^([A-Za-z]{2})(\*?)([A-Za-z0-9]{3})\2[Ee]([A-Za-z0-9][A-Za-z0-9*]{0,30})$")


def validate_evse_id(value: str) -> str:
    if not 7 <= len(value) <= 37:
        raise InvalidIdentifier(f"EVSE-ID {value!r}: has {len(value)} characters, ISO 15118-2 allows 7..37")
    if not _EVSE_ID.fullmatch(value):
        raise InvalidIdentifier(
            f"EVSE-ID {value!r}: expected <country 2 letters>*<operator 3 alphanumerics>*E<outlet id>, "
            "e.g. DE*ICE*E45B*78C"
        )
    return value


# SECC-ID (Hubject "3.4 SECC ID"): <country> <S> <operator ID> <S> "S" <S> <controller ID 32..248 hex/alnum>
# <S> <check digit>, separator '-' or '*'; e.g. DE-ICE-S-00003C4D557878675645330967543476-2.
_SECC_ID = re.compile(r"^([A-Za-z]{2})([-*])([A-Za-z0-9]{3})\2[Ss]\2([A-Za-z0-9]{1,248})(?:\2([A-Za-z0-9]))?$")


def validate_secc_id(value: str) -> str:
    if len(value) > 64:
        raise InvalidIdentifier(f"SECC-ID {value!r}: longer than 64 characters (X.520 CommonName upper bound)")
    if not _SECC_ID.fullmatch(value):
        raise InvalidIdentifier(
            f"SECC-ID {value!r}: expected <country>-<operator ID>-S-<controller ID>[-<check digit>], "
            "e.g. DE-ICE-S-00003C4D557878675645330967543476-2"
        )
    return value


def validate_secc_cn(value: str) -> str:
    """The CN of a SECC leaf: a SECC-ID (Hubject 3.7) or an EVSE-ID; the error names both forms."""
    if (len(value) <= 64 and _SECC_ID.fullmatch(value)) or (7 <= len(value) <= 37 and _EVSE_ID.fullmatch(value)):
        return value  # the usual case, without raising and catching an error first
    try:
        return validate_secc_id(value)
    except InvalidIdentifier as secc_error:
        try:
            return validate_evse_id(value)
        except InvalidIdentifier:
            raise InvalidIdentifier(f"{secc_error.message} (nor is it an EVSE-ID like DE*ICE*E45B*78C)") from None


def evse_operator_id(secc_cn: str) -> str:
    """The EVSE operator ID (country + operator, upper case, e.g. ``DEICE``) inside a SECC-ID or EVSE-ID: both
    start <country 2><separator><operator 3>, and an EVSE-ID may leave the separator out."""
    cn = validate_secc_cn(secc_cn)
    operator = cn[3:6] if cn[2] in "*-" else cn[2:5]
    return (cn[:2] + operator).upper()


_STATION = re.compile(r"^[\x21-\x7e]{1,48}$")


def validate_station_identity(value: str) -> str:
    """OCPP 2.0.1 charging station identity (CN of the station certificate, A00.FR.5xx): the identity the
    station connects with; printable ASCII without spaces, at most 48 characters (identifierString length)."""
    if not _STATION.fullmatch(value):
        raise InvalidIdentifier(
            f"charging station identity {value!r}: 1..48 printable ASCII characters without spaces required"
        )
    return value
