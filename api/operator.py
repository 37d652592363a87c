"""Operator endpoints: certificate lookup by serial and revocation (operator role), CA listing and chain export
(public: CA certificates are published anyway, in ``cacerts`` and the RCP)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import require_role
from api.context import ApiContext, get_context
from api.errors import ApiError
from pki.authority import serial_hex
from pki.model import CertificateRecord, RevocationReason
from pki.registration import parse_serial
from pki.requester import Requester, Role, authorize_lookup, authorize_revocation

__all__ = ["router", "certificate_json", "RevokeRequest"]

router = APIRouter(prefix="/v1", tags=["operator"])


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def certificate_json(record: CertificateRecord, *, with_pem: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "serial": serial_hex(record.serial),
        "profile": record.profile,
        "issuer": record.issuer,
        "subject": record.subject,
        "notBefore": _iso(record.not_before),
        "notAfter": _iso(record.not_after),
        "status": "revoked" if record.revoked else "good",
        "revokedAt": _iso(record.revoked_at),
        "revocationReason": record.revocation_reason.value if record.revocation_reason else None,
        "replaces": serial_hex(record.replaces) if record.replaces is not None else None,
        "requester": record.requester,
    }
    if with_pem:
        out["certificate"] = record.certificate.public_bytes(Encoding.PEM).decode()
    return out


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="unspecified", description="RFC 5280 CRLReason name or code, e.g. keyCompromise")


@router.get("/certificates/{serial}", summary="Look up a certificate by hexadecimal serial (operator)")
def get_certificate(
    serial: str,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(require_role(Role.OPERATOR))],
) -> dict[str, Any]:
    authorize_lookup(requester)
    value = parse_serial(serial)
    record = ctx.services.store.get_certificate(value)
    if record is None:
        raise ApiError(404, f"no certificate with serial {serial_hex(value)}", code="not_found")
    return certificate_json(record)


@router.post("/certificates/{serial}/revoke", summary="Revoke a certificate with an RFC 5280 reason (operator)")
def revoke_certificate(
    serial: str,
    body: RevokeRequest,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(require_role(Role.OPERATOR))],
) -> dict[str, Any]:
    authorize_revocation(requester)
    try:
        reason = RevocationReason.parse(body.reason)
    except ValueError as exc:
        raise ApiError(400, str(exc), code="invalid_request") from None
    record = ctx.services.ra.revoke(parse_serial(serial), reason, requester=requester.audit_name)
    return certificate_json(record, with_pem=False)


@router.get("/cas", summary="The CAs this service operates")
def list_cas(ctx: Annotated[ApiContext, Depends(get_context)]) -> dict[str, Any]:
    authority = ctx.services.authority
    out = []
    for ca in authority.store.list_cas():
        cert = authority.ca_certificate(ca)
        out.append({"name": ca.name, "profile": ca.profile, "issuer": ca.issuer, "serial": serial_hex(ca.serial),
                    "subject": cert.subject.rfc4514_string(), "notAfter": _iso(cert.not_valid_after_utc)})
    return {"cas": out}


@router.get("/cas/{name}/chain", summary="CA chain as PEM: the CA first, its root last",
            response_class=Response, responses={200: {"content": {"application/pem-certificate-chain": {}}}})
def ca_chain(name: str, ctx: Annotated[ApiContext, Depends(get_context)]) -> Response:
    authority = ctx.services.authority
    pem = "".join(authority.ca_certificate(ca).public_bytes(Encoding.PEM).decode() for ca in authority.chain(name))
    return Response(pem, media_type="application/pem-certificate-chain")  # RFC 8555 §9.1
