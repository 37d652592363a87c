"""The SignedInfo tree of ISO 15118-2 (codec-free part): build it, and read it back with checks.

Trees follow the codec's JSON convention (attributes as plain keys, repeated elements as lists,
base64Binary as base64 text), e.g. the RISE-V2G vector::

    {"CanonicalizationMethod": {"Algorithm": "http://www.w3.org/TR/canonical-exi/"},
     "SignatureMethod": {"Algorithm": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
     "Reference": [{"URI": "#id2",
                    "Transforms": {"Transform": [{"Algorithm": "http://www.w3.org/TR/canonical-exi/"}]},
                    "DigestMethod": {"Algorithm": "http://www.w3.org/2001/04/xmlenc#sha256"},
                    "DigestValue": "Xw7t..."}, ...]}

[V2G2-771] forbids Id on SignedInfo, HMACOutputLength, Type on Reference, XPath in Transform, and any
algorithm but these; ``read_signed_info`` refuses other algorithms and reports which URI.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iso15118.xmldsig.errors import MalformedSignature, UnsupportedAlgorithm

__all__ = [
    "CANONICAL_EXI",
    "ECDSA_SHA256",
    "SHA256",
    "Reference",
    "build_signed_info",
    "read_signed_info",
    "b64decode_strict",
]

#: Canonical EXI (W3C), used as CanonicalizationMethod and as the one Transform of every Reference.
CANONICAL_EXI = "http://www.w3.org/TR/canonical-exi/"
#: RFC 4051 §2.3.6 ECDSA with SHA-256.
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#: XML Encryption §5.7.2 SHA-256.
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

# Deployed stacks also write the canonical-exi URI without the trailing slash (FlUxIuS/V2Gdecoder vector);
# the received SignedInfo is re-encoded as is, so accepting both spellings changes no signed bytes.
_CANONICAL_EXI_SPELLINGS = frozenset({CANONICAL_EXI, CANONICAL_EXI.rstrip("/")})
_DIGEST_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Reference:
    """One checked ``Reference``: ``uri`` as sent (``#id1``), ``id`` without the ``#``, the raw digest."""

    uri: str
    id: str
    digest: bytes


def build_signed_info(references: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    """SignedInfo content for ``(Id, SHA-256 digest)`` pairs, in the given order (the order is signed)."""
    if not references:
        raise MalformedSignature("a SignedInfo needs at least one Reference")
    return {
        "CanonicalizationMethod": {"Algorithm": CANONICAL_EXI},
        "SignatureMethod": {"Algorithm": ECDSA_SHA256},
        "Reference": [
            {
                "URI": f"#{element_id}",
                "Transforms": {"Transform": [{"Algorithm": CANONICAL_EXI}]},
                "DigestMethod": {"Algorithm": SHA256},
                "DigestValue": base64.b64encode(digest).decode("ascii"),
            }
            for element_id, digest in references
        ],
    }


def b64decode_strict(text: object, what: str) -> bytes:
    """Decode base64Binary text; raise ``MalformedSignature`` naming ``what`` if it is not base64."""
    if not isinstance(text, str):
        raise MalformedSignature(f"{what} must be base64 text, got {type(text).__name__}")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedSignature(f"{what} is not valid base64: {exc}") from None


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedSignature(f"{path} is missing or not an element")
    return value


def _list(value: object) -> list[Any]:
    # Repeated elements are lists in the JSON convention; tolerate a single unwrapped occurrence.
    return list(value) if isinstance(value, list | tuple) else [value]


def _algorithm(value: object, path: str, allowed: frozenset[str]) -> None:
    algorithm = _mapping(value, path).get("Algorithm")
    if not isinstance(algorithm, str):
        raise MalformedSignature(f"{path}/@Algorithm is missing")
    if algorithm not in allowed:
        raise UnsupportedAlgorithm(
            f"{path}/@Algorithm {algorithm!r} is not supported (ISO 15118-2 allows {' or '.join(sorted(allowed))})",
            algorithm,
        )


def read_signed_info(signed_info: object) -> tuple[Reference, ...]:
    """Check the algorithms of a received SignedInfo and return its references in order."""
    tree = _mapping(signed_info, "SignedInfo")
    _algorithm(tree.get("CanonicalizationMethod"), "SignedInfo/CanonicalizationMethod", _CANONICAL_EXI_SPELLINGS)
    _algorithm(tree.get("SignatureMethod"), "SignedInfo/SignatureMethod", frozenset({ECDSA_SHA256}))
    raw_references = tree.get("Reference")
    if raw_references is None or raw_references == []:
        raise MalformedSignature("SignedInfo has no Reference")
    references: list[Reference] = []
    seen: set[str] = set()
    for index, raw in enumerate(_list(raw_references)):
        path = f"SignedInfo/Reference[{index}]"
        ref = _mapping(raw, path)
        uri = ref.get("URI")
        # ISO 15118-2 references are same-document fragment URIs "#<xs:ID>" (XMLDSig §4.4.3.3).
        if not isinstance(uri, str) or not uri.startswith("#") or len(uri) < 2:
            raise MalformedSignature(f"{path}/@URI must be a same-document reference '#<Id>', got {uri!r}")
        if uri in seen:
            raise MalformedSignature(f"{path}/@URI {uri!r} appears twice")
        seen.add(uri)
        transforms = ref.get("Transforms")
        if transforms is not None:
            listed = _list(_mapping(transforms, f"{path}/Transforms").get("Transform"))
            for t_index, transform in enumerate(listed):
                _algorithm(transform, f"{path}/Transforms/Transform[{t_index}]", _CANONICAL_EXI_SPELLINGS)
        _algorithm(ref.get("DigestMethod"), f"{path}/DigestMethod", frozenset({SHA256}))
        digest = b64decode_strict(ref.get("DigestValue"), f"{path}/DigestValue")
        if len(digest) != _DIGEST_LENGTH:
            raise MalformedSignature(f"{path}/DigestValue must be {_DIGEST_LENGTH} bytes (SHA-256), got {len(digest)}")
        references.append(Reference(uri=uri, id=uri[1:], digest=digest))
    return tuple(references)
