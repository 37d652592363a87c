"""Every refused request gets the right status and message, and nothing is issued or stored: the store's
certificate list and audit log are the same before and after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.api.conftest import ApiServer, b64_der
from tests.helpers import make_csr, make_key

ENROLL = "/cpo/simpleenroll/ISO15118-2"


@pytest.fixture
def unchanged(api: ApiServer) -> Iterator[None]:
    before = api.snapshot()
    yield
    assert api.snapshot() == before, "a refused request changed the store"


def _expired_token(api: ApiServer) -> str:
    from api.tokens import TokenSigner
    from ca_store.clients import ClientRepository
    from pki.requester import Requester

    secret = ClientRepository(api.services.store).token_secret()
    signer = TokenSigner(secret, lambda: datetime.now(UTC) - timedelta(hours=2))
    client_id, _ = api.credentials["csms-ice"]
    requester = Requester.of("csms-ice", "csms", ["DE*ICE"])
    return signer.issue(client_id, requester, timedelta(hours=1))


def test_no_token(api: ApiServer, unchanged: None) -> None:
    r = api.http.post(ENROLL, content=b64_der(make_csr("DE*ICE*E1")))
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"].startswith("text/plain") and "Bearer" in r.text


def test_expired_token(api: ApiServer, unchanged: None) -> None:
    r = api.http.post(ENROLL, content=b64_der(make_csr("DE*ICE*E1")),
                      headers={"Authorization": f"Bearer {_expired_token(api)}"})
    assert r.status_code == 401 and "expired" in r.text
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_tampered_and_garbage_tokens(api: ApiServer, unchanged: None) -> None:
    token = api.token("csms-ice")
    header, payload, mac = token.split(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."  # alg "none" (RFC 8725 §2.1)
    for bad in (f"{header}.{forged_payload}.{mac}", unsigned, "not-a-token", token + "x"):
        r = api.http.post(ENROLL, content=b64_der(make_csr("DE*ICE*E1")), headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad
        assert bad not in r.text  # never echo the token


def test_wrong_role(api: ApiServer, unchanged: None) -> None:
    r = api.http.post(ENROLL, content=b64_der(make_csr("DE*ICE*E1")), headers=api.auth("mo"))
    assert r.status_code == 403 and "role 'mo'" in r.text
    r = api.http.post("/v1/ocpp/sign-certificate", json={"csr": "x"}, headers=api.auth("oem"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


def test_csr_for_another_operators_evse_id(api: ApiServer, unchanged: None) -> None:
    for cn in ("DE*ABC*E1", "DEABCE1", "DE-ABC-S-00003C4D557878675645330967543476-2"):
        r = api.http.post(ENROLL, content=b64_der(make_csr(cn)), headers=api.auth("csms-ice"))
        assert r.status_code == 403, cn
        assert "DEABC" in r.text and "DEICE" in r.text


def test_csr_with_wrong_curve(api: ApiServer, unchanged: None) -> None:
    r = api.http.post(ENROLL, content=b64_der(make_csr("DE*ICE*E1", key=make_key("p384"))),
                      headers=api.auth("csms-ice"))
    assert r.status_code == 400 and "secp384r1" in r.text and "secp256r1" in r.text


def test_csr_with_bad_signature(api: ApiServer, unchanged: None) -> None:
    der = bytearray(make_csr("DE*ICE*E1").public_bytes(Encoding.DER))
    der[-1] ^= 0x01  # last byte of the ECDSA s value: still DER, no longer a valid signature
    import base64

    r = api.http.post(ENROLL, content=base64.b64encode(bytes(der)), headers=api.auth("csms-ice"))
    assert r.status_code == 400 and "signature" in r.text


@pytest.mark.parametrize("body", [b"%%% this is not base64 %%%", b"", b"QUJD", b"-----BEGIN CERTIFICATE REQUEST-----"])
def test_non_base64_or_empty_body(api: ApiServer, unchanged: None, body: bytes) -> None:
    r = api.http.post(ENROLL, content=body, headers=api.auth("csms-ice"))
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
    assert "CSR" in r.text


def test_oversize_body_declared(api: ApiServer, unchanged: None) -> None:
    r = api.http.post(ENROLL, content=b"A" * (64 * 1024 + 1), headers=api.auth("csms-ice"))
    assert r.status_code == 413 and "65536" in r.text


def test_oversize_body_chunked(api: ApiServer, unchanged: None) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"A" * 8192

    r = api.http.post(ENROLL, content=chunks(), headers=api.auth("csms-ice"))
    assert r.status_code == 413
    r = api.http.post("/v1/ocpp/sign-certificate", content=chunks(),
                      headers={**api.auth("csms-ice"), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/.well-known/est/xyz/simpleenroll", "/acme-cpx/simpleenroll",
                                  "/.well-known/veh/simpleenroll", "/acme-veh/simpleenroll/ISO15118-2"])
def test_unknown_ca_label(api: ApiServer, unchanged: None, path: str) -> None:
    r = api.http.post(path, content=b64_der(make_csr("DE*ICE*E1")), headers=api.auth("csms-ice"))
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
    assert "unknown CA label" in r.text


def test_unknown_ca_label_on_cacerts(api: ApiServer) -> None:
    r = api.http.get("/.well-known/est/nope/cacerts")
    assert r.status_code == 404 and "unknown CA label 'nope'" in r.text


def test_subject_rules_still_apply(api: ApiServer, unchanged: None) -> None:
    # A CN that is neither an EVSE-ID nor a SECC-ID cannot name an operator.
    r = api.http.post(ENROLL, content=b64_der(make_csr("charger-17")), headers=api.auth("csms-ice"))
    assert r.status_code == 400 and "EVSE-ID" in r.text
    r = api.http.post(ENROLL, content=b64_der(make_csr(None, o="ICE")), headers=api.auth("csms-ice"))
    assert r.status_code == 400 and "CN" in r.text
