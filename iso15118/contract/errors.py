"""The one error type of ``iso15118.contract`` and the outcome value of a provisioning request.

    ContractError          base; ``reason`` is a stable machine-readable word
    ├── UnusableRequest    the request cannot be answered with an ISO 15118-2 response at all: not base64,
    │                      not EXI, not a CertificateInstallationReq/UpdateReq, too long, action mismatch.
    │                      Adapters answer OCPP ``Failed`` with statusInfo (Get15118EVCertificate) or HTTP 400.
    └── SelfCheckFailed    our own response failed its check before sending (a bug or a broken signer):
                           nothing is sent, the contract certificate just issued is revoked.

Refusals the EV should hear about are not errors: they are answered with an EXI response carrying a
``FAILED_*`` ResponseCode (``Answer.response_code``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from iso15118.messages import ResponseCode

__all__ = ["ContractError", "UnusableRequest", "SelfCheckFailed", "Action", "Answer"]


class ContractError(Exception):
    reason = "contract_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class UnusableRequest(ContractError):
    reason = "unusable_request"


class SelfCheckFailed(ContractError):
    reason = "self_check_failed"


class Action(enum.StrEnum):
    """OCPP 2.0.1 CertificateActionEnumType."""

    INSTALL = "Install"
    UPDATE = "Update"


@dataclass(frozen=True, slots=True)
class Answer:
    """The EXI response for the EV and what it says. ``message`` explains a FAILED_* code ("" when OK)."""

    exi: bytes
    action: Action
    response_code: ResponseCode
    session_id: bytes
    emaid: str | None = None
    message: str = ""
    certificate_serial: int | None = None
    pcid: str | None = None

    @property
    def ok(self) -> bool:
        return self.response_code is ResponseCode.OK
