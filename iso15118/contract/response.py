"""Building the CertificateInstallationRes / CertificateUpdateRes: signed, encoded and self-checked.

Positive response (ISO 15118-2 V2G_CI_MsgBody.xsd; pnc-facts §2): SAProvisioningCertificateChain = CPS leaf
+ its sub-CAs (not signed); ContractSignatureCertChain (Id id1) = contract certificate + MO sub-CAs, Sub-CA 2
first, no root; ContractSignatureEncryptedPrivateKey (id2) = IV || CT; DHpublickey (id3); eMAID (id4). The
CPS leaf signs the four elements with Id; the header carries the request's SessionID (the response goes to
the EV verbatim, reference iso15118.md §2.5).

Before answering, ``self_check`` decodes our own bytes and checks what the EV will check ([V2G2-823]):
the signature verifies with the CPS leaf over the four references, the SessionID and eMAID are right, and the
encrypted key decrypts to the contract certificate's key. We hold the ephemeral key ``e`` and the
recipient's public key ``Q``; ECDH is symmetric (ECDH(e, Q) = ECDH(q, E)), so decrypting with ``e`` as
"recipient" and ``Q`` as "DH public key" runs the EV's exact computation.

Negative response: the schema makes every element mandatory, so a FAILED_* response carries 1-byte
placeholders (as Hubject's CCP does) and no Signature; the EV stops at the ResponseCode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from iso15118.contract.cps import SigningIdentity
from iso15118.contract.errors import Action, SelfCheckFailed
from iso15118.exi import ExiCodec, ExiError, Grammar
from iso15118.keywrap import KeyWrapError, decrypt_private_key, encrypt_private_key
from iso15118.messages import (
    EMAID,
    CertificateChain,
    CertificateInstallationRes,
    CertificateUpdateRes,
    ContractSignatureEncryptedPrivateKey,
    DiffieHellmanPublickey,
    MessageError,
    MessageHeader,
    ResponseCode,
    V2GMessage,
)
from iso15118.xmldsig import XmlDsigError, elements_by_id, message_parts, verify_raw
from iso15118.xmldsig.signature import sign, signed_info_bytes, verify_message
from iso15118.xmldsig.signed_info import b64decode_strict

__all__ = ["ContractMaterial", "build_response", "negative_response", "PLACEHOLDER_EMAID", "SIGNED_ELEMENTS"]

SIGNED_ELEMENTS = ("ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID")
PLACEHOLDER_EMAID = "00000000000000"  # eMAIDType minLength 14, for FAILED_* responses without a contract
_PLACEHOLDER = b"\x00"
_IDS = ("id1", "id2", "id3", "id4")  # the convention of SwitchEV, RISE-V2G and EVerest peers


@dataclass(frozen=True, slots=True)
class ContractMaterial:
    """What goes to the EV: the issued contract certificate, its MO sub-CAs (Sub-CA 2 first) and key."""

    emaid: str
    certificate: x509.Certificate
    sub_cas: tuple[x509.Certificate, ...]
    private_key: ec.EllipticCurvePrivateKey


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _body(action: Action, **fields: object) -> CertificateInstallationRes | CertificateUpdateRes:
    cls = CertificateInstallationRes if action is Action.INSTALL else CertificateUpdateRes
    return cls(**fields)  # type: ignore[arg-type]


def _encode(codec: ExiCodec, message: V2GMessage) -> bytes:
    try:
        return codec.encode(message.to_tree(), Grammar.ISO2)
    except ExiError as exc:  # e.g. a certificate over 800 bytes from a misconfigured CA
        raise SelfCheckFailed(f"the response cannot be EXI-encoded: {exc}", reason="encode_failed") from None


def build_response(
    action: Action,
    session_id: bytes,
    identity: SigningIdentity,
    contract: ContractMaterial,
    recipient: ec.EllipticCurvePublicKey,
    codec: ExiCodec,
) -> bytes:
    """The signed, encoded and self-checked positive response."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    encrypted, dh_public = encrypt_private_key(contract.private_key, recipient, ephemeral=ephemeral)
    body = _body(
        action,
        response_code=ResponseCode.OK,
        sa_provisioning_certificate_chain=CertificateChain(
            certificate=_der(identity.certificate), sub_certificates=tuple(_der(c) for c in identity.sub_cas)),
        contract_signature_cert_chain=CertificateChain(
            id=_IDS[0], certificate=_der(contract.certificate),
            sub_certificates=tuple(_der(c) for c in contract.sub_cas)),
        contract_signature_encrypted_private_key=ContractSignatureEncryptedPrivateKey(id=_IDS[1], value=encrypted),
        dh_public_key=DiffieHellmanPublickey(id=_IDS[2], value=dh_public),
        emaid=EMAID(id=_IDS[3], value=contract.emaid),
    )
    try:
        signature = sign(body.signed_elements(), identity.key, codec=codec)
    except (XmlDsigError, MessageError) as exc:
        raise SelfCheckFailed(f"signing the response failed: {exc}", reason="sign_failed") from None
    exi = _encode(codec, V2GMessage(header=MessageHeader(session_id=session_id, signature=signature), body=body))
    self_check(exi, session_id, identity, contract, recipient, ephemeral, codec,
               signed=body.signed_elements(), signature=signature)
    return exi


