"""OPCP Root Certificate Pool: ``GET /v1/root/rootCerts[?rootType=v2g|mo|oem]`` and ``/v1/root/rootCerts/{id}``.

Shapes from hubject/opcp ``OPCP-1.0.0/reference/rcp.v1.json`` (RootCertV2; pnc_http_apis.md §1.5, §6.4):
``{"RootCertificateCollection": {"rootCertificates": [...]}}`` and ``{"RootResponse": {...}}``. The query
enum is lower case, the ``rootType`` value upper case; we accept the query in any case. Every
``caCertificate`` is plain base64 DER (MaEVe aborts the whole list on one unparsable entry). The id is a
name-based UUID (RFC 9562 §5.5) of the SHA-256 fingerprint, so it is stable across restarts and replicas.
Root certificates are public: no token is needed (clients send one anyway; it is not checked here).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Annotated, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext, get_context
from api.errors import ApiError

__all__ = ["router", "ROOT_TYPES", "root_entry", "root_entries"]

router = APIRouter(prefix="/v1/root", tags=["OPCP root certificate pool"])

# OPCP rootType per CA profile of ours (the CSO root of the OCPP station PKI is not an ISO 15118 root).
ROOT_TYPES: dict[str, str] = {"v2g-root": "V2G", "mo-root": "MO", "oem-root": "OEM"}
_NAMESPACE = uuid.UUID("8f5e3c1a-2b7d-5c4e-9a6f-0d1e2f3a4b5c")  # this service's UUIDv5 namespace
_MSG_DEF = {"secp256r1": "urn:iso:15118:2:2013:MsgDef", "secp521r1": "urn:iso:15118:20:2022:MsgDef"}


def _dn(name: x509.Name) -> str:
    # RFC 4514 order (last RDN first) with ", " as in Hubject's examples: "CN=V2G Root CA G2, DC=V2G, ...".
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def root_entry(cert: x509.Certificate, root_type: str) -> dict[str, Any]:
    der = cert.public_bytes(Encoding.DER)
    fingerprint = hashlib.sha256(der).hexdigest()
    entry: dict[str, Any] = {
        "rootCertificateId": str(uuid.uuid5(_NAMESPACE, fingerprint)),
        "distinguishedName": _dn(cert.subject),
        "caCertificate": base64.b64encode(der).decode(),
        "commonName": _first(cert.subject, NameOID.COMMON_NAME),
        "rootIssuerSerialNumber": format(cert.serial_number, "x"),
        "validFrom": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validTo": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "organizationName": _first(cert.subject, NameOID.ORGANIZATION_NAME),
        "rootType": root_type,
        "fingerprint": fingerprint,
        "fingerprintSha1": hashlib.sha1(der, usedforsecurity=False).hexdigest(),
    }
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        entry["rootAuthorityKeyIdentifier"] = base64.b64encode(ski).decode()
        entry["rootAuthorityKeyIdentifierHex"] = ski.hex()
    except x509.ExtensionNotFound:
        pass
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _MSG_DEF:
        entry["signatureAlgorithm"] = key.curve.name
        entry["xsdMsgDefNamespace"] = _MSG_DEF[key.curve.name]
    return entry


def root_entries(ctx: ApiContext) -> list[dict[str, Any]]:
    authority = ctx.services.authority
    return [
        root_entry(authority.ca_certificate(ca), ROOT_TYPES[ca.profile])
        for ca in authority.store.list_cas()
        if ca.issuer is None and ca.profile in ROOT_TYPES
    ]


@router.get("/rootCerts", summary="getAllRootCerts (OPCP RCP)")
async def all_root_certs(
    ctx: Annotated[ApiContext, Depends(get_context)],
    root_type: Annotated[str | None, Query(alias="rootType", description="v2g, mo or oem")] = None,
) -> dict[str, Any]:
    wanted = None
    if root_type:
        wanted = root_type.strip().upper()
        if wanted not in ROOT_TYPES.values():
            raise ApiError(400, f"rootType {root_type!r} is not one of mo, v2g, oem", code="invalid_request")
    entries = await run_in_threadpool(root_entries, ctx)
    if wanted is not None:
        entries = [e for e in entries if e["rootType"] == wanted]
    return {"RootCertificateCollection": {"rootCertificates": entries}}


@router.get("/rootCerts/{root_certificate_id}", summary="getRootCert (OPCP RCP)")
async def root_cert(root_certificate_id: str, ctx: Annotated[ApiContext, Depends(get_context)]) -> dict[str, Any]:
    for entry in await run_in_threadpool(root_entries, ctx):
        if entry["rootCertificateId"] == root_certificate_id.lower():
            return {"RootResponse": entry}
    raise ApiError(404, "Root certificate with the given ID is not found", code="not_found")
