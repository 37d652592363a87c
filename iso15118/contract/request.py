"""Reading a Get15118EVCertificate request: base64 text -> EXI -> the typed CertificateInstallationReq or
CertificateUpdateReq, and the certificate checks both need. Anything that cannot become an ISO 15118-2
response at all raises ``UnusableRequest``; checks the EV should hear about raise ``Refusal``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iso15118.contract.errors import Action, UnusableRequest
from iso15118.exi import ExiCodec, ExiError, Grammar
from iso15118.messages import (
    CertificateChain,
    CertificateInstallationReq,
    CertificateUpdateReq,
    MessageError,
    ResponseCode,
    V2GMessage,
)
from iso15118.xmldsig import XmlDsigError
from iso15118.xmldsig.signature import verify_message
from pki.errors import InvalidInput, PathInvalid
from pki.trust import load_der_certificate
from pki.validation import RevocationCheck, validate_path

__all__ = [
    "MAX_EXI_REQUEST_CHARS",
    "Refusal",
    "ParsedRequest",
    "decode_base64",
    "parse_request",
    "load_certificate",
    "common_name",
    "chain_certificates",
    "check_path",
    "check_revocation",
    "check_signature",
]

# OCPP 2.0.1 Get15118EVCertificateRequest.exiRequest maxLength (OCA JSON schema; reference ocpp.md §2.2).
MAX_EXI_REQUEST_CHARS = 5600


class Refusal(Exception):
    """A refusal the EV is told about: answered with an EXI response carrying ``code``."""

    def __init__(self, code: ResponseCode, message: str, *, emaid: str | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.emaid = emaid


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    action: Action
    message: V2GMessage
    tree: Mapping[str, Any]  # the decoded tree, for signature verification
    body: CertificateInstallationReq | CertificateUpdateReq

    @property
    def session_id(self) -> bytes:
        return self.message.header.session_id


def decode_base64(text: str, *, max_chars: int = MAX_EXI_REQUEST_CHARS) -> bytes:
    """The EXI bytes of an OCPP ``exiRequest`` (base64 of the V2G_Message without V2GTP header)."""
    if len(text) > max_chars:
        raise UnusableRequest(f"exiRequest has {len(text)} characters, at most {max_chars} are allowed "
                              "(OCPP 2.0.1 Get15118EVCertificateRequest)", reason="too_long")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise UnusableRequest("exiRequest is not base64", reason="not_base64") from None
    if not data:
        raise UnusableRequest("exiRequest is empty", reason="not_exi")
    return data


def parse_request(data: bytes, codec: ExiCodec, *, action: Action | None = None) -> ParsedRequest:
    """Decode the V2G_Message; it must carry a CertificateInstallationReq or CertificateUpdateReq (the OCPP
    ``action``, when given, must name the same one; the CCP API has no action and we detect it)."""
    try:
        tree = codec.decode(data, Grammar.ISO2)
    except ExiError as exc:
        raise UnusableRequest(f"exiRequest is not an ISO 15118-2 EXI V2G_Message: {exc}", reason="not_exi") from None
    body = tree.get("V2G_Message", {}).get("Body", {}) if isinstance(tree, Mapping) else {}
    names = list(body) if isinstance(body, Mapping) else []
    if names not in (["CertificateInstallationReq"], ["CertificateUpdateReq"]):
        raise UnusableRequest(
            f"the V2G_Message carries {', '.join(names) or 'no body element'}, not a CertificateInstallationReq "
            "or CertificateUpdateReq", reason="not_certificate_request")
    try:
        message = V2GMessage.from_tree(tree)
    except MessageError as exc:
        raise UnusableRequest(f"the request does not fit ISO 15118-2: {exc}",
                              reason="not_certificate_request") from None
    found = Action.INSTALL if isinstance(message.body, CertificateInstallationReq) else Action.UPDATE
    if action is not None and action is not found:
        raise UnusableRequest(f"action is {action.value} but the EXI request is a {names[0]}", reason="action_mismatch")
    assert isinstance(message.body, CertificateInstallationReq | CertificateUpdateReq)
    return ParsedRequest(found, message, tree, message.body)


def load_certificate(der: bytes, what: str) -> x509.Certificate:
    """A certificate the EV sent, parsed completely (``pki.trust.load_der_certificate``)."""
    try:
        return load_der_certificate(der)
    except InvalidInput as exc:
        raise Refusal(ResponseCode.FAILED_CertChainError, f"{what}: {exc.message}") from None


def common_name(cert: x509.Certificate) -> str:
    found = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = found[0].value if found else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def chain_certificates(chain: CertificateChain, what: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    leaf = load_certificate(chain.certificate, what)
    return leaf, [load_certificate(der, f"{what} sub-CA") for der in chain.sub_certificates]


def check_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    *,
    at: datetime,
    what: str,
    leaf_dc: str | None = None,
) -> list[x509.Certificate]:
    """Validate ``leaf`` to a trusted root (ISO 15118-2 path rules, ``pki.validation``); an expired or not yet
    valid leaf is FAILED_CertificateExpired, any other problem FAILED_CertChainError. Returns the path.

    The leaf's key is the ECDH peer the contract key is encrypted for ([V2G2-818]), so besides
    digitalSignature it must allow keyAgreement (RFC 5280 §4.2.1.3; pnc-facts §1)."""
    if not leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc:
        raise Refusal(ResponseCode.FAILED_CertificateExpired, f"{what} is valid from "
                      f"{leaf.not_valid_before_utc:%Y-%m-%d} to {leaf.not_valid_after_utc:%Y-%m-%d}")
    try:
        path = validate_path(leaf, intermediates, anchors, at=at, leaf_dc=leaf_dc,
                             leaf_key_usage=("digital_signature", "key_agreement"))
    except PathInvalid as exc:
        raise Refusal(ResponseCode.FAILED_CertChainError, f"{what}: {exc.message}") from None
    return list(path.certificates)


def check_revocation(path: Sequence[x509.Certificate], revocation: RevocationCheck | None, what: str) -> None:
    if revocation is None:
        return
    for cert, issuer in zip(path, path[1:], strict=False):
        reason = revocation(cert, issuer)
        if reason is not None:
            raise Refusal(ResponseCode.FAILED_CertificateRevoked, f"{what} {common_name(cert)!r} is {reason}")


def check_signature(request: ParsedRequest, signer: x509.Certificate, codec: ExiCodec, what: str) -> None:
    """The header Signature must cover the request body element and verify with ``signer``'s key."""
    if request.message.header.signature is None:
        raise Refusal(ResponseCode.FAILED_SignatureError, "the request carries no header Signature")
    key = signer.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refusal(ResponseCode.FAILED_SignatureError, f"{what} has no EC key")
    try:
        verify_message(request.tree, key, required=(type(request.body).ELEMENT or "",), codec=codec)
    except XmlDsigError as exc:
        raise Refusal(ResponseCode.FAILED_SignatureError, f"signature by the {what}: {exc.message}") from None
