"""ISO 15118-2:2013 body messages the project uses (V2G_CI_MsgBody.xsd), in schema field order.

``to_tree()`` of each gives ``{ElementName: content}``: the ``Body`` content of a V2G_Message, and also the
fragment tree that is digested when the element is signed (CertificateInstallationReq, AuthorizationReq).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from iso15118.messages._tree import MessageError, TreeModel, xsd
from iso15118.messages.types import (
    EMAID,
    CertificateChain,
    ContractSignatureEncryptedPrivateKey,
    DiffieHellmanPublickey,
    EVSEProcessing,
    ListOfRootCertificateIDs,
    ResponseCode,
)

__all__ = [
    "SessionSetupReq",
    "SessionSetupRes",
    "PaymentDetailsReq",
    "PaymentDetailsRes",
    "AuthorizationReq",
    "AuthorizationRes",
    "CertificateInstallationReq",
    "CertificateInstallationRes",
    "CertificateUpdateReq",
    "CertificateUpdateRes",
    "BodyMessage",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSetupReq(TreeModel):
    ELEMENT: ClassVar[str] = "SessionSetupReq"
    evcc_id: bytes = xsd("EVCCID", hex=True)  # evccIDType: hexBinary <= 6 (the EV's MAC)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSetupRes(TreeModel):
    ELEMENT: ClassVar[str] = "SessionSetupRes"
    response_code: ResponseCode = xsd("ResponseCode")
    evse_id: str = xsd("EVSEID")
    evse_timestamp: int | None = xsd("EVSETimeStamp", default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentDetailsReq(TreeModel):
    ELEMENT: ClassVar[str] = "PaymentDetailsReq"
    emaid: str = xsd("eMAID")  # eMAIDType, without Id
    contract_signature_cert_chain: CertificateChain = xsd("ContractSignatureCertChain")


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentDetailsRes(TreeModel):
    ELEMENT: ClassVar[str] = "PaymentDetailsRes"
    response_code: ResponseCode = xsd("ResponseCode")
    gen_challenge: bytes = xsd("GenChallenge")  # 16 bytes, >= 120 bits entropy [V2G2-826]
    evse_timestamp: int = xsd("EVSETimeStamp")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationReq(TreeModel):
    """Signed by the contract key in PnC ([V2G2-475]: GenChallenge echoes PaymentDetailsRes)."""

    ELEMENT: ClassVar[str] = "AuthorizationReq"
    id: str | None = xsd("Id", default=None)
    gen_challenge: bytes | None = xsd("GenChallenge", default=None)

    def signed_elements(self) -> dict[str, dict[str, Any]]:
        """``{Id: fragment tree}`` to hand to ``iso15118.xmldsig.sign`` (the contract key signs it)."""
        if self.id is None:
            raise MessageError("AuthorizationReq/Id", "missing; a signed AuthorizationReq needs an Id")
        return {self.id: self.to_tree()}


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationRes(TreeModel):
    ELEMENT: ClassVar[str] = "AuthorizationRes"
    response_code: ResponseCode = xsd("ResponseCode")
    evse_processing: EVSEProcessing = xsd("EVSEProcessing")


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateInstallationReq(TreeModel):
    """Signed by the OEM provisioning key; the signature references this element by ``id``."""

    ELEMENT: ClassVar[str] = "CertificateInstallationReq"
    id: str = xsd("Id")
    oem_provisioning_cert: bytes = xsd("OEMProvisioningCert")
    list_of_root_certificate_ids: ListOfRootCertificateIDs = xsd("ListOfRootCertificateIDs")

    def signed_elements(self) -> dict[str, dict[str, Any]]:
        """``{Id: fragment tree}`` to hand to ``iso15118.xmldsig.sign`` (the OEM provisioning key signs it)."""
        return {self.id: self.to_tree()}


# [V2G2-771]/pnc-facts §2: the CPS leaf signs these four elements of a response, each referenced by its Id.
_RESPONSE_SIGNED_FIELDS = (
    "contract_signature_cert_chain",
    "contract_signature_encrypted_private_key",
    "dh_public_key",
    "emaid",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _CertificateResponse(TreeModel):
    """The content CertificateInstallationRes and CertificateUpdateRes share, in schema order. Signed by the CPS
    leaf over ContractSignatureCertChain, the encrypted key, DHpublickey and eMAID."""

    response_code: ResponseCode = xsd("ResponseCode")
    sa_provisioning_certificate_chain: CertificateChain = xsd("SAProvisioningCertificateChain")
    contract_signature_cert_chain: CertificateChain = xsd("ContractSignatureCertChain")
    contract_signature_encrypted_private_key: ContractSignatureEncryptedPrivateKey = xsd(
        "ContractSignatureEncryptedPrivateKey"
    )
    dh_public_key: DiffieHellmanPublickey = xsd("DHpublickey")
    emaid: EMAID = xsd("eMAID")

    def signed_elements(self) -> dict[str, dict[str, Any]]:
        """The four ``{Id: fragment tree}`` the CPS leaf signs, in schema order (chain, key, DH, eMAID)."""
        signed: dict[str, dict[str, Any]] = {}
        for attr in _RESPONSE_SIGNED_FIELDS:
            element = self.element(attr)
            ((name, content),) = element.items()
            element_id = content.get("Id")
            if not isinstance(element_id, str):
                raise MessageError(f"{self.ELEMENT}/{name}/Id", "missing; a signed element needs an Id")
            if element_id in signed:
                raise MessageError(f"{self.ELEMENT}/{name}/Id", f"{element_id!r} is used twice")
            signed[element_id] = element
        return signed


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateInstallationRes(_CertificateResponse):
    ELEMENT: ClassVar[str] = "CertificateInstallationRes"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateUpdateReq(TreeModel):
    """Signed by the old contract key."""

    ELEMENT: ClassVar[str] = "CertificateUpdateReq"
    id: str = xsd("Id")
    contract_signature_cert_chain: CertificateChain = xsd("ContractSignatureCertChain")
    emaid: str = xsd("eMAID")  # eMAIDType, without Id
    list_of_root_certificate_ids: ListOfRootCertificateIDs = xsd("ListOfRootCertificateIDs")

    def signed_elements(self) -> dict[str, dict[str, Any]]:
        """``{Id: fragment tree}`` to hand to ``iso15118.xmldsig.sign`` (the old contract key signs it)."""
        return {self.id: self.to_tree()}


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateUpdateRes(_CertificateResponse):
    ELEMENT: ClassVar[str] = "CertificateUpdateRes"
    retry_counter: int | None = xsd("RetryCounter", default=None)  # xs:short, after eMAID


BodyMessage = (
    SessionSetupReq
    | SessionSetupRes
    | PaymentDetailsReq
    | PaymentDetailsRes
    | AuthorizationReq
    | AuthorizationRes
    | CertificateInstallationReq
    | CertificateInstallationRes
    | CertificateUpdateReq
    | CertificateUpdateRes
)
