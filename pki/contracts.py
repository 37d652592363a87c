"""Contracts of the mobility operator: which eMAID is provisioned to which vehicle (PCID), and the policy
that decides what a CertificateInstallationReq for a PCID gets (pure: no SQL, no clock).

A contract is created by the MO (``pnc contract add``, the MO HTTP endpoints) or, when the operator turns
auto-provisioning on, minted for an unknown PCID on its first CertificateInstallationReq. The eMAID
(ISO 15118-2 Annex H) of a minted contract is ``<country><provider><9 random alphanumerics><check>`` with
the DIN SPEC 91286 check character. Several contracts may name one PCID; as Hubject's CCP does for
ISO 15118-2 ("just one item back. The Contract which is set to Default"), the newest active one is used.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pki.errors import AlreadyRevoked, InvalidIdentifier, NotFound, PolicyRefused
from pki.identifiers import emaid_check_digit, validate_emaid, validate_pcid
from pki.model import RevocationReason

__all__ = [
    "ContractStatus",
    "Contract",
    "ContractRegistry",
    "ProvisioningPolicy",
    "Selection",
    "select_contract",
    "cancel_contract",
    "mint_emaid",
    "canonical_emaid",
    "new_contract",
    "DEFAULT_PROVIDER_PREFIX",
    "DEFAULT_CONTRACT_VALIDITY",
]

DEFAULT_PROVIDER_PREFIX = "DEPNC"  # country (2 letters) + provider ID (3 alphanumerics)
DEFAULT_CONTRACT_VALIDITY = timedelta(days=365)
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PREFIX = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")


class ContractStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # cancelled by the MO: the EV is told FAILED_ContractCanceled


@dataclass(frozen=True, slots=True)
class Contract:
    emaid: str  # normalised, with check character (15 characters)
    pcid: str
    status: ContractStatus
    created_at: datetime
    created_by: str
    not_after: datetime | None = None  # end of the contract; contract certificates never outlive it
    revoked_at: datetime | None = None
    certificates: tuple[int, ...] = field(default=())  # serials of contract certificates issued, oldest first

    def is_active(self, now: datetime) -> bool:
        return self.status is ContractStatus.ACTIVE and (self.not_after is None or now < self.not_after)


class ContractRegistry(Protocol):
    def add(self, contract: Contract, *, actor: str) -> Contract:
        """Store a new contract; ``AlreadyExists`` if the eMAID is taken (eMAIDs are never reused)."""
        ...

    def get(self, emaid: str) -> Contract | None: ...

    def for_pcid(self, pcid: str) -> list[Contract]:
        """Every contract of the vehicle, newest first."""
        ...

    def list(self, *, pcid: str | None = None, status: ContractStatus | None = None,
             limit: int | None = None) -> list[Contract]: ...

    def revoke(self, emaid: str, *, actor: str, at: datetime) -> Contract:
        """Cancel a contract (``NotFound``; ``AlreadyRevoked`` if it already is)."""
        ...

    def record_certificate(self, emaid: str, serial: int, *, actor: str, at: datetime) -> None:
        """Link a contract certificate we issued to its contract (audited)."""
        ...

    def policy(self) -> ProvisioningPolicy: ...

    def set_policy(self, policy: ProvisioningPolicy, *, actor: str, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class ProvisioningPolicy:
    """``auto_provision``: mint a contract for an unknown PCID (off by default: an EV is only served for a
    contract the MO created). ``provider_prefix``: country + provider ID of minted eMAIDs."""

    auto_provision: bool = False
    provider_prefix: str = DEFAULT_PROVIDER_PREFIX
    contract_validity: timedelta = DEFAULT_CONTRACT_VALIDITY

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.provider_prefix):
            raise InvalidIdentifier(
                f"eMAID provider prefix {self.provider_prefix!r}: need 2 letters (country) + 3 alphanumerics "
                "(provider), upper case, e.g. DEPNC"
            )
        if self.contract_validity <= timedelta(0):
            raise PolicyRefused("contract validity must be positive")


def mint_emaid(provider_prefix: str, *, instance: str | None = None) -> str:
    """A new eMAID: prefix + 9 random alphanumerics (ISO 15118-2 Annex H) + DIN SPEC 91286 check character."""
    if instance is None:
        instance = "".join(secrets.choice(_ALNUM) for _ in range(9))
    body = provider_prefix + instance
    return validate_emaid(body + emaid_check_digit(body), require_check_digit=True)


def canonical_emaid(value: str) -> str:
    """The eMAID as we store and issue it: upper case, no separators, with the check character (a given
    one must be right; a missing one is appended). ``InvalidIdentifier`` otherwise."""
    body = validate_emaid(value)
    return body if len(body) == 15 else body + emaid_check_digit(body)


def new_contract(
    emaid: str, pcid: str, *, now: datetime, actor: str, not_after: datetime | None = None
) -> Contract:
    """A validated new contract. A given eMAID without check character gets one appended (messages carry
    14-15 characters; we always issue with the check character). A ``not_after`` without time zone is UTC."""
    normalised = canonical_emaid(emaid)
    pcid = validate_pcid(pcid)
    if not_after is not None and not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=UTC)
    if not_after is not None and not_after <= now:
        raise PolicyRefused(f"contract end {not_after:%Y-%m-%dT%H:%M:%SZ} is not in the future")
    return Contract(normalised, pcid, ContractStatus.ACTIVE, now, actor, not_after)


class Selection(enum.Enum):
    FOUND = "found"
    CANCELED = "canceled"  # the vehicle has contracts, but none active: FAILED_ContractCanceled
    NONE = "none"  # the vehicle has no contract: FAILED_NoCertificateAvailable (or auto-provisioning)


def select_contract(contracts: Sequence[Contract], now: datetime) -> tuple[Selection, Contract | None]:
    """The contract to provision: the newest active one."""
    for contract in contracts:
        if contract.is_active(now):
            return Selection.FOUND, contract
    if contracts:
        return Selection.CANCELED, contracts[0]
    return Selection.NONE, None


class _Revoker(Protocol):
    def revoke(self, serial: int, reason: RevocationReason, actor: str, *, at: datetime | None = None) -> object: ...


def cancel_contract(
    registry: ContractRegistry,
    authority: _Revoker,
    emaid: str,
    *,
    actor: str,
    at: datetime,
    reason: RevocationReason = RevocationReason.CESSATION_OF_OPERATION,
) -> tuple[Contract, list[int]]:
    """Cancel a contract and revoke every contract certificate issued for it (RFC 5280 §5.3.1
    cessationOfOperation by default), so OCSP says ``revoked`` at once. Returns the contract and the serials
    revoked now (certificates revoked earlier are skipped). The steps commit one by one, so a cancellation
    that was interrupted is finished by running it again; ``AlreadyRevoked`` only once nothing is left to do."""
    already: AlreadyRevoked | None = None
    try:
        contract = registry.revoke(emaid, actor=actor, at=at)
    except AlreadyRevoked as exc:
        found = registry.get(emaid)
        if found is None:
            raise
        contract, already = found, exc
    revoked = []
    for serial in contract.certificates:
        try:
            authority.revoke(serial, reason, actor)
        except (AlreadyRevoked, NotFound):
            continue
        revoked.append(serial)
    if already is not None and not revoked:
        raise already
    return contract, revoked
