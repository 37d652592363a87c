"""OCPP-shaped signing and root distribution, OPCP root pool, operator endpoints, OpenAPI."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.api.conftest import ApiServer, b64_der, cn_of, openssl_pkcs7_certs, openssl_verify
from tests.helpers import make_csr, make_key


def _pem_chain(text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(text.encode())


def _root(api: ApiServer, use: str) -> x509.Certificate:
    r = api.http.get("/v1/ocpp/root-certificates", params={"certificateType": use})
    assert r.status_code == 200
    (entry,) = r.json()["certificates"]
    assert entry["certificateType"] == use
    return x509.load_pem_x509_certificate(entry["certificate"].encode())


@pytest.mark.parametrize("certificate_type", ["V2GCertificate", None])
def test_sign_v2g_certificate_chain_without_root(api: ApiServer, certificate_type: str | None,
                                                 tmp_path: Path) -> None:
    csr = make_csr("DE*ICE*E9001").public_bytes(Encoding.PEM).decode()
    body = {"csr": csr} if certificate_type is None else {"csr": csr, "certificateType": certificate_type}
    r = api.http.post("/v1/ocpp/sign-certificate", json=body, headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer.get("certificateType") == certificate_type  # echoed (A02.FR.14); absent when omitted
    chain = _pem_chain(answer["certificateChain"])
    assert [cn_of(c) for c in chain] == ["DE*ICE*E9001", "CPO Sub-CA 2", "CPO Sub-CA 1"]
    result = openssl_verify(chain[0], chain[1:], _root(api, "V2GRootCertificate"), tmp_path)
    assert result.returncode == 0, result.stderr


def test_sign_charging_station_certificate(api: ApiServer, tmp_path: Path) -> None:
    csr = make_csr("CS-0001", o="ICE Charging GmbH", key=make_key("p384")).public_bytes(Encoding.PEM).decode()
    r = api.http.post("/v1/ocpp/sign-certificate", json={"csr": csr, "certificateType": "ChargingStationCertificate"},
                      headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text
    chain = _pem_chain(r.json()["certificateChain"])
    assert [cn_of(c) for c in chain] == ["CS-0001", "CSO Sub-CA"]
    org = chain[0].subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value
    assert org == "ICE Charging GmbH"
    result = openssl_verify(chain[0], chain[1:], _root(api, "CSMSRootCertificate"), tmp_path)
    assert result.returncode == 0, result.stderr


def test_station_certificate_for_another_cso_is_refused(api: ApiServer) -> None:
    before = api.snapshot()
    csr = make_csr("CS-0002", o="Other CSO").public_bytes(Encoding.PEM).decode()
    r = api.http.post("/v1/ocpp/sign-certificate", json={"csr": csr, "certificateType": "ChargingStationCertificate"},
                      headers=api.auth("csms-ice"))
    assert r.status_code == 400 and "ICE Charging GmbH" in r.json()["detail"]
    assert r.headers["content-type"] == "application/problem+json"
    assert api.snapshot() == before


def test_sign_certificate_bad_requests(api: ApiServer) -> None:
    before = api.snapshot()
    for body in ({"csr": "A" * 5501}, {"csr": "x", "certificateType": "Combined"},
                 {"certificateType": "V2GCertificate"},
                 {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}):
        r = api.http.post("/v1/ocpp/sign-certificate", json=body, headers=api.auth("csms-ice"))
        assert r.status_code == 400, body
        assert r.json()["status"] == 400
    r = api.http.post("/v1/ocpp/sign-certificate", json={"csr": "x"})
    assert r.status_code == 401
    assert api.snapshot() == before


def test_root_certificates_for_install_certificate(api: ApiServer) -> None:
    r = api.http.get("/v1/ocpp/root-certificates")
    types = sorted(e["certificateType"] for e in r.json()["certificates"])
    assert types == ["CSMSRootCertificate", "MORootCertificate", "V2GRootCertificate"]
    for entry in r.json()["certificates"]:
        cert = x509.load_pem_x509_certificate(entry["certificate"].encode())
        assert cert.issuer == cert.subject  # only self-signed roots (EVerest #2109)
    r = api.http.get("/v1/ocpp/root-certificates", params={"certificateType": "ManufacturerRootCertificate"})
    assert r.json() == {"certificates": []}
    r = api.http.get("/v1/ocpp/root-certificates", params={"certificateType": "OEMRootCertificate"})
    assert r.status_code == 400


def test_opcp_root_certificate_pool(api: ApiServer) -> None:
    token = api.token("csms-ice")
    r = api.http.get("/v1/root/rootCerts", headers={"Accept": "application/json", "authorization": f"Bearer {token}",
                                                    "x-api-key": token})
    assert r.status_code == 200
    roots = r.json()["RootCertificateCollection"]["rootCertificates"]
    assert sorted(e["rootType"] for e in roots) == ["MO", "OEM", "V2G"]
    for entry in roots:
        der = base64.b64decode(entry["caCertificate"], validate=True)  # MaEVe: every entry must parse
        cert = x509.load_der_x509_certificate(der)
        assert entry["fingerprint"] == hashlib.sha256(der).hexdigest()
        assert entry["rootIssuerSerialNumber"] == format(cert.serial_number, "x")
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        assert base64.b64decode(entry["rootAuthorityKeyIdentifier"]) == ski
        assert entry["distinguishedName"] == cert.subject.rfc4514_string().replace(",", ", ")
        assert entry["validTo"].endswith("Z") and entry["commonName"] in entry["distinguishedName"]
        assert entry["signatureAlgorithm"] == "secp256r1"
        assert entry["xsdMsgDefNamespace"] == "urn:iso:15118:2:2013:MsgDef"
    v2g = next(e for e in roots if e["rootType"] == "V2G")
    for query in ("v2g", "V2G"):
        r = api.http.get("/v1/root/rootCerts", params={"rootType": query})
        assert [e["rootCertificateId"] for e in r.json()["RootCertificateCollection"]["rootCertificates"]] == [
            v2g["rootCertificateId"]]
    r = api.http.get(f"/v1/root/rootCerts/{v2g['rootCertificateId']}")
    assert r.json() == {"RootResponse": v2g}


def test_opcp_error_format(api: ApiServer) -> None:
    r = api.http.get("/v1/root/rootCerts/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    body = r.json()
    assert body["errorMessages"] == ["Root certificate with the given ID is not found"] and body["traceId"]
    r = api.http.get("/v1/root/rootCerts", params={"rootType": "cpo"})
    assert r.status_code == 400 and "errorMessages" in r.json()


def test_operator_lookup_and_revocation(api: ApiServer, tmp_path: Path) -> None:
    r = api.http.post("/cpo/simpleenroll", content=b64_der(make_csr("DE*ICE*E4242")), headers=api.auth("csms-ice"))
    certs = openssl_pkcs7_certs(r.content, tmp_path)
    serial = format(certs[0].serial_number, "X")

    r = api.http.get(f"/v1/certificates/{serial}", headers=api.auth("operator"))
    assert r.status_code == 200 and r.json()["status"] == "good" and r.json()["requester"] == "client:csms-ice"
    assert x509.load_pem_x509_certificate(r.json()["certificate"].encode()) == certs[0]
    assert api.http.get(f"/v1/certificates/{serial}", headers=api.auth("csms-ice")).status_code == 403

    before = api.snapshot()
    revoke = f"/v1/certificates/{serial}/revoke"
    r = api.http.post(revoke, json={"reason": "keyCompromise"}, headers=api.auth("csms-ice"))
    assert r.status_code == 403
    r = api.http.post(f"/v1/certificates/{serial}/revoke", json={"reason": "bogus"}, headers=api.auth("operator"))
    assert r.status_code == 400 and "bogus" in r.json()["detail"]
    assert api.snapshot() == before

    r = api.http.post(revoke, json={"reason": "keyCompromise"}, headers=api.auth("operator"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revocationReason"] == "keyCompromise"
    r = api.http.post(f"/v1/certificates/{serial}/revoke", json={}, headers=api.auth("operator"))
    assert r.status_code == 409
    entry = list(api.services.store.audit_entries())[-1]
    assert entry.event.action == "cert.revoke" and entry.event.actor == "client:operator"
    r = api.http.get("/v1/certificates/ABCDEF0123", headers=api.auth("operator"))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_ca_listing_and_chain_export(api: ApiServer) -> None:
    r = api.http.get("/v1/cas")
    assert {"v2g-root", "cpo-sub2", "cso-sub"} <= {ca["name"] for ca in r.json()["cas"]}
    r = api.http.get("/v1/cas/cpo-sub2/chain")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pem-certificate-chain"
    assert [cn_of(c) for c in _pem_chain(r.text)] == ["CPO Sub-CA 2", "CPO Sub-CA 1", "V2G Root CA"]
    r = api.http.get("/v1/cas/nope/chain")
    assert r.status_code == 404 and "unknown CA 'nope'" in r.json()["detail"]


def test_openapi_docs(api: ApiServer) -> None:
    assert api.http.get("/docs").status_code == 200
    paths = api.http.get("/openapi.json").json()["paths"]
    for path in ("/oauth/token", "/v1/ocpp/sign-certificate", "/v1/root/rootCerts", "/.well-known/est/simpleenroll",
                 "/.well-known/est/{label}/simpleenroll/{iso}", "/v1/certificates/{serial}/revoke"):
        assert path in paths, path
    assert api.http.get("/health").json() == {"status": "ok"}
