"""POST /oauth/token in the shapes MaEVe, CitrineOS and EVerest send, and client lifecycle over HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from tests.api.conftest import ApiServer, b64_der, pnc
from tests.helpers import make_csr


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    return dict(body)


def test_token_json_without_audience_maeve(api: ApiServer) -> None:
    client_id, secret = api.credentials["csms-ice"]
    body = _ok(api.http.post("/oauth/token", json={"client_id": client_id, "client_secret": secret,
                                                    "grant_type": "client_credentials"}))
    assert body["scope"] == "pkigateway rcpservice"


def test_token_json_with_audience_everest(api: ApiServer) -> None:
    client_id, secret = api.credentials["csms-ice"]
    body = _ok(api.http.post("/oauth/token", json={"client_id": client_id, "client_secret": secret,
                                                    "audience": "https://pki.example",
                                                    "grant_type": "client_credentials"}))
    payload = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert payload["aud"] == "https://pki.example" and payload["role"] == "csms"
    assert payload["evse_operator_ids"] == ["DEICE"]


def test_token_form_encoded_citrineos(api: ApiServer) -> None:
    client_id, secret = api.credentials["csms-ice"]
    r = api.http.post("/oauth/token", data={"client_id": client_id, "client_secret": secret,
                                            "audience": "x", "grant_type": "client_credentials"})
    _ok(r)


def test_token_http_basic(api: ApiServer) -> None:
    client_id, secret = api.credentials["operator"]
    r = api.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    _ok(r)
    # RFC 6749 §5.2: a failed Basic authentication is a 401 with the Basic challenge; a failed body one has none
    r = api.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret + "x"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.headers["www-authenticate"].startswith("Basic ")
    r = api.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                            "client_secret": secret + "x"})
    assert r.status_code == 401 and "www-authenticate" not in r.headers


def test_token_refusals(api: ApiServer) -> None:
    client_id, secret = api.credentials["csms-ice"]
    cases = [
        ({"client_id": client_id, "client_secret": secret + "x", "grant_type": "client_credentials"}, 401,
         "invalid_client"),
        ({"client_id": "pnc-0000000000000000", "client_secret": secret, "grant_type": "client_credentials"}, 401,
         "invalid_client"),
        ({"client_id": client_id, "grant_type": "client_credentials"}, 401, "invalid_client"),
        ({"client_id": client_id, "client_secret": secret, "grant_type": "password"}, 400, "unsupported_grant_type"),
    ]
    for body, status, error in cases:
        r = api.http.post("/oauth/token", json=body)
        assert r.status_code == status, body
        assert r.json()["error"] == error
        assert secret not in r.text
    for raw in (b"{not json", b"[" * 60000, b'{"a":' * 12000):  # deep nesting: RecursionError in json, not a 500
        r = api.http.post("/oauth/token", content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_disabled_client_loses_access(api: ApiServer) -> None:
    code, output = pnc(api.data_dir, "client", "add", "short-lived", "--role", "csms", "--evse-operator-id",
                       "DE*ICE", "--json")
    assert code == 0
    created = json.loads(output)
    credentials = {"client_id": created["client_id"], "client_secret": created["client_secret"]}
    r = api.http.post("/oauth/token", json=credentials)
    token = r.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = api.http.post("/cpo/simpleenroll", content=b64_der(make_csr("DE*ICE*E777")), headers=headers)
    assert r.status_code == 200
    assert pnc(api.data_dir, "client", "disable", "short-lived")[0] == 0
    before = api.snapshot()
    r = api.http.post("/cpo/simpleenroll", content=b64_der(make_csr("DE*ICE*E778")), headers=headers)
    assert r.status_code == 401 and "disabled" in r.text
    assert api.snapshot() == before
    r = api.http.post("/oauth/token", json=credentials)
    assert r.status_code == 401


def test_client_cli_list_disable_and_stored_hash(api: ApiServer) -> None:
    from ca_store.clients import ClientRepository

    code, output = pnc(api.data_dir, "client", "list", "--json")
    assert code == 0
    listed = {c["name"]: c for c in json.loads(output)}
    assert listed["csms-ice"]["evse_operator_ids"] == ["DEICE"]
    assert listed["csms-ice"]["organization"] == "ICE Charging GmbH"
    assert "secret" not in output
    client_id, secret = api.credentials["csms-ice"]
    record = ClientRepository(api.services.store).get(client_id)
    assert record is not None and record.secret_hash.startswith("scrypt$") and secret not in record.secret_hash
    assert pnc(api.data_dir, "client", "disable", "no-such-client")[0] == 3  # exit code NOT_FOUND
    assert pnc(api.data_dir, "client", "add", "bad", "--role", "csms", "--evse-operator-id", "GERMANY")[0] == 4
    assert pnc(api.data_dir, "client", "add", "csms-ice", "--role", "csms")[0] == 7  # names are never reused
    actions = [e.event.action for e in api.services.store.audit_entries()]
    assert "client.add" in actions


def test_client_add_prints_id_and_secret_once(api: ApiServer) -> None:
    code, output = pnc(api.data_dir, "client", "add", "plain-output", "--role", "oem")
    assert code == 0
    lines = dict(line.split(":", 1) for line in output.splitlines() if line.startswith("client_"))
    r = api.http.post("/oauth/token", json={"client_id": lines["client_id"].strip(),
                                             "client_secret": lines["client_secret"].strip()})
    assert r.status_code == 200
