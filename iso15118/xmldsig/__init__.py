"""XMLDSig over EXI as ISO 15118-2 uses it (pnc-facts §2; ISO 15118-2:2014 Annex J.4, [V2G2-771]).

Public API: ``sign`` / ``verify`` / ``verify_message`` (need the EXI codec), ``elements_by_id`` to find
referenced elements in a decoded message body, the raw ``r || s`` <-> DER helpers, and the error tree
rooted at ``XmlDsigError``.
"""

from __future__ import annotations

from iso15118.xmldsig.ecdsa import RAW_SIGNATURE_LENGTH, der_to_raw, raw_to_der, sign_raw, verify_raw
from iso15118.xmldsig.errors import (
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    MissingReference,
    UnsignedElement,
    UnsupportedAlgorithm,
    XmlDsigError,
)
from iso15118.xmldsig.locate import elements_by_id, message_parts
from iso15118.xmldsig.signature import VerifiedReference, digest, sign, signed_info_bytes, verify, verify_message
from iso15118.xmldsig.signed_info import (
    CANONICAL_EXI,
    ECDSA_SHA256,
    SHA256,
    Reference,
    build_signed_info,
    read_signed_info,
)

__all__ = [
    "sign",
    "verify",
    "verify_message",
    "VerifiedReference",
    "digest",
    "signed_info_bytes",
    "CANONICAL_EXI",
    "ECDSA_SHA256",
    "SHA256",
    "RAW_SIGNATURE_LENGTH",
    "Reference",
    "XmlDsigError",
    "MalformedSignature",
    "UnsupportedAlgorithm",
    "MissingReference",
    "UnsignedElement",
    "DigestMismatch",
    "BadSignature",
    "build_signed_info",
    "read_signed_info",
    "der_to_raw",
    "raw_to_der",
    "sign_raw",
    "verify_raw",
    "elements_by_id",
    "message_parts",
]
