"""Contract certificate provisioning over HTTP (issue 6; pnc_http_apis.md §1.4, §6.3, §6.7).

CSMS side (roles csms, operator):

* ``POST /v1/ocpp/get-15118-ev-certificate`` ``{iso15118SchemaVersion, action: Install|Update, exiRequest}`` ->
  200 ``{status, exiResponse, statusInfo?}`` in the shape of Get15118EVCertificateResponse: ``Accepted`` with
  the EXI response for the EV (also for FAILED_* ResponseCodes, which the EV should hear; statusInfo says
  why), ``Failed`` with ``exiResponse: ""`` and statusInfo when the request is unusable (OCPP 2.0.1 Part 2:
  "Processing of the message was not successful, no exiResponse included"; MaEVe and CitrineOS also send
  ""). ``exiRequest`` is checked against the OCA limit of 5600 characters, ``exiResponse`` against 5600 too
  (OCA schema; pnc-facts §4) unless the CSMS passes ``?exiResponseMaxLength=N``, the larger
  ``OCPPCommCtrlr.FieldLength["Get15118EVCertificateResponse.exiResponse"]`` its station announced (EVerest:
  17000). A response over the limit is never truncated: ``Failed``, and the contract certificate is revoked.
* ``POST /v1/ccp/signedContractData`` (+ the legacy ``/HubjectWS/webresources/...`` path), Hubject OPCP
  ``getSignedContractData``: ``{certificateInstallationReq, xsdMsgDefNamespace, metadata?}`` -> 200
  ``{"CCPResponse": {"emaidContent": [{"messageDef": {certificateInstallationRes, emaid, metaData}}]},
  "xsdMsgDefNamespace"}``: exactly one item (CitrineOS takes the last, MaEVe the first and fails without
  ``emaid``, so ``emaid`` is always filled). A CertificateUpdateReq in the same field is answered too (neither
  client distinguishes Install from Update). Unusable EXI: 400 ``{"errorMessages", "traceId"}``. FAILED_*:
  404 ``errorMessages``, or with header ``alwaysReturnEXI: true`` the ISO-compliant envelope carrying the
  negative EXI. CitrineOS forwards the OCPP ``iso15118SchemaVersion`` as ``xsdMsgDefNamespace``: any ISO
  15118-2 spelling (or none) is accepted, ISO 15118-20 is refused with 400.

MO side (roles mo, operator): ``POST/GET /v1/contracts``, ``GET/DELETE /v1/contracts/{emaid}``, and the OPCP
MO calls ``GET /v1/ccp/lookupContract/{emaid}`` and ``DELETE /v1/ccp/signedContractData/{emaid}`` (revokes
the contract certificates unless ``X-Skip-Revocation: true``).
"""

from __future__ import annotations

import base64
import threading
from datetime import datetime
from typing import Annotated, Any

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import require_role
from api.context import ApiContext, get_context
from api.errors import ApiError
from iso15118.contract import Action, Answer, ProvisioningContext, UnusableRequest, answer, decode_base64
from iso15118.messages import ResponseCode
from pki.authority import serial_hex
from pki.contracts import Contract, ContractStatus, cancel_contract, new_contract
from pki.errors import NotFound
from pki.model import RevocationReason
from pki.requester import Requester, Role

__all__ = ["router", "provisioning", "MAX_EXI_RESPONSE", "ISO15118_2_NAMESPACE", "contract_json"]

router = APIRouter(tags=["contract provisioning"])

ISO15118_2_NAMESPACE = "urn:iso:15118:2:2013:MsgDef"
# Get15118EVCertificateResponse.exiResponse maxLength of the OCA JSON schema (the ocpp wheel's 7500 is its own
# change, mobilityhouse/ocpp #364); a station announces more through OCPPCommCtrlr.FieldLength.
MAX_EXI_RESPONSE = 5600
_CPO = require_role(Role.CSMS, Role.OPERATOR)
_MO = require_role(Role.MO, Role.OPERATOR)
_LOCK = threading.Lock()

# statusInfo.reasonCode is at most 20 characters (OCPP 2.0.1 StatusInfoType).
_REASONS = {
    "too_long": "ExiRequestTooLong", "not_base64": "InvalidBase64", "not_exi": "InvalidExi",
    "not_certificate_request": "NotCertificateReq", "action_mismatch": "ActionMismatch",
    "unsupported_schema": "UnsupportedSchema", "response_too_long": "ExiResponseTooLong",
}
_CODES = {ResponseCode.FAILED_NoCertificateAvailable: "NoCertAvailable"}


