"""The caching OCSP client: local answers, allow-listed fetches, verification, caching, OCPP input forms."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from ocsp.app import OcspApp
from ocsp.client import OcspClient, cert_id_for
from ocsp.errors import OcspError
from ocsp.model import CertState, Status
from ocsp.settings import OcspSettings
from ocsp.signing import Signer, sign_single
from pki.model import RevocationReason
from tests.conftest import PASSPHRASE
from tests.helpers import csr_pem, make_csr
from tests.ocsp.conftest import World
from tests.ocsp.server import self_signed_ca
from tests.servers import serve_in_thread


def request_data(issued: Any, alg: str = "sha256") -> dict[str, str]:
    cid = cert_id_for(issued.certificate, issued.chain[0], alg)
    return {"hash_algorithm": alg.upper(), "issuer_name_hash": cid.name_hash.hex(),
            "issuer_key_hash": cid.key_hash.hex(), "serial_number": format(cid.serial, "X")}


def status_of(der: bytes) -> x_ocsp.OCSPCertStatus:
    response = x_ocsp.load_der_ocsp_response(der)
    assert response.response_status is x_ocsp.OCSPResponseStatus.SUCCESSFUL
    return response.certificate_status


@pytest.fixture
def foreign(pki_services: Any) -> Iterator[tuple[Any, str]]:
    """Another PKI (not ours) with its own responder on loopback."""
    app = OcspApp(pki_services, OcspSettings())
    pki_services.authority.add_revocation_listener(app.on_revoked)
    with serve_in_thread(app) as url:
        yield pki_services, url + "/ocsp"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP port that records every connection attempt."""
    accepted: list[object] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_our_certificates_are_answered_locally_in_every_input_form(world: World) -> None:
    with httpx.Client() as http:
        client = OcspClient(world.app.responder, allowed_hosts=[], http=http)
        data = request_data(world.good)  # type: ignore[attr-defined]
        forms = [
            data,
            {**data, "issuer_name_hash": data["issuer_name_hash"].upper(),
             "issuer_key_hash": data["issuer_key_hash"].lower()},
            {**data, "issuer_name_hash": base64.urlsafe_b64encode(bytes.fromhex(data["issuer_name_hash"])).decode()
             .rstrip("=")},
            {**data, "serial_number": data["serial_number"].lower()},
        ]
        for form in forms:
            der = client.status_for_request_data(**form, responder_url="http://never.contacted.invalid/ocsp")
            assert status_of(der) is x_ocsp.OCSPCertStatus.GOOD
        for alg in ("sha384", "sha512"):
            assert status_of(client.status_for_request_data(
                **request_data(world.revoked, alg), responder_url="")) is x_ocsp.OCSPCertStatus.REVOKED  # type: ignore[attr-defined]
        assert client.fetches == 0


def test_local_answers_check_the_store(world: World) -> None:
    """A client in another process (own services on the same store) sees a revocation at once."""
    from ca_store.services import open_services

    other = open_services(world.db_url, passphrase=PASSPHRASE)
    with httpx.Client() as http:
        client = OcspClient(other, allowed_hosts=[], http=http)
        leaf = world.new_leaf()
        data = request_data(leaf)
        assert status_of(client.status_for_request_data(**data, responder_url="")) is x_ocsp.OCSPCertStatus.GOOD
        world.svc.ra.revoke(leaf.record.serial, RevocationReason.AFFILIATION_CHANGED, requester="test")
        der = client.status_for_request_data(**data, responder_url="")
        assert status_of(der) is x_ocsp.OCSPCertStatus.REVOKED
        verified = client.verified(cert_id_for(leaf.certificate, leaf.chain[0]), der)
        assert verified.reason is RevocationReason.AFFILIATION_CHANGED and verified.delegated


def test_foreign_responses_are_fetched_verified_and_cached(world: World, foreign: tuple[Any, str]) -> None:
    pki_b, url = foreign
    leaf = pki_b.ra.issue_from_csr(csr_pem(make_csr("DE*FOR*E0001")), "secc", requester="test")
    issuer = leaf.chain[0]
    with httpx.Client() as http:
        client = OcspClient(world.app.responder, allowed_hosts=["127.0.0.1"], http=http, issuers=[issuer])
        der = client.status_for_certificate(leaf.certificate, issuer, url)
        assert status_of(der) is x_ocsp.OCSPCertStatus.GOOD
        assert client.fetches == 1
        again = client.status_for_request_data(**request_data(leaf), responder_url=url)
        assert again == der and client.fetches == 1  # cached until nextUpdate
        pki_b.ra.revoke(leaf.record.serial, RevocationReason.KEY_COMPROMISE, requester="test")
        fresh = OcspClient(None, allowed_hosts=["127.0.0.1"], http=http, issuers=[issuer])
        assert status_of(fresh.status_for_request_data(**request_data(leaf), responder_url=url)) \
            is x_ocsp.OCSPCertStatus.REVOKED
        # an unknown issuer key cannot be checked: the client refuses rather than trust the response
        blind = OcspClient(None, allowed_hosts=["127.0.0.1"], http=http)
        with pytest.raises(OcspError, match="not known"):
            blind.status_for_request_data(**request_data(leaf), responder_url=url)
        assert asyncio.run(fresh.astatus_for_request_data(**request_data(leaf), responder_url=url)) is not None


