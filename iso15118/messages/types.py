"""ISO 15118-2:2013 data types the certificate messages use (V2G_CI_MsgDataTypes.xsd, xmldsig-core).

Enumerations carry the XSD literals as member names and values, unchanged, so a literal in a log, a
vector or the standard can be searched for as is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from iso15118.messages._tree import TreeModel, xsd

__all__ = [
    "ResponseCode",
    "EVSEProcessing",
    "FaultCode",
    "Notification",
    "CertificateChain",
    "X509IssuerSerial",
    "ListOfRootCertificateIDs",
    "ContractSignatureEncryptedPrivateKey",
    "DiffieHellmanPublickey",
    "EMAID",
]


class ResponseCode(enum.StrEnum):
    """responseCodeType (V2G_CI_MsgDataTypes.xsd): every literal, in schema order."""

    OK = "OK"
    OK_NewSessionEstablished = "OK_NewSessionEstablished"
    OK_OldSessionJoined = "OK_OldSessionJoined"
    OK_CertificateExpiresSoon = "OK_CertificateExpiresSoon"
    FAILED = "FAILED"
    FAILED_SequenceError = "FAILED_SequenceError"
    FAILED_ServiceIDInvalid = "FAILED_ServiceIDInvalid"
    FAILED_UnknownSession = "FAILED_UnknownSession"
    FAILED_ServiceSelectionInvalid = "FAILED_ServiceSelectionInvalid"
    FAILED_PaymentSelectionInvalid = "FAILED_PaymentSelectionInvalid"
    FAILED_CertificateExpired = "FAILED_CertificateExpired"
    FAILED_SignatureError = "FAILED_SignatureError"
    FAILED_NoCertificateAvailable = "FAILED_NoCertificateAvailable"
    FAILED_CertChainError = "FAILED_CertChainError"
    FAILED_ChallengeInvalid = "FAILED_ChallengeInvalid"
    FAILED_ContractCanceled = "FAILED_ContractCanceled"
    FAILED_WrongChargeParameter = "FAILED_WrongChargeParameter"
    FAILED_PowerDeliveryNotApplied = "FAILED_PowerDeliveryNotApplied"
    FAILED_TariffSelectionInvalid = "FAILED_TariffSelectionInvalid"
    FAILED_ChargingProfileInvalid = "FAILED_ChargingProfileInvalid"
    FAILED_MeteringSignatureNotValid = "FAILED_MeteringSignatureNotValid"
    FAILED_NoChargeServiceSelected = "FAILED_NoChargeServiceSelected"
    FAILED_WrongEnergyTransferMode = "FAILED_WrongEnergyTransferMode"
    FAILED_ContactorError = "FAILED_ContactorError"
    FAILED_CertificateNotAllowedAtThisEVSE = "FAILED_CertificateNotAllowedAtThisEVSE"
    FAILED_CertificateRevoked = "FAILED_CertificateRevoked"


class EVSEProcessing(enum.StrEnum):
    """EVSEProcessingType."""

    Finished = "Finished"
    Ongoing = "Ongoing"
    Ongoing_WaitingForCustomerInteraction = "Ongoing_WaitingForCustomerInteraction"


class FaultCode(enum.StrEnum):
    """faultCodeType (the literal ``NoTLSRootCertificatAvailable`` is misspelt in the schema itself)."""

    ParsingError = "ParsingError"
    NoTLSRootCertificatAvailable = "NoTLSRootCertificatAvailable"
    UnknownError = "UnknownError"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification(TreeModel):
    """NotificationType: FaultCode, FaultMsg? (faultMsgType, string <= 64)."""

    fault_code: FaultCode = xsd("FaultCode")
    fault_msg: str | None = xsd("FaultMsg", default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateChain(TreeModel):
    """CertificateChainType: @Id?, Certificate (DER <= 800 bytes), SubCertificates/Certificate{1..4}.

    ``sub_certificates`` lists Sub-CA 2 first, then Sub-CA 1; the root is never sent (pnc-facts §1).
    """

    id: str | None = xsd("Id", default=None)
    certificate: bytes = xsd("Certificate")
    sub_certificates: tuple[bytes, ...] = xsd("SubCertificates/Certificate", default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class X509IssuerSerial(TreeModel):
    """xmldsig X509IssuerSerialType (a RootCertificateID): issuer DN text and serial (xs:integer)."""

    issuer_name: str = xsd("X509IssuerName")
    serial_number: int = xsd("X509SerialNumber")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOfRootCertificateIDs(TreeModel):
    """ListOfRootCertificateIDsType: RootCertificateID{1..20} (the V2G/MO roots the EV trusts)."""

    root_certificate_ids: tuple[X509IssuerSerial, ...] = xsd("RootCertificateID")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractSignatureEncryptedPrivateKey(TreeModel):
    """ContractSignatureEncryptedPrivateKeyType: @Id + privateKeyType (IV || CT, 48 bytes)."""

    id: str = xsd("Id")
    value: bytes = xsd("value")


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffieHellmanPublickey(TreeModel):
    """DiffieHellmanPublickeyType: @Id + dHpublickeyType (65-byte uncompressed P-256 point)."""

    id: str = xsd("Id")
    value: bytes = xsd("value")


@dataclass(frozen=True, slots=True, kw_only=True)
class EMAID(TreeModel):
    """EMAIDType: @Id + eMAIDType (14-15 characters). The plain eMAIDType is a ``str`` field."""

    id: str = xsd("Id")
    value: str = xsd("value")