def provisioning(ctx: ApiContext) -> ProvisioningContext:
    """The app's provisioning context, built on first use (``ctx.extras["provisioning"]``)."""
    with _LOCK:
        found = ctx.extras.get("provisioning")
        if found is None:
            from pki.cli.contract_cmd import provisioning_for  # the one composition of provisioning

            found = ctx.extras["provisioning"] = provisioning_for(ctx.services)
        return found  # type: ignore[no-any-return]


def _schema_is_iso2(namespace: str | None) -> bool:
    """ISO 15118-2 (any spelling clients send, or nothing: we infer -2 from the EXI) vs -20 (refused)."""
    text = (namespace or "").strip().lower()
    return not ("15118:20" in text or "15118:-20" in text or "15118-20" in text)


def _reason_code(result: Answer) -> str:
    return _CODES.get(result.response_code, result.response_code.value.removeprefix("FAILED_")[:20])


# -- OCPP 2.0.1 Get15118EVCertificate -----------------------------------------------------------------------

class Get15118EVCertificateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    iso15118SchemaVersion: str = Field(max_length=50)  # noqa: N815 - OCPP field names
    action: Action
    exiRequest: str  # noqa: N815 - the 5600 limit is answered with status Failed, not a 400


def _failed(reason: str, message: str) -> dict[str, Any]:
    return {"status": "Failed", "exiResponse": "",
            "statusInfo": {"reasonCode": _REASONS.get(reason, "GenericError"), "additionalInfo": message[:512]}}


def _revoke_undelivered(prov: ProvisioningContext, result: Answer, requester: Requester) -> None:
    if result.certificate_serial is not None:  # never reaches the EV: must not stay valid (RFC 5280 superseded)
        prov.ra.revoke(result.certificate_serial, RevocationReason.SUPERSEDED, requester=requester.audit_name)


@router.post("/v1/ocpp/get-15118-ev-certificate", summary="Get15118EVCertificateRequest -> Response")
def get_15118_ev_certificate(
    body: Get15118EVCertificateRequest,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(_CPO)],
    max_exi_response: Annotated[int, Query(alias="exiResponseMaxLength", ge=1)] = MAX_EXI_RESPONSE,
) -> dict[str, Any]:
    if not _schema_is_iso2(body.iso15118SchemaVersion):
        return _failed("unsupported_schema", f"iso15118SchemaVersion {body.iso15118SchemaVersion!r}: only ISO "
                       f"15118-2 ({ISO15118_2_NAMESPACE}) is served")
    prov = provisioning(ctx)
    try:
        result = answer(decode_base64(body.exiRequest), prov, action=body.action, requester=requester.audit_name)
    except UnusableRequest as exc:
        return _failed(exc.reason, exc.message)
    encoded = base64.b64encode(result.exi).decode("ascii")
    if len(encoded) > max_exi_response:
        _revoke_undelivered(prov, result, requester)
        return _failed("response_too_long", f"exiResponse would have {len(encoded)} characters, more than "
                       f"{max_exi_response}")
    reply: dict[str, Any] = {"status": "Accepted", "exiResponse": encoded}
    if not result.ok:
        reply["statusInfo"] = {"reasonCode": _reason_code(result), "additionalInfo": result.message[:512]}
    return reply


# -- Hubject OPCP getSignedContractData ----------------------------------------------------------------------

class SignedContractDataRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    certificateInstallationReq: str = Field(min_length=1)  # noqa: N815 - OPCP field names
    xsdMsgDefNamespace: str | None = None  # noqa: N815
    metadata: str | None = None


def _envelope(result: Answer, body: SignedContractDataRequest) -> dict[str, Any]:
    item = {"certificateInstallationRes": base64.b64encode(result.exi).decode("ascii"),
            "emaid": result.emaid or "", "metaData": body.metadata or ""}
    return {"CCPResponse": {"emaidContent": [{"messageDef": item}]},
            "xsdMsgDefNamespace": body.xsdMsgDefNamespace or ISO15118_2_NAMESPACE}


@router.post("/v1/ccp/signedContractData", summary="OPCP getSignedContractData (Install or Update EXI)")
@router.post("/HubjectWS/webresources/v1/ccp/signedContractData", include_in_schema=False)
def signed_contract_data(
    body: SignedContractDataRequest,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(_CPO)],
    always_return_exi: Annotated[str | None, Header(alias="alwaysReturnEXI")] = None,
) -> Any:
    if not _schema_is_iso2(body.xsdMsgDefNamespace):
        raise ApiError(400, f"xsdMsgDefNamespace {body.xsdMsgDefNamespace!r}: only ISO 15118-2 is served")
    try:
        result = answer(decode_base64(body.certificateInstallationReq, max_chars=1 << 20), provisioning(ctx),
                        requester=requester.audit_name)
    except UnusableRequest as exc:
        raise ApiError(400, f"EXI format is invalid! {exc.message}", code=exc.reason) from None
    if result.ok:
        return _envelope(result, body)
    if (always_return_exi or "").strip().lower() == "true":
        return JSONResponse(_envelope(result, body), status_code=404)
    raise ApiError(404, f"Contract or Vehicle not found. {result.response_code.value}: {result.message}",
                   code=result.response_code.value)


