"""Contract provisioning over real HTTP (uvicorn on a free loopback port): the OCPP-shaped endpoint and the
Hubject OPCP CCP endpoint as MaEVe and CitrineOS call them, checked by the independent EV-side verifier;
bad input answered with the right status and nothing issued, stored or audited; MO contract management."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from iso15118.contract.testing import Vehicle, installation_request, provision_vehicle, update_request
from iso15118.exi import Grammar, encode
from pki.contracts import new_contract
from tests.api.conftest import ApiServer
from tests.iso15118.contract_ev import Received, response_code, verify_response

OCPP = "/v1/ocpp/get-15118-ev-certificate"
CCP = "/v1/ccp/signedContractData"
NS = "urn:iso:15118:2:2013:MsgDef"


def _root(api: ApiServer, name: str) -> x509.Certificate:
    authority = api.services.authority
    root: x509.Certificate = authority.ca_certificate(authority.ca(name))
    return root


def _registry(api: ApiServer) -> Any:
    from ca_store.contracts import SqlContractRegistry

    return SqlContractRegistry(api.services.store)


def _vehicle_with_contract(api: ApiServer) -> tuple[Vehicle, str]:
    vehicle = provision_vehicle(api.services.ra)
    contract = new_contract(f"DEPNC{os.urandom(5).hex()[:9].upper()}", vehicle.pcid, now=api.services.clock(),
                            actor="mo")
    _registry(api).add(contract, actor="mo")
    return vehicle, contract.emaid


def _request(api: ApiServer, vehicle: Vehicle, session: bytes) -> str:
    return base64.b64encode(installation_request(vehicle, [_root(api, "v2g-root")], session_id=session)).decode()


def _verify(api: ApiServer, exi_b64: str, recipient: Any, session: bytes,
            kind: str = "CertificateInstallationRes") -> Received:
    return verify_response(base64.b64decode(exi_b64), v2g_root=_root(api, "v2g-root"), mo_root=_root(api, "mo-root"),
                           recipient=recipient, session_id=session, kind=kind)


@pytest.fixture
def warm(api: ApiServer) -> ApiServer:
    """One good request first, so the CPS leaf (created on first use) is not counted as a side effect."""
    vehicle, _ = _vehicle_with_contract(api)
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Install",
                                  "exiRequest": _request(api, vehicle, os.urandom(8))}, headers=api.auth("csms-ice"))
    assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
    return api


# -- the OCPP-shaped endpoint ------------------------------------------------------------------------------------

def test_ocpp_install_and_update(warm: ApiServer) -> None:
    api = warm
    vehicle, emaid = _vehicle_with_contract(api)
    session = os.urandom(8)
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Install",
                                  "exiRequest": _request(api, vehicle, session)}, headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"status", "exiResponse"} and r.json()["status"] == "Accepted"
    old = _verify(api, r.json()["exiResponse"], vehicle.key, session)
    assert old.emaid == emaid
    record = api.services.store.get_certificate(old.certificate.serial_number)
    assert record.requester == "client:csms-ice"

    session2 = os.urandom(8)
    exi = update_request(old.key, old.certificate, old.sub_cas, emaid, [_root(api, "v2g-root")], session_id=session2)
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Update",
                                  "exiRequest": base64.b64encode(exi).decode()}, headers=api.auth("operator"))
    assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
    new = _verify(api, r.json()["exiResponse"], old.key, session2, kind="CertificateUpdateRes")
    assert new.emaid == emaid and new.certificate.serial_number != old.certificate.serial_number


def test_ocpp_refusal_reaches_the_ev_with_status_info(warm: ApiServer) -> None:
    api = warm
    vehicle = provision_vehicle(api.services.ra)  # no contract, auto-provisioning off
    session = os.urandom(8)
    before = api.snapshot()
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Install",
                                  "exiRequest": _request(api, vehicle, session)}, headers=api.auth("csms-ice"))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "Accepted" and body["statusInfo"]["reasonCode"] == "NoCertAvailable"
    assert vehicle.pcid in body["statusInfo"]["additionalInfo"]
    assert response_code(base64.b64decode(body["exiResponse"])) == ("FAILED_NoCertificateAvailable",
                                                                      session.hex().upper())
    assert api.snapshot() == before


def test_ocpp_exi_response_limit(warm: ApiServer) -> None:
    """exiResponse <= 5600 characters (OCA schema) unless the station announced more (FieldLength); a response
    over the limit is not sent and its contract certificate does not stay valid."""
    api = warm
    store = api.services.store
    vehicle, _ = _vehicle_with_contract(api)
    request = {"iso15118SchemaVersion": NS, "action": "Install", "exiRequest": _request(api, vehicle, os.urandom(8))}
    revoked = len(store.list_certificates(profile="contract", revoked=True))
    r = api.http.post(OCPP, params={"exiResponseMaxLength": 1000}, json=request, headers=api.auth("csms-ice"))
    assert r.status_code == 200 and r.json()["status"] == "Failed" and r.json()["exiResponse"] == ""
    assert r.json()["statusInfo"]["reasonCode"] == "ExiResponseTooLong"
    (newest, *_) = store.list_certificates(profile="contract", revoked=True)
    assert len(store.list_certificates(profile="contract", revoked=True)) == revoked + 1
    assert newest.revocation_reason.value == "superseded"
    r = api.http.post(OCPP, json=request, headers=api.auth("csms-ice"))
    assert r.json()["status"] == "Accepted" and len(r.json()["exiResponse"]) <= 5600
    r = api.http.post(OCPP, params={"exiResponseMaxLength": 0}, json=request, headers=api.auth("csms-ice"))
    assert r.status_code == 400


def _session_setup() -> str:
    tree = {"V2G_Message": {"Header": {"SessionID": "0102030405060708"},
                            "Body": {"SessionSetupReq": {"EVCCID": "0A0B0C0D0E0F"}}}}
    return base64.b64encode(encode(tree, Grammar.ISO2)).decode()


@pytest.mark.parametrize("payload, reason", [
    ({"exiRequest": "A" * 5601}, "ExiRequestTooLong"),
    ({"exiRequest": "%%% not base64 %%%"}, "InvalidBase64"),
    ({"exiRequest": base64.b64encode(b"plain text, not EXI").decode()}, "InvalidExi"),
    ({"exiRequest": _session_setup()}, "NotCertificateReq"),
    ({"exiRequest": _session_setup(), "iso15118SchemaVersion": "urn:iso:std:iso:15118:-20:CommonMessages"},
     "UnsupportedSchema"),
])
def test_ocpp_unusable_requests_fail_without_side_effects(warm: ApiServer, payload: dict[str, str],
                                                           reason: str) -> None:
    api = warm
    before = api.snapshot()
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Install", **payload},
                      headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "Failed" and body["exiResponse"] == ""
    assert body["statusInfo"]["reasonCode"] == reason and len(body["statusInfo"]["reasonCode"]) <= 20
    assert api.snapshot() == before


def test_ocpp_action_mismatch_and_roles(warm: ApiServer) -> None:
    api = warm
    vehicle, _ = _vehicle_with_contract(api)
    request = _request(api, vehicle, os.urandom(8))
    before = api.snapshot()
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Update", "exiRequest": request},
                      headers=api.auth("csms-ice"))
    assert r.json()["status"] == "Failed" and r.json()["statusInfo"]["reasonCode"] == "ActionMismatch"
    body = {"iso15118SchemaVersion": NS, "action": "Install", "exiRequest": request}
    assert api.http.post(OCPP, json=body).status_code == 401
    for role in ("mo", "oem"):
        assert api.http.post(OCPP, json=body, headers=api.auth(role)).status_code == 403
    assert api.http.post(OCPP, json=body | {"action": "Delete"}, headers=api.auth("csms-ice")).status_code == 400
    assert api.snapshot() == before


# -- the Hubject OPCP CCP endpoint --------------------------------------------------------------------------------

def test_ccp_as_maeve_calls_it(warm: ApiServer) -> None:
    api = warm
    vehicle, emaid = _vehicle_with_contract(api)
    session = os.urandom(8)
    token = api.token("csms-ice")
    r = api.http.post(CCP, json={"certificateInstallationReq": _request(api, vehicle, session),
                                 "xsdMsgDefNamespace": NS},
                      headers={"Authorization": f"Bearer {token}", "x-api-key": token})
    assert r.status_code == 200, r.text
    items = r.json()["CCPResponse"]["emaidContent"]
    assert len(items) == 1 and items[0]["messageDef"]["emaid"] == emaid  # MaEVe fails without emaid
    assert r.json()["xsdMsgDefNamespace"] == NS
    _verify(api, items[0]["messageDef"]["certificateInstallationRes"], vehicle.key, session)


def test_ccp_as_citrineos_calls_it_with_an_update(warm: ApiServer) -> None:
    """CitrineOS forwards iso15118SchemaVersion as xsdMsgDefNamespace, sends Accept: application/json, takes the
    last item, and (like MaEVe) puts a CertificateUpdateReq into certificateInstallationReq."""
    api = warm
    vehicle, emaid = _vehicle_with_contract(api)
    session = os.urandom(8)
    headers = api.auth("csms-ice") | {"Accept": "application/json"}
    r = api.http.post("/HubjectWS/webresources/v1/ccp/signedContractData", headers=headers,
                      json={"certificateInstallationReq": _request(api, vehicle, session), "xsdMsgDefNamespace": NS,
                            "metadata": "station-42"})
    assert r.status_code == 200, r.text
    last = r.json()["CCPResponse"]["emaidContent"][-1]["messageDef"]
    assert last["metaData"] == "station-42"
    old = _verify(api, last["certificateInstallationRes"], vehicle.key, session)
    exi = update_request(old.key, old.certificate, old.sub_cas, emaid, [_root(api, "v2g-root")], session_id=session)
    r = api.http.post(CCP, headers=headers, json={"certificateInstallationReq": base64.b64encode(exi).decode(),
                                                  "xsdMsgDefNamespace": "urn:iso:15118:2:2013:MsgDef"})
    assert r.status_code == 200, r.text
    last = r.json()["CCPResponse"]["emaidContent"][-1]["messageDef"]
    _verify(api, last["certificateInstallationRes"], old.key, session, kind="CertificateUpdateRes")


def test_ccp_errors(warm: ApiServer) -> None:
    api = warm
    auth = api.auth("csms-ice")
    vehicle = provision_vehicle(api.services.ra)  # no contract
    before = api.snapshot()
    r = api.http.post(CCP, json={"certificateInstallationReq": "bm90IEVYSQ==", "xsdMsgDefNamespace": NS}, headers=auth)
    assert r.status_code == 400 and r.json()["errorMessages"][0].startswith("EXI format is invalid!")
    assert "traceId" in r.json()
    request = {"certificateInstallationReq": _request(api, vehicle, b"\x01" * 8), "xsdMsgDefNamespace": NS}
    r = api.http.post(CCP, json=request, headers=auth)
    assert r.status_code == 404 and "FAILED_NoCertificateAvailable" in r.json()["errorMessages"][0]
    r = api.http.post(CCP, json=request, headers=auth | {"alwaysReturnEXI": "true"})
    assert r.status_code == 404
    negative = r.json()["CCPResponse"]["emaidContent"][0]["messageDef"]["certificateInstallationRes"]
    assert response_code(base64.b64decode(negative)) == ("FAILED_NoCertificateAvailable", "0101010101010101")
    r = api.http.post(CCP, json=request | {"xsdMsgDefNamespace": "urn:iso:15118:20:2022:MsgDef"}, headers=auth)
    assert r.status_code == 400 and "15118-2" in r.json()["errorMessages"][0]
    assert api.http.post(CCP, json=request, headers=api.auth("oem")).status_code == 403
    assert api.snapshot() == before  # nothing issued, stored or audited by any of these


# -- MO contract management ----------------------------------------------------------------------------------------

def test_mo_manages_contracts(warm: ApiServer) -> None:
    api = warm
    mo = api.auth("mo")
    vehicle = provision_vehicle(api.services.ra)
    r = api.http.post("/v1/contracts", json={"emaid": "FR-XYZ-123456789", "pcid": vehicle.pcid}, headers=mo)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["emaid"] == "FRXYZ1234567892" and created["status"] == "active"
    assert created["createdBy"] == "client:mo"
    assert api.http.post("/v1/contracts", json={"emaid": "FRXYZ123456789", "pcid": vehicle.pcid},
                         headers=mo).status_code == 409
    assert api.http.post("/v1/contracts", json={"emaid": "FRXYZ1234567890", "pcid": vehicle.pcid},
                         headers=mo).status_code == 400  # wrong check character
    r = api.http.post("/v1/contracts", json={"emaid": "FRXYZ987654321", "pcid": "WMINAIVETIME00001",
                                             "notAfter": "2099-01-01T00:00:00"}, headers=mo)  # no zone: UTC
    assert r.status_code == 201 and r.json()["notAfter"] == "2099-01-01T00:00:00Z", r.text
    assert api.http.post("/v1/contracts", json={"emaid": "FRXYZ987654322", "pcid": "WMINAIVETIME00001",
                                                "notAfter": "2000-01-01T00:00:00"}, headers=mo).status_code == 400
    assert api.http.get("/v1/contracts", headers=api.auth("csms-ice")).status_code == 403
    listed = api.http.get("/v1/contracts", params={"pcid": vehicle.pcid}, headers=mo).json()["contracts"]
    assert [c["emaid"] for c in listed] == ["FRXYZ1234567892"]

    session = os.urandom(8)
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Install",
                                  "exiRequest": _request(api, vehicle, session)}, headers=api.auth("csms-ice"))
    received = _verify(api, r.json()["exiResponse"], vehicle.key, session)
    looked_up = api.http.get("/v1/ccp/lookupContract/FRXYZ1234567892", headers=mo).json()["XMLContracts"]
    assert len(looked_up) == 1 and looked_up[0]["defaultContract"] is True
    assert base64.b64decode(looked_up[0]["contractCertificate"]) == received.certificate.public_bytes(Encoding.DER)

    r = api.http.delete("/v1/ccp/signedContractData/FRXYZ1234567892", headers=mo)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert r.json()["revokedCertificates"] == [format(received.certificate.serial_number, "X")]
    assert api.services.store.get_certificate(received.certificate.serial_number).revoked
    assert api.http.delete("/v1/contracts/FRXYZ1234567892", headers=mo).status_code == 409
    assert api.http.get("/v1/contracts/DEPNC999999999", headers=mo).status_code == 404
    r = api.http.post(OCPP, json={"iso15118SchemaVersion": NS, "action": "Install",
                                  "exiRequest": _request(api, vehicle, session)}, headers=api.auth("csms-ice"))
    assert r.json()["statusInfo"]["reasonCode"] == "ContractCanceled"
