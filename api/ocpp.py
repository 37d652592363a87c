"""OCPP 2.0.1-shaped endpoints for a CSMS that relays Block A/M messages (pnc_http_apis.md §6.7).

``POST /v1/ocpp/sign-certificate`` takes the station's SignCertificateRequest payload and answers with the
``certificateChain`` for CertificateSigned: PEM, leaf first, sub-CAs after, no root (CertificateSignedRequest
description; A02.FR.x). ``certificateType``: ChargingStationCertificate -> the OCPP station profile (O = CSO,
CN = station identity; A00.FR.4xx); V2GCertificate -> SECC leaf from the CPO Sub-CA 2 (same rules as EST);
omitted -> "used for both the 15118 connection and the Charging Station to CSMS connection" (schema text): a
certificate from the V2G chain (TC_A_13: "signed by the V2G Root or SubCA"), issued only if the requester may
have both kinds. Its profile has no EKU, so it also serves as a TLS client certificate.

``GET /v1/ocpp/root-certificates`` gives the roots to push with InstallCertificate (only self-signed roots,
EVerest #2109), one entry per root in the InstallCertificateRequest shape.
"""

from __future__ import annotations

import enum
from typing import Annotated

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import require_role
from api.context import ApiContext, get_context
from api.issuing import chain_without_root, enroll, sign_station_certificate
from pki.requester import Requester, Role, authorize_station_certificate

__all__ = ["router", "CertificateSigningUse", "InstallCertificateUse", "ROOTS_FOR_USE",
           "SignCertificateRequest", "SignCertificateResult"]

router = APIRouter(prefix="/v1/ocpp", tags=["OCPP 2.0.1 bridge"])

CSR_MAX = 5500  # SignCertificateRequest.csr maxLength
CHAIN_MAX = 10000  # CertificateSignedRequest.certificateChain maxLength


class CertificateSigningUse(enum.StrEnum):
    CHARGING_STATION = "ChargingStationCertificate"
    V2G = "V2GCertificate"


class InstallCertificateUse(enum.StrEnum):
    V2G_ROOT = "V2GRootCertificate"
    MO_ROOT = "MORootCertificate"
    CSMS_ROOT = "CSMSRootCertificate"
    MANUFACTURER_ROOT = "ManufacturerRootCertificate"


# Which of our CA profiles answer each InstallCertificate use. The CSO root anchors the station PKI the CSMS
# runs its TLS on; no manufacturer (firmware signing) root is operated by this service.
ROOTS_FOR_USE: dict[InstallCertificateUse, tuple[str, ...]] = {
    InstallCertificateUse.V2G_ROOT: ("v2g-root",),
    InstallCertificateUse.MO_ROOT: ("mo-root",),
    InstallCertificateUse.CSMS_ROOT: ("cso-root",),
    InstallCertificateUse.MANUFACTURER_ROOT: (),
}


class SignCertificateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    csr: str = Field(min_length=1, max_length=CSR_MAX, description="PEM PKCS#10 from the station")
    certificateType: CertificateSigningUse | None = None  # noqa: N815 - OCPP field name


class SignCertificateResult(BaseModel):
    certificateChain: str  # noqa: N815
    certificateType: CertificateSigningUse | None = None  # noqa: N815


class InstallCertificatePayload(BaseModel):
    certificateType: InstallCertificateUse  # noqa: N815
    certificate: str


class RootCertificates(BaseModel):
    certificates: list[InstallCertificatePayload]


def _pem(certs: list[x509.Certificate]) -> str:
    return "".join(c.public_bytes(Encoding.PEM).decode() for c in certs)


@router.post("/sign-certificate", response_model=SignCertificateResult, response_model_exclude_none=True,
             summary="SignCertificateRequest -> certificateChain for CertificateSigned")
def sign_certificate(
    body: SignCertificateRequest,
    ctx: Annotated[ApiContext, Depends(get_context)],
    requester: Annotated[Requester, Depends(require_role(Role.CSMS, Role.OPERATOR))],
) -> SignCertificateResult:
    csr = body.csr.encode()
    if body.certificateType is CertificateSigningUse.CHARGING_STATION:
        issued = sign_station_certificate(ctx.services, requester, csr)
    else:
        if body.certificateType is None:
            authorize_station_certificate(requester)  # combined: the requester must be allowed both kinds
        label = ctx.settings.est_labels[ctx.settings.default_est_label]
        issued = enroll(ctx.services, requester, csr, label)
    chain = _pem(chain_without_root(issued))
    if len(chain) > CHAIN_MAX:  # pragma: no cover - our chains are 3 certificates of < 1 kB each
        raise ValueError("certificate chain exceeds the OCPP limit of 10000 characters")
    return SignCertificateResult(certificateChain=chain, certificateType=body.certificateType)


@router.get("/root-certificates", response_model=RootCertificates,
            summary="Roots for InstallCertificate (self-signed only), optionally of one certificateType")
def root_certificates(
    ctx: Annotated[ApiContext, Depends(get_context)],
    certificate_type: Annotated[InstallCertificateUse | None, Query(alias="certificateType")] = None,
) -> RootCertificates:
    uses = [certificate_type] if certificate_type is not None else list(InstallCertificateUse)
    authority = ctx.services.authority
    cas = authority.store.list_cas()
    out = []
    for use in uses:
        for ca in cas:
            if ca.profile in ROOTS_FOR_USE[use] and ca.issuer is None:
                cert = authority.ca_certificate(ca)
                out.append(InstallCertificatePayload(certificateType=use, certificate=_pem([cert])))
    return RootCertificates(certificates=out)
