"""Find the elements a Signature references, by their ``Id`` attribute, in a decoded V2G_Message.

Only the ``Body`` is searched: the ``Header`` holds the Signature itself, and an Id there (the
V2Gdecoder vector puts one on a Reference) must not satisfy a reference. A body with the same Id twice
is refused: xs:ID values are unique per document, and an ambiguous reference is the classic XML
signature-wrapping hole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iso15118.xmldsig.errors import MalformedSignature

__all__ = ["elements_by_id", "message_parts"]


def elements_by_id(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every element with an ``Id`` under ``body`` as ``{Id: {ElementName: content}}`` (fragment trees)."""
    found: dict[str, dict[str, Any]] = {}
    stack: list[tuple[str, Any]] = [(name, value) for name, value in body.items()]
    while stack:
        name, value = stack.pop()
        if isinstance(value, list | tuple):
            stack.extend((name, item) for item in value)
            continue
        if not isinstance(value, Mapping):
            continue
        element_id = value.get("Id")
        if isinstance(element_id, str):
            if element_id in found:
                raise MalformedSignature(f"Id {element_id!r} appears more than once in the message body")
            found[element_id] = {name: value}
        stack.extend((child, child_value) for child, child_value in value.items() if child != "Id")
    return found


def message_parts(message: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
    """``(Header/Signature or None, Body)`` of a decoded ``{"V2G_Message": {...}}`` (or its content)."""
    root = message.get("V2G_Message", message)
    if not isinstance(root, Mapping):
        raise MalformedSignature("not a V2G_Message tree")
    header = root.get("Header")
    body = root.get("Body")
    if not isinstance(header, Mapping) or not isinstance(body, Mapping):
        raise MalformedSignature("V2G_Message needs a Header and a Body")
    signature = header.get("Signature")
    if signature is not None and not isinstance(signature, Mapping):
        raise MalformedSignature("Header/Signature is not an element")
    return signature, body
