"""Revocation notifications: in-process listener, and over HTTP to a responder in another process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x_ocsp

from ocsp.app import OcspApp
from ocsp.errors import OcspError
from ocsp.model import Answer
from ocsp.notify import HttpRevocationNotifier, LocalRevocationNotifier
from ocsp.settings import OcspSettings
from pki.model import RevocationReason
from tests.conftest import PASSPHRASE
from tests.helpers import csr_pem, make_csr
from tests.ocsp.conftest import TOKEN, World
from tests.servers import serve_in_process, serve_in_thread

GOOD, REVOKED = x_ocsp.OCSPCertStatus.GOOD, x_ocsp.OCSPCertStatus.REVOKED


def _leaf(svc: Any, cn: str) -> Any:
    return svc.ra.issue_from_csr(csr_pem(make_csr(cn)), "secc", requester="test")


def _request(svc: Any, issued: Any) -> bytes:
    issuer = issued.chain[0]
    return x_ocsp.OCSPRequestBuilder().add_certificate(issued.certificate, issuer, hashes.SHA256()).build() \
        .public_bytes(serialization.Encoding.DER)


def _status(url: str, body: bytes) -> x_ocsp.OCSPCertStatus:
    response = httpx.post(url + "/ocsp", content=body, headers={"content-type": "application/ocsp-request"},
                          timeout=10)
    return x_ocsp.load_der_ocsp_response(response.content).certificate_status


def test_local_notifier_re_signs_before_revoke_returns(pki_services: Any) -> None:
    app = OcspApp(pki_services, OcspSettings())  # not registered by create_app: the notifier does it
    app.refresh_all()
    leaf = _leaf(pki_services, "DE*ICE*E0001")
    body = _request(pki_services, leaf)
    assert x_ocsp.load_der_ocsp_response(app.responder.respond(body).der).certificate_status is GOOD
    pki_services.authority.add_revocation_listener(LocalRevocationNotifier(app).notify)
    pki_services.ra.revoke(leaf.record.serial, RevocationReason.KEY_COMPROMISE, requester="test")
    answer = app.responder.prepare(body)  # served from memory: the listener already re-signed it
    assert isinstance(answer, Answer)
    response = x_ocsp.load_der_ocsp_response(answer.der)
    assert response.certificate_status is REVOKED
    assert response.revocation_reason is not None and response.revocation_reason.name == "key_compromise"
    crl = app.crls.get(leaf.record.issuer)
    assert crl is not None and leaf.record.serial in {r.serial_number for r in crl_entries(crl.record.der)}


def crl_entries(der: bytes) -> list[Any]:
    from cryptography import x509

    return list(x509.load_der_x509_crl(der))


def test_http_notifier_to_a_responder_in_another_process(pki_services: Any, tmp_path: Path) -> None:
    from ca_store import sqlite_url

    env = {"PNC_DB_URL": sqlite_url(tmp_path / "pki"), "PNC_PASSPHRASE": PASSPHRASE.decode(),
           "PNC_INTERNAL_TOKEN": TOKEN, "PNC_OCSP_FOLLOW_SECONDS": "0"}  # only the notifier tells it
    with serve_in_process("tests.ocsp.serve_factory:app", env) as url:
        notified = _leaf(pki_services, "DE*ICE*E0002")
        silent = _leaf(pki_services, "DE*ICE*E0003")
        body_notified, body_silent = _request(pki_services, notified), _request(pki_services, silent)
        assert _status(url, body_notified) is GOOD  # issued after the responder started: found in the store
        assert _status(url, body_silent) is GOOD

        # without a notification (and not following the audit log) the other process keeps its pre-signed "good"
        pki_services.ra.revoke(silent.record.serial, RevocationReason.SUPERSEDED, requester="test")
        assert _status(url, body_silent) is GOOD

        with HttpRevocationNotifier(url, TOKEN) as notifier:
            pki_services.authority.add_revocation_listener(notifier.notify)
            pki_services.ra.revoke(notified.record.serial, RevocationReason.KEY_COMPROMISE, requester="test")
            assert _status(url, body_notified) is REVOKED  # visible before revoke() returned

            notifier.notify(pki_services.store.get_certificate(silent.record.serial))
            assert _status(url, body_silent) is REVOKED

        with pytest.raises(OcspError, match="403"), HttpRevocationNotifier(url, "wrong-token") as wrong:
            wrong.notify(pki_services.store.get_certificate(silent.record.serial))
        no_auth = httpx.post(url + "/ocsp/_internal/changed", json={"serial": "1"}, timeout=10)
        assert no_auth.status_code == 401


def test_internal_endpoint_is_off_without_a_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    app = OcspApp(world.svc, OcspSettings())
    with serve_in_thread(app) as url:
        response = httpx.post(url + "/ocsp/_internal/changed", json={"serial": "1"},
                              headers={"authorization": "Bearer x"}, timeout=10)
        assert response.status_code == 404
    monkeypatch.delenv("PNC_INTERNAL_TOKEN", raising=False)
    with pytest.raises(OcspError, match="token"):
        HttpRevocationNotifier(url)


def test_a_responder_in_another_process_follows_the_audit_log(pki_services: Any, tmp_path: Path) -> None:
    from ca_store import sqlite_url

    env = {"PNC_DB_URL": sqlite_url(tmp_path / "pki"), "PNC_PASSPHRASE": PASSPHRASE.decode(),
           "PNC_OCSP_FOLLOW_SECONDS": "0.2"}
    with serve_in_process("tests.ocsp.serve_factory:app", env) as url:
        leaf = _leaf(pki_services, "DE*ICE*E0004")
        body = _request(pki_services, leaf)
        assert _status(url, body) is GOOD
        pki_services.ra.revoke(leaf.record.serial, RevocationReason.KEY_COMPROMISE, requester="test")  # no listener
        deadline = time.monotonic() + 10
        while _status(url, body) is not REVOKED:
            assert time.monotonic() < deadline, "the revocation never reached the other process"
            time.sleep(0.1)
        crl = x509.load_der_x509_crl(httpx.get(url + f"/crl/{leaf.record.issuer}.crl", timeout=10).content)
        assert crl.get_revoked_certificate_by_serial_number(leaf.record.serial) is not None


def test_internal_endpoint_refuses_bad_bodies(world: World) -> None:
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    for body in (b"", b"{", b"[]", b'{"serial": null}', b'{"serial": "xyz"}', b"\xff", b"[" * 10000):
        r = httpx.post(world.url + "/ocsp/_internal/changed", content=body, headers=headers, timeout=10)
        assert r.status_code == 400, body[:20]
    r = httpx.post(world.url + "/ocsp/_internal/changed", json={"serial": "7f" * 19}, headers=headers, timeout=10)
    assert r.status_code == 404