def test_hosts_off_the_allow_list_are_never_contacted(listener: tuple[int, list[object]], world: World) -> None:
    port, accepted = listener
    data = {"hash_algorithm": "SHA256", "issuer_name_hash": "00" * 32, "issuer_key_hash": "11" * 32,
            "serial_number": "1A2B"}
    with httpx.Client() as http:
        client = OcspClient(world.app.responder, allowed_hosts=["ocsp.example.com", "localhost"], http=http)
        for url in (f"http://127.0.0.1:{port}/ocsp", f"http://127.0.0.1:{port}", f"ftp://localhost:{port}/",
                    f"http://ocsp.example.com.127.0.0.1.nip.io:{port}/", "not a url"):
            with pytest.raises(OcspError, match="allow-list"):
                client.status_for_request_data(**data, responder_url=url)
        assert accepted == []
        allowed = OcspClient(None, allowed_hosts=[f"127.0.0.1:{port}"], http=http)
        with pytest.raises(OcspError):
            allowed.status_for_request_data(**data, responder_url=f"http://127.0.0.1:{port}/ocsp")
        assert len(accepted) >= 1  # the same URL, allow-listed, is contacted (proves the listener works)


def test_redirects_are_never_followed(listener: tuple[int, list[object]]) -> None:
    """An allow-listed responder that redirects elsewhere: the other host is not contacted, even through an
    ``httpx.Client`` the caller configured to follow redirects."""
    port, accepted = listener
    data = {"hash_algorithm": "SHA256", "issuer_name_hash": "00" * 32, "issuer_key_hash": "11" * 32,
            "serial_number": "1A2B"}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 302,
                    "headers": [(b"location", b"http://127.0.0.1:%d/ocsp" % port), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    with serve_in_thread(app) as url, httpx.Client(follow_redirects=True) as http:
        client = OcspClient(None, allowed_hosts=[url.removeprefix("http://")], http=http)
        with pytest.raises(OcspError, match="HTTP 302"):
            client.status_for_request_data(**data, responder_url=url + "/ocsp")
    assert accepted == []


def test_forged_and_mismatched_responses_are_rejected(world: World) -> None:
    leaf = world.good  # type: ignore[attr-defined]
    issuer = leaf.chain[0]
    cid = cert_id_for(leaf.certificate, issuer)
    stranger, key = self_signed_ca("Forger")
    now = datetime.now(UTC)
    forged = sign_single(Signer("x", key, stranger, delegated=True), cid, CertState(Status.GOOD), now,
                         now + timedelta(hours=1))
    other = x_ocsp.load_der_ocsp_response(world.app.responder.local_response(
        cert_id_for(world.revoked.certificate, issuer)) or b"")  # type: ignore[attr-defined]
    bodies = {"forged": forged, "other": other.public_bytes(Encoding.DER), "garbage": b"\x30\x03\x0a\x01\x06"}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = bodies[scope["path"].strip("/")]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/ocsp-response")]})
        await send({"type": "http.response.body", "body": body})

    with serve_in_thread(app) as url, httpx.Client() as http:
        client = OcspClient(None, allowed_hosts=["127.0.0.1"], http=http, issuers=[issuer])
        data = request_data(leaf)
        with pytest.raises(OcspError, match="not issued by the CA"):
            client.status_for_request_data(**data, responder_url=url + "/forged")
        with pytest.raises(OcspError, match="does not answer the CertID"):
            client.status_for_request_data(**data, responder_url=url + "/other")
        with pytest.raises(OcspError, match="unauthorized"):
            client.status_for_request_data(**data, responder_url=url + "/garbage")
        assert client.fetches == 3


@pytest.mark.parametrize("field,value,message", [
    ("hash_algorithm", "MD5", "hashAlgorithm"),
    ("hash_algorithm", "SHA1", "hashAlgorithm"),
    ("issuer_name_hash", "abcd", "issuerNameHash"),
    ("issuer_key_hash", "zz" * 32, "issuerKeyHash"),
    ("serial_number", "12G4", "serialNumber"),
    ("serial_number", "1" * 41, "serialNumber"),
])
def test_bad_request_data(world: World, field: str, value: str, message: str) -> None:
    data = {**request_data(world.good), field: value}  # type: ignore[attr-defined]
    with httpx.Client() as http:
        client = OcspClient(world.app.responder, allowed_hosts=[], http=http)
        with pytest.raises(OcspError, match=message):
            client.status_for_request_data(**data, responder_url="")
