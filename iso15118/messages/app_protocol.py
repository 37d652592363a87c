"""supportedAppProtocolReq/Res (V2G_CI_AppProtocol.xsd): the handshake before any ISO 15118-2 message."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from iso15118.messages._tree import TreeModel, xsd

__all__ = ["AppProtocolResponseCode", "AppProtocol", "SupportedAppProtocolReq", "SupportedAppProtocolRes"]


class AppProtocolResponseCode(enum.StrEnum):
    """responseCodeType of the AppProtocol schema (not the ISO-2 one)."""

    OK_SuccessfulNegotiation = "OK_SuccessfulNegotiation"
    OK_SuccessfulNegotiationWithMinorDeviation = "OK_SuccessfulNegotiationWithMinorDeviation"
    Failed_NoNegotiation = "Failed_NoNegotiation"


@dataclass(frozen=True, slots=True, kw_only=True)
class AppProtocol(TreeModel):
    """AppProtocolType: namespace (<= 100 chars), version, SchemaID (unsignedByte), Priority (1..20)."""

    protocol_namespace: str = xsd("ProtocolNamespace")
    version_number_major: int = xsd("VersionNumberMajor")
    version_number_minor: int = xsd("VersionNumberMinor")
    schema_id: int = xsd("SchemaID")
    priority: int = xsd("Priority")


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportedAppProtocolReq(TreeModel):
    ELEMENT: ClassVar[str] = "supportedAppProtocolReq"
    app_protocols: tuple[AppProtocol, ...] = xsd("AppProtocol")  # 1..20


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportedAppProtocolRes(TreeModel):
    ELEMENT: ClassVar[str] = "supportedAppProtocolRes"
    response_code: AppProtocolResponseCode = xsd("ResponseCode")
    schema_id: int | None = xsd("SchemaID", default=None)