# -- MO contract management ----------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def contract_json(contract: Contract) -> dict[str, Any]:
    return {"emaid": contract.emaid, "pcid": contract.pcid, "status": contract.status.value,
            "notAfter": _iso(contract.not_after), "createdAt": _iso(contract.created_at),
            "createdBy": contract.created_by, "revokedAt": _iso(contract.revoked_at),
            "certificates": [serial_hex(s) for s in contract.certificates]}


class NewContract(BaseModel):
    model_config = ConfigDict(extra="ignore")
    emaid: str = Field(min_length=14, max_length=18)
    pcid: str = Field(min_length=17, max_length=18)
    notAfter: datetime | None = None  # noqa: N815


def _get(prov: ProvisioningContext, emaid: str) -> Contract:
    contract = prov.registry.get(emaid)
    if contract is None:
        raise NotFound(f"no contract with eMAID {emaid!r}")
    return contract


@router.post("/v1/contracts", status_code=201, summary="Create a contract (eMAID <-> PCID)")
def create_contract(
    body: NewContract,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(_MO)],
) -> dict[str, Any]:
    prov = provisioning(ctx)
    now = prov.clock()
    contract = new_contract(body.emaid, body.pcid, now=now, actor=requester.audit_name, not_after=body.notAfter)
    return contract_json(prov.registry.add(contract, actor=requester.audit_name))


@router.get("/v1/contracts", summary="List contracts, newest first")
def list_contracts(
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(_MO)],
    pcid: Annotated[str | None, Query()] = None,
    status: Annotated[ContractStatus | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=10000)] = None,
) -> dict[str, Any]:
    contracts = provisioning(ctx).registry.list(pcid=pcid, status=status, limit=limit)
    return {"contracts": [contract_json(c) for c in contracts]}


@router.get("/v1/contracts/{emaid}", summary="One contract")
def get_contract(emaid: str, ctx: Annotated[ApiContext, Depends(get_context)],
                 requester: Annotated[Requester, Depends(_MO)]) -> dict[str, Any]:
    return contract_json(_get(provisioning(ctx), emaid))


def _cancel(prov: ProvisioningContext, emaid: str, requester: Requester, revoke_certificates: bool) -> dict[str, Any]:
    if revoke_certificates:
        contract, revoked = cancel_contract(prov.registry, prov.ra.ca, emaid, actor=requester.audit_name,
                                            at=prov.clock())
    else:
        contract, revoked = prov.registry.revoke(emaid, actor=requester.audit_name, at=prov.clock()), []
    return contract_json(contract) | {"revokedCertificates": [serial_hex(s) for s in revoked]}


@router.delete("/v1/contracts/{emaid}", summary="Cancel a contract and revoke its contract certificates")
def delete_contract(emaid: str, ctx: Annotated[ApiContext, Depends(get_context)],
                    requester: Annotated[Requester, Depends(_MO)]) -> dict[str, Any]:
    return _cancel(provisioning(ctx), emaid, requester, True)


@router.delete("/v1/ccp/signedContractData/{emaid}", summary="OPCP: delete contract data (MO)")
def delete_signed_contract_data(
    emaid: str,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(_MO)],
    skip_revocation: Annotated[str | None, Header(alias="X-Skip-Revocation")] = None,
) -> dict[str, Any]:
    return _cancel(provisioning(ctx), emaid, requester, (skip_revocation or "").strip().lower() != "true")


@router.get("/v1/ccp/lookupContract/{emaid}", summary="OPCP: look up a contract (MO)")
def lookup_contract(emaid: str, ctx: Annotated[ApiContext, Depends(get_context)],
                    requester: Annotated[Requester, Depends(_MO)]) -> dict[str, Any]:
    prov = provisioning(ctx)
    contract = _get(prov, emaid)
    store = prov.ra.ca.store
    entries: list[dict[str, Any]] = []
    for serial in reversed(contract.certificates):  # newest first: the first one is the default
        record = store.get_certificate(serial)
        if record is None:
            continue
        cert = record.certificate
        entries.append({
            "pcid": contract.pcid, "emaid": contract.emaid, "xsdMsgDefNamespace": ISO15118_2_NAMESPACE,
            "contractCertificate": base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii"),
            "defaultContract": not entries and contract.status is ContractStatus.ACTIVE and not record.revoked,
            "certValidFrom": _iso(record.not_before), "certValidTo": _iso(record.not_after),
        })
    return {"XMLContracts": entries}
