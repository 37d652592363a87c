"""Who is asking, and what that party may request: the authorisation policy of every remote adapter.

Pure policy (no HTTP, no SQL, no clock). The roles follow the OPCP/OPNC role model
(hubject/opcp ``docs/04_authentication.md``; charinev/opnc ``processes/docs/04_authentication.md``): a CPO
(our ``csms`` role) is scoped by its EVSE operator IDs, an MO by its eMAID prefixes, an OEM by its WMIs.
Hubject answers a CSR for another operator's EVSE with 403 (EVerest OpcpCertificateManager notes); so do we.

    csms      enrols SECC leafs for its own EVSE operator IDs, gets OCPP station certificates signed
    operator  runs this PKI: may do everything, including revocation and certificate lookup
    mo        mobility operator: contract data (later endpoints), root certificates
    oem       vehicle manufacturer: provisioning data (later endpoints), root certificates

The EVSE operator ID is the eMI3 "<country>*<operator>" prefix of an EVSE-ID (ISO 15118-2 Annex H,
``DE*ICE*E45B*78C``) or of a SECC-ID (Hubject "3.4 SECC ID", ``DE-ICE-S-...``); it is compared in the
normalised form ``DEICE`` (upper case, no separator).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pki import identifiers
from pki.errors import InvalidIdentifier, InvalidInput, PolicyRefused

__all__ = [
    "Role",
    "Requester",
    "NotAuthorized",
    "normalize_operator_id",
    "operator_id_of",
    "require_role",
    "authorize_secc_cn",
    "authorize_station_certificate",
    "authorize_revocation",
    "authorize_lookup",
]


class NotAuthorized(PolicyRefused):
    """The request is well-formed but this requester may not make it (HTTP 403, CLI "refused").

    Belongs to the ``pki.errors`` tree (a ``PolicyRefused``); adapters map it before ``PolicyRefused``."""

    code = "not_authorized"


class Role(enum.StrEnum):
    CSMS = "csms"
    OPERATOR = "operator"
    MO = "mo"
    OEM = "oem"


# eMI3 EVSE operator ID: ISO 3166 alpha-2 country, optional '*' or '-', 3 alphanumerics.
_OPERATOR_ID = re.compile(r"^([A-Za-z]{2})[*-]?([A-Za-z0-9]{3})$")


def normalize_operator_id(value: str) -> str:
    """``DE*ICE``, ``DE-ICE``, ``deice`` -> ``DEICE``; anything else is an ``InvalidIdentifier``."""
    m = _OPERATOR_ID.fullmatch(value.strip())
    if m is None:
        raise InvalidIdentifier(
            f"EVSE operator ID {value!r}: expected <country 2 letters>*<operator 3 alphanumerics>, e.g. DE*ICE"
        )
    return (m.group(1) + m.group(2)).upper()


@dataclass(frozen=True, slots=True)
class Requester:
    """An authenticated party. ``name`` is what the audit log records (``client:<name>``)."""

    name: str
    role: Role
    evse_operator_ids: frozenset[str] = field(default_factory=frozenset)  # normalised, see above
    organization: str | None = None  # the CSO's O for OCPP station certificates (A00.FR.4xx), if bound

    @classmethod
    def of(
        cls, name: str, role: str | Role, evse_operator_ids: Iterable[str] = (), organization: str | None = None
    ) -> Requester:
        try:
            parsed = Role(role)
        except ValueError:
            raise InvalidInput(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}") from None
        ids = frozenset(normalize_operator_id(i) for i in evse_operator_ids)
        return cls(name, parsed, ids, organization or None)

    @property
    def audit_name(self) -> str:
        return f"client:{self.name}"


def operator_id_of(cn: str) -> str:
    """The normalised EVSE operator ID inside a SECC certificate CN (SECC-ID or EVSE-ID)."""
    return identifiers.evse_operator_id(cn)


def require_role(requester: Requester, *roles: Role) -> None:
    if requester.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise NotAuthorized(f"role {requester.role.value!r} may not do this (needs {allowed})")


def authorize_secc_cn(requester: Requester, cn: str | None) -> str | None:
    """A SECC leaf with this CN may be issued to ``requester``: operators always, a CSMS only for its own
    EVSE operator IDs. Returns the operator ID found in the CN (None for an operator without a CN: the
    profile's subject rules then refuse the request)."""
    require_role(requester, Role.CSMS, Role.OPERATOR)
    if cn is None:
        if requester.role is Role.OPERATOR:
            return None
        raise InvalidIdentifier("CSR subject has no CN; a SECC certificate needs the SECC-ID or EVSE-ID as CN")
    operator = operator_id_of(cn)
    if requester.role is Role.CSMS and operator not in requester.evse_operator_ids:
        mine = ", ".join(sorted(requester.evse_operator_ids)) or "none"
        raise NotAuthorized(
            f"CN {cn!r} belongs to EVSE operator {operator}; client {requester.name!r} may enrol only for: {mine}"
        )
    return operator


def authorize_station_certificate(requester: Requester) -> str | None:
    """OCPP ChargingStationCertificate (A02/A03): CSMS and operator. Returns the organisation (O) the
    certificate must carry, if this requester is bound to one (A00.FR.4xx: O = the CSO)."""
    require_role(requester, Role.CSMS, Role.OPERATOR)
    return requester.organization


def authorize_revocation(requester: Requester) -> None:
    """Only the PKI operator revokes (a CSMS asks the operator; RFC 5280 leaves this to the CA's policy)."""
    require_role(requester, Role.OPERATOR)


def authorize_lookup(requester: Requester) -> None:
    require_role(requester, Role.OPERATOR)
