"""The one error type of ``iso15118.xmldsig``: ``XmlDsigError`` and its reasons.

    XmlDsigError             base; ``reason`` is a stable machine-readable word, ``str(err)`` says what failed
    ├── MalformedSignature   the Signature/SignedInfo tree is not usable (missing parts, bad base64, wrong
    │                        lengths, duplicate Ids, EXI re-encoding failed)
    ├── UnsupportedAlgorithm an Algorithm URI other than the ones ISO 15118-2 allows ([V2G2-771]); ``uri``
    ├── MissingReference     a Reference URI names no element of the message; ``uri``
    ├── UnsignedElement      an element the caller requires to be signed is not referenced; ``element``
    ├── DigestMismatch       a referenced element does not hash to its DigestValue; ``uri``
    └── BadSignature         the SignatureValue does not verify over the SignedInfo with the given key

An adapter (the contract service) maps these to ISO 15118-2 ResponseCodes (e.g. FAILED_SignatureError)
once, at its edge.
"""

from __future__ import annotations

__all__ = [
    "XmlDsigError",
    "MalformedSignature",
    "UnsupportedAlgorithm",
    "MissingReference",
    "UnsignedElement",
    "DigestMismatch",
    "BadSignature",
]


class XmlDsigError(Exception):
    """Base of all XMLDSig-over-EXI errors."""

    reason = "xmldsig_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedSignature(XmlDsigError):
    reason = "malformed_signature"


class UnsupportedAlgorithm(XmlDsigError):
    reason = "unsupported_algorithm"

    def __init__(self, message: str, uri: str) -> None:
        super().__init__(message)
        self.uri = uri


class MissingReference(XmlDsigError):
    reason = "missing_reference"

    def __init__(self, message: str, uri: str) -> None:
        super().__init__(message)
        self.uri = uri


class UnsignedElement(XmlDsigError):
    reason = "unsigned_element"

    def __init__(self, message: str, element: str) -> None:
        super().__init__(message)
        self.element = element


class DigestMismatch(XmlDsigError):
    reason = "digest_mismatch"

    def __init__(self, message: str, uri: str) -> None:
        super().__init__(message)
        self.uri = uri


class BadSignature(XmlDsigError):
    reason = "bad_signature"
