"""Schema-informed EXI (W3C EXI 1.0) codec for ISO 15118-2, generated from the vendored XSDs.

Three grammar sets as ISO 15118-2 §7.9.1.3 prescribes (bit-packed, non-strict, header 0x80, no options,
valuePartitionCapacity 0, no built-in element grammars): ``V2G_CI_AppProtocol.xsd``, the ISO-2 MsgDef set
(documents and fragments) and ``xmldsig-core-schema.xsd`` alone (SignedInfo fragments).

Trees follow the JSON convention of the EXIficient codec: ``{root: {...}}``, XSD element names,
attributes as plain keys, simple content with attributes as ``{"Id": ..., "value": ...}``, repeated
elements (maxOccurs > 1) always as lists, base64Binary as base64 text, hexBinary as upper-case hex
(any case accepted on encode), enumerations as their literals, integers as ints, booleans as bools.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from iso15118.exi.errors import ExiDecodeError, ExiEncodeError, ExiError

__all__ = ["Grammar", "ExiCodec", "ExiError", "ExiEncodeError", "ExiDecodeError", "encode", "decode", "default_codec"]


class Grammar(enum.StrEnum):
    APP_PROTOCOL = "appProtocol"  # document of V2G_CI_AppProtocol.xsd (supportedAppProtocolReq/Res)
    ISO2 = "iso2"  # document of the ISO-2 MsgDef schema set (V2G_Message)
    ISO2_FRAGMENT = "iso2-fragment"  # EXI fragment with the ISO-2 MsgDef schema set (what gets SHA-256'd)
    XMLDSIG_FRAGMENT = "xmldsig-fragment"  # EXI fragment with xmldsig-core-schema.xsd alone (SignedInfo)


class ExiCodec(Protocol):
    def encode(self, tree: Mapping[str, Any], grammar: Grammar) -> bytes: ...

    def decode(self, data: bytes, grammar: Grammar) -> dict[str, Any]: ...


_default: ExiCodec | None = None
_default_lock = threading.Lock()


def default_codec() -> ExiCodec:
    """The process-wide pure-Python codec, built on first use (thread-safe; it holds no mutable settings)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from iso15118.exi.codec import SchemaCodec

                _default = SchemaCodec()
    return _default


def encode(tree: Mapping[str, Any], grammar: Grammar) -> bytes:
    return default_codec().encode(tree, grammar)


def decode(data: bytes, grammar: Grammar) -> dict[str, Any]:
    return default_codec().decode(data, grammar)
