"""The V2G_Message document (V2G_CI_MsgDef.xsd) and its MessageHeader (V2G_CI_MsgHeader.xsd)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from iso15118.messages._tree import TreeModel, xsd
from iso15118.messages.body import BodyMessage
from iso15118.messages.types import Notification

__all__ = ["MessageHeader", "V2GMessage"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageHeader(TreeModel):
    """SessionID (hexBinary <= 8 bytes), Notification?, xmldsig Signature?.

    ``signature`` is the ``Signature`` content as a codec tree (what ``iso15118.xmldsig.sign`` returns and
    ``iso15118.xmldsig.verify`` takes), passed through unchanged.
    """

    session_id: bytes = xsd("SessionID", hex=True)
    notification: Notification | None = xsd("Notification", default=None)
    signature: Mapping[str, Any] | None = xsd("Signature", default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class V2GMessage(TreeModel):
    """``{"V2G_Message": {"Header": ..., "Body": {<message>: ...}}}``: what Grammar.ISO2 encodes."""

    ELEMENT: ClassVar[str] = "V2G_Message"
    header: MessageHeader = xsd("Header")
    body: BodyMessage = xsd("Body")
