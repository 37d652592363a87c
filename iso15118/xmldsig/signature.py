"""Create and verify ISO 15118-2 XMLDSig signatures over EXI (ISO 15118-2:2014 Annex J.4, [V2G2-771]).

1. Each referenced element is EXI-encoded as a fragment with the ISO-2 MsgDef grammar; its DigestValue
   is SHA-256 of those bytes.
2. SignedInfo (canonical-exi, ecdsa-sha256, one Reference ``#Id`` per element) is EXI-encoded as a
   fragment with the xmldsig-core schema alone; the SignatureValue is ECDSA P-256/SHA-256 over exactly
   those bytes (not pre-hashed), sent as raw ``r || s``.

The codec is a parameter (``codec=None`` means ``iso15118.exi.default_codec()``); codec failures on the
trees handed in are reported as ``MalformedSignature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from iso15118.exi import ExiCodec, ExiError, Grammar, default_codec
from iso15118.xmldsig.ecdsa import RAW_SIGNATURE_LENGTH, sign_raw, verify_raw
from iso15118.xmldsig.errors import DigestMismatch, MalformedSignature, MissingReference, UnsignedElement
from iso15118.xmldsig.locate import elements_by_id, message_parts
from iso15118.xmldsig.signed_info import b64decode_strict, build_signed_info, read_signed_info

__all__ = [
    "VerifiedReference",
    "digest",
    "signed_info_bytes",
    "sign",
    "verify",
    "verify_message",
]


@dataclass(frozen=True, slots=True)
class VerifiedReference:
    """A reference whose digest matched: ``uri`` (``#id1``), ``id``, and the signed element's name."""

    uri: str
    id: str
    element: str


def _single_root(tree: Mapping[str, Any], what: str) -> tuple[str, Mapping[str, Any]]:
    if len(tree) != 1:
        raise MalformedSignature(f"{what} must be a fragment tree with exactly one root element")
    ((name, content),) = tree.items()
    if not isinstance(content, Mapping):
        raise MalformedSignature(f"{what} <{name}> has no attributes, so it cannot carry an Id")
    return name, content


def _encode(codec: ExiCodec, tree: Mapping[str, Any], grammar: Grammar, what: str) -> bytes:
    try:
        return codec.encode(tree, grammar)
    except ExiError as exc:
        raise MalformedSignature(f"{what} cannot be EXI-encoded: {exc}") from exc


def digest(element: Mapping[str, Any], *, codec: ExiCodec | None = None) -> bytes:
    """SHA-256 of the ISO-2 EXI fragment encoding of ``{ElementName: content}`` (the DigestValue)."""
    codec = codec if codec is not None else default_codec()
    name, _ = _single_root(element, "referenced element")
    return hashlib.sha256(_encode(codec, element, Grammar.ISO2_FRAGMENT, f"<{name}>")).digest()


def signed_info_bytes(signed_info: Mapping[str, Any], *, codec: ExiCodec | None = None) -> bytes:
    """The xmldsig-core EXI fragment of ``SignedInfo`` content: the bytes the SignatureValue covers."""
    codec = codec if codec is not None else default_codec()
    return _encode(codec, {"SignedInfo": signed_info}, Grammar.XMLDSIG_FRAGMENT, "SignedInfo")


def sign(
    elements: Mapping[str, Mapping[str, Any]],
    key: ec.EllipticCurvePrivateKey,
    *,
    codec: ExiCodec | None = None,
) -> dict[str, Any]:
    """Sign ``{Id: {ElementName: content}}`` with ``key``; return the content of ``Header/Signature``.

    References appear in the order of ``elements``. Each content must carry ``"Id"`` equal to its key.
    """
    codec = codec if codec is not None else default_codec()
    references: list[tuple[str, bytes]] = []
    for element_id, element in elements.items():
        name, content = _single_root(element, f"element {element_id!r}")
        if content.get("Id") != element_id:
            raise MalformedSignature(f"<{name}> is listed as {element_id!r} but its Id is {content.get('Id')!r}")
        references.append((element_id, digest(element, codec=codec)))
    signed_info = build_signed_info(references)
    value = sign_raw(signed_info_bytes(signed_info, codec=codec), key)
    return {"SignedInfo": signed_info, "SignatureValue": {"value": base64.b64encode(value).decode("ascii")}}


def _signature_value(signature: Mapping[str, Any]) -> bytes:
    value = signature.get("SignatureValue")
    # SignatureValueType is base64Binary with an optional Id: {"value": ...}; accept bare text as well.
    if isinstance(value, Mapping):
        value = value.get("value")
    return b64decode_strict(value, "Signature/SignatureValue")


def verify(
    signature: Mapping[str, Any],
    elements: Mapping[str, Mapping[str, Any]],
    public_key: ec.EllipticCurvePublicKey,
    *,
    codec: ExiCodec | None = None,
) -> tuple[VerifiedReference, ...]:
    """Verify ``Header/Signature`` content against ``{Id: {ElementName: content}}`` and ``public_key``.

    Checks the algorithms, every Reference's digest, then the SignatureValue; returns the references in
    SignedInfo order. Raises an ``XmlDsigError`` subclass naming what failed.
    """
    codec = codec if codec is not None else default_codec()
    if not isinstance(signature, Mapping):
        raise MalformedSignature("Signature is not an element")
    signed_info = signature.get("SignedInfo")
    if not isinstance(signed_info, Mapping):
        raise MalformedSignature("Signature has no SignedInfo")
    references = read_signed_info(signed_info)
    raw_value = _signature_value(signature)
    if len(raw_value) != RAW_SIGNATURE_LENGTH:
        raise MalformedSignature(
            f"SignatureValue must be {RAW_SIGNATURE_LENGTH} bytes (raw r||s for P-256), got {len(raw_value)}"
        )
    verified: list[VerifiedReference] = []
    for ref in references:
        element = elements.get(ref.id)
        if element is None:
            raise MissingReference(f"Reference {ref.uri} names no element with that Id in the message", ref.uri)
        name, _ = _single_root(element, f"element {ref.id!r}")
        if not hmac.compare_digest(digest(element, codec=codec), ref.digest):
            raise DigestMismatch(f"digest of <{name}> ({ref.uri}) does not match its DigestValue", ref.uri)
        verified.append(VerifiedReference(uri=ref.uri, id=ref.id, element=name))
    verify_raw(signed_info_bytes(signed_info, codec=codec), raw_value, public_key)
    return tuple(verified)


def verify_message(
    message: Mapping[str, Any],
    public_key: ec.EllipticCurvePublicKey,
    *,
    required: Iterable[str] = (),
    codec: ExiCodec | None = None,
) -> tuple[VerifiedReference, ...]:
    """Verify the header Signature of a decoded V2G_Message over elements of its Body.

    ``required`` names body elements that must be among the signed references (e.g.
    ``("CertificateInstallationReq",)``): a valid signature over something else is not enough.
    """
    signature, body = message_parts(message)
    if signature is None:
        raise MalformedSignature("the message header carries no Signature")
    verified = verify(signature, elements_by_id(body), public_key, codec=codec)
    signed = {ref.element for ref in verified}
    for element in required:
        if element not in signed:
            raise UnsignedElement(f"<{element}> is not covered by the header Signature", element)
    return verified
