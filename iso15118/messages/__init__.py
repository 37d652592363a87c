"""Typed ISO 15118-2 messages: frozen dataclasses <-> the EXI codec's JSON-convention trees.

``to_tree()`` / ``from_tree()`` on every type; the codec stays generic (``iso15118.exi``). Byte fields are
``bytes`` here and base64/hex text in trees. ``from_tree`` raises ``MessageError`` with the path.
"""

from __future__ import annotations

from iso15118.messages._tree import MessageError, TreeModel
from iso15118.messages.app_protocol import (
    AppProtocol,
    AppProtocolResponseCode,
    SupportedAppProtocolReq,
    SupportedAppProtocolRes,
)
from iso15118.messages.body import (
    AuthorizationReq,
    AuthorizationRes,
    BodyMessage,
    CertificateInstallationReq,
    CertificateInstallationRes,
    CertificateUpdateReq,
    CertificateUpdateRes,
    PaymentDetailsReq,
    PaymentDetailsRes,
    SessionSetupReq,
    SessionSetupRes,
)
from iso15118.messages.types import (
    EMAID,
    CertificateChain,
    ContractSignatureEncryptedPrivateKey,
    DiffieHellmanPublickey,
    EVSEProcessing,
    FaultCode,
    ListOfRootCertificateIDs,
    Notification,
    ResponseCode,
    X509IssuerSerial,
)
from iso15118.messages.v2g import MessageHeader, V2GMessage

__all__ = [
    "MessageError",
    "TreeModel",
    "V2GMessage",
    "MessageHeader",
    "BodyMessage",
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
    "SupportedAppProtocolReq",
    "SupportedAppProtocolRes",
    "AppProtocol",
    "AppProtocolResponseCode",
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
