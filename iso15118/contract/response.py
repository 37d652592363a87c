"""Building the CertificateInstallationRes / CertificateUpdateRes: signed, encoded and self-checked.

Positive response (ISO 15118-2 V2G_CI_MsgBody.xsd; pnc-facts §2): SAProvisioningCertificateChain = CPS leaf
+ its sub-CAs (not signed); ContractSignatureCertChain (Id id1) = contract certificate + MO sub-CAs, Sub-CA 2
first, no root; ContractSignatureEncryptedPrivateKey (id2) = IV || CT; DHpublickey (id3); eMAID (id4). The
CPS leaf signs the four elements with Id; the header carries the request's SessionID (the response goes to
the EV verbatim, reference iso15118.md §2.5).

Before answering, ``self_check`` checks what the EV will check ([V2G2-818..823]) that is not already true by
construction: our bytes decode to the message that was signed, the signature verifies with the CPS leaf
certificate's key, and the encrypted key decrypts to the contract certificate's key.

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
from iso15118.xmldsig import XmlDsigError, verify_raw
from iso15118.xmldsig.signature import sign, signed_info_bytes
from iso15118.xmldsig.signed_info import b64decode_strict

__all__ = ["ContractMaterial", "build_response", "self_check", "negative_response", "PLACEHOLDER_EMAID"]

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


def _encode(codec: ExiCodec, tree: Mapping[str, Any]) -> bytes:
    try:
        return codec.encode(tree, Grammar.ISO2)
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
    message = V2GMessage(header=MessageHeader(session_id=session_id, signature=signature), body=body)
    tree = message.to_tree()
    exi = _encode(codec, tree)
    self_check(exi, tree, message, identity, contract, recipient, ephemeral, codec)
    return exi


def self_check(
    exi: bytes,
    tree: Mapping[str, Any],
    message: V2GMessage,
    identity: SigningIdentity,
    contract: ContractMaterial,
    recipient: ec.EllipticCurvePublicKey,
    ephemeral: ec.EllipticCurvePrivateKey,
    codec: ExiCodec,
) -> None:
    """Check what the EV will check ([V2G2-818..823]) that is not already true by construction. ``tree`` is
    ``message.to_tree()``, what was encoded into ``exi``.

    1. ``exi`` decodes to exactly ``tree``, the message whose four elements ``sign`` digested: the codec is
       deterministic, so the EV computes the same digests, and SessionID, eMAID and chains arrive unchanged;
    2. the SignatureValue verifies over the SignedInfo with the CPS leaf *certificate's* key (a signer whose
       key is not its certificate's is caught here);
    3. the encrypted key decrypts, by the EV's computation under the DHpublickey sent, to the key of the
       contract certificate sent.
    """
    key = identity.certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SelfCheckFailed("the CPS leaf has no EC key")
    try:
        if codec.decode(exi, Grammar.ISO2) != tree:
            raise SelfCheckFailed("the response does not decode to the message that was signed")
        signature = message.header.signature
        if signature is None:
            raise SelfCheckFailed("the response carries no Signature")
        raw = b64decode_strict(signature["SignatureValue"]["value"], "SignatureValue")
        verify_raw(signed_info_bytes(signature["SignedInfo"], codec=codec), raw, key)
    except (ExiError, XmlDsigError) as exc:
        raise SelfCheckFailed(f"our response does not decode and verify: {exc}") from None
    body = message.body
    assert isinstance(body, CertificateInstallationRes | CertificateUpdateRes)
    e_public = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
    if body.dh_public_key.value != e_public:
        raise SelfCheckFailed("DHpublickey is not the ephemeral key used for the encryption")
    # ECDH is symmetric (ECDH(e, Q) = ECDH(q, E)): decrypting with e as "recipient" and Q as "DH public key"
    # runs the EV's exact computation.
    q = recipient.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    try:
        decrypt_private_key(body.contract_signature_encrypted_private_key.value, q, ephemeral,
                            expected_public=contract.certificate.public_key())  # type: ignore[arg-type]
    except KeyWrapError as exc:
        raise SelfCheckFailed(f"the encrypted contract key does not decrypt to the certificate's key: {exc}") from None


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
    return _encode(codec, V2GMessage(header=MessageHeader(session_id=session_id), body=body).to_tree())