def self_check(
    exi: bytes,
    session_id: bytes,
    identity: SigningIdentity,
    contract: ContractMaterial,
    recipient: ec.EllipticCurvePublicKey,
    ephemeral: ec.EllipticCurvePrivateKey,
    codec: ExiCodec,
    *,
    signed: Mapping[str, Mapping[str, Any]] | None = None,
    signature: Mapping[str, Any] | None = None,
) -> None:
    """Check ``exi`` as the EV will. With ``signed``/``signature`` (what ``sign`` was given and returned) the
    decoded elements and SignedInfo are compared to those trees, whose digests ``sign`` computed, and only the
    SignatureValue is verified again (the codec is deterministic: equal trees encode to equal bytes);
    without them every digest is recomputed from the decoded message."""
    key = identity.certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SelfCheckFailed("the CPS leaf has no EC key")
    try:
        tree = codec.decode(exi, Grammar.ISO2)
        message = V2GMessage.from_tree(tree)
        if signed is None or signature is None:
            verify_message(tree, key, required=SIGNED_ELEMENTS, codec=codec)
        else:
            decoded_signature, decoded_body = message_parts(tree)
            if decoded_signature != signature:
                raise SelfCheckFailed("the Signature does not decode to what was signed")
            found = elements_by_id(decoded_body)
            if {i: found.get(i) for i in signed} != signed or {next(iter(e)) for e in signed.values()} != set(
                    SIGNED_ELEMENTS):
                raise SelfCheckFailed("the signed elements do not decode to what was signed")
            raw = b64decode_strict(signature["SignatureValue"]["value"], "SignatureValue")
            verify_raw(signed_info_bytes(signature["SignedInfo"], codec=codec), raw, key)
    except (ExiError, MessageError, XmlDsigError) as exc:
        raise SelfCheckFailed(f"our response does not decode and verify: {exc}") from None
    body = message.body
    if not isinstance(body, CertificateInstallationRes | CertificateUpdateRes):
        raise SelfCheckFailed("our response decodes to another message")
    if message.header.session_id != session_id:
        raise SelfCheckFailed("SessionID of the response differs from the request's")
    issued_der = _der(contract.certificate)
    if body.emaid.value != contract.emaid or body.contract_signature_cert_chain.certificate != issued_der:
        raise SelfCheckFailed("eMAID or contract certificate in the response differ from the issued ones")
    q = recipient.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    try:
        decrypt_private_key(body.contract_signature_encrypted_private_key.value, q, ephemeral,
                            expected_public=contract.certificate.public_key())  # type: ignore[arg-type]
    except KeyWrapError as exc:
        raise SelfCheckFailed(f"the encrypted contract key does not decrypt to the certificate's key: {exc}") from None
    e_public = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
    if body.dh_public_key.value != e_public:
        raise SelfCheckFailed("DHpublickey is not the ephemeral key used for the encryption")


def negative_response(
    action: Action, session_id: bytes, code: ResponseCode, codec: ExiCodec, *, emaid: str | None = None
) -> bytes:
    """A FAILED_* response for the EV (placeholders, unsigned)."""
    body = _body(
        action,
        response_code=code,
        sa_provisioning_certificate_chain=CertificateChain(certificate=_PLACEHOLDER),
        contract_signature_cert_chain=CertificateChain(id=_IDS[0], certificate=_PLACEHOLDER),
        contract_signature_encrypted_private_key=ContractSignatureEncryptedPrivateKey(id=_IDS[1], value=_PLACEHOLDER),
        dh_public_key=DiffieHellmanPublickey(id=_IDS[2], value=_PLACEHOLDER),
        emaid=EMAID(id=_IDS[3], value=emaid if emaid and 14 <= len(emaid) <= 15 else PLACEHOLDER_EMAID),
    )
    return _encode(codec, V2GMessage(header=MessageHeader(session_id=session_id), body=body))
