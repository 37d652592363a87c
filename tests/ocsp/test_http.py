"""HTTP behaviour of the responder: bad input, size cap, caching headers, 304, signer modes."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest
from asn1crypto import ocsp as a_ocsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x_ocsp

from ocsp.app import OcspApp
from ocsp.settings import OcspSettings
from tests.ocsp.conftest import World
from tests.ocsp.server import self_signed_ca
from tests.servers import serve_in_thread

MALFORMED = bytes.fromhex("30030a0101")
UNAUTHORIZED = bytes.fromhex("30030a0106")


def request_for(world: World, issued: object, alg: hashes.HashAlgorithm | None = None,
                nonce: bytes | None = None) -> bytes:
    alg = alg or hashes.SHA1()
    builder = x_ocsp.OCSPRequestBuilder().add_certificate(
        issued.certificate, world.ca_cert("cpo-sub2"), alg  # type: ignore[attr-defined]
    )
    if nonce is not None:
        from cryptography import x509

        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def many_cert_ids(world: World, count: int) -> bytes:
    issuer = world.ca_cert("cpo-sub2")
    name_hash = hashlib.sha256(issuer.subject.public_bytes()).digest()
    key_bits = issuer.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    key_hash = hashlib.sha256(key_bits).digest()
    serials = [world.good.record.serial] + [int.from_bytes(os.urandom(16)) for _ in range(count - 1)]  # type: ignore[attr-defined]
    requests = [{"req_cert": {"hash_algorithm": {"algorithm": "sha256"}, "issuer_name_hash": name_hash,
                              "issuer_key_hash": key_hash, "serial_number": s}} for s in serials]
    return bytes(a_ocsp.OCSPRequest({"tbs_request": {"request_list": requests}}).dump())


def post(world: World, body: bytes, content_type: str = "application/ocsp-request") -> httpx.Response:
    return httpx.post(world.ocsp_url, content=body, headers={"content-type": content_type}, timeout=10)


def test_bad_inputs_always_get_a_well_formed_ocsp_response(world: World) -> None:
    good = request_for(world, world.good)  # type: ignore[attr-defined]
    stranger, _ = self_signed_ca("Stranger CA")
    unknown_issuer = x_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        hashlib.sha1(stranger.subject.public_bytes()).digest(), b"\x01" * 20, 5, hashes.SHA1()
    ).build().public_bytes(serialization.Encoding.DER)
    cases = {
        "empty body": (b"", MALFORMED),
        "random bytes": (os.urandom(300), MALFORMED),
        "truncated DER": (good[:-7], MALFORMED),
        "trailing garbage": (good + b"\x00", MALFORMED),
        "unknown issuer": (unknown_issuer, UNAUTHORIZED),
    }
    for label, (body, expected) in cases.items():
        response = post(world, body)
        assert response.status_code == 200, label
        assert response.headers["content-type"] == "application/ocsp-response", label
        assert response.content == expected, label
        x_ocsp.load_der_ocsp_response(response.content)
    # a wrong content type is tolerated (RFC 6960 App. A asks for application/ocsp-request; Boulder ignores it)
    wrong_type = post(world, good, "text/plain")
    assert x_ocsp.load_der_ocsp_response(wrong_type.content).certificate_status is x_ocsp.OCSPCertStatus.GOOD
    not_base64 = httpx.get(world.ocsp_url + "/%%%not*base64!!!", timeout=10)
    assert not_base64.status_code == 200 and not_base64.content == MALFORMED
    not_der = httpx.get(world.ocsp_url + "/" + base64.b64encode(b"hello world").decode(), timeout=10)
    assert not_der.content == MALFORMED
    # transport errors are 4xx, never 500
    assert httpx.put(world.ocsp_url, content=good, timeout=10).status_code == 405
    assert httpx.get(world.ocsp_url, timeout=10).status_code == 405
    assert httpx.get(world.url + "/elsewhere", timeout=10).status_code == 404
    # and the responder keeps serving
    assert x_ocsp.load_der_ocsp_response(post(world, good).content).certificate_status is x_ocsp.OCSPCertStatus.GOOD


def test_one_mebibyte_body_is_refused_without_reading_it(world: World) -> None:
    port = int(world.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                     b"Content-Length: 1048576\r\n\r\n" + b"\x30" * 1000)  # 1,000 of 1,048,576 bytes sent
        started = time.monotonic()
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(MALFORMED):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        assert time.monotonic() - started < 5  # answered while the body is still outstanding
    assert data.startswith(b"HTTP/1.1 200")
    assert data.endswith(MALFORMED)
    full = post(world, b"\x30\x82" + os.urandom(1024 * 1024))
    assert full.content == MALFORMED


def test_websocket_upgrade_is_refused_not_a_500(world: World) -> None:
    port = int(world.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /ocsp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 403")


def test_hundred_cert_ids_are_all_answered(world: World) -> None:
    response = post(world, many_cert_ids(world, 100))
    parsed = x_ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status is x_ocsp.OCSPResponseStatus.SUCCESSFUL
    singles = list(parsed.responses)
    assert len(singles) == 100
    assert singles[0].certificate_status is x_ocsp.OCSPCertStatus.GOOD
    assert {s.certificate_status for s in singles[1:]} == {x_ocsp.OCSPCertStatus.UNKNOWN}
    too_many = post(world, many_cert_ids(world, 129))
    assert too_many.content == MALFORMED


def test_cache_headers_and_304(world: World) -> None:
    der = request_for(world, world.good, hashes.SHA256())  # type: ignore[attr-defined]
    path = world.ocsp_url + "/" + base64.b64encode(der).decode()
    response = httpx.get(path, timeout=10)
    parsed = x_ocsp.load_der_ocsp_response(response.content)
    headers = response.headers
    assert headers["etag"] == '"' + hashlib.sha256(response.content).hexdigest() + '"'
    assert parsedate_to_datetime(headers["last-modified"]) == parsed.this_update_utc
    assert parsedate_to_datetime(headers["expires"]) == parsed.next_update_utc
    max_age = int(headers["cache-control"].split("max-age=")[1].split(",")[0])
    expected = (parsed.next_update_utc - datetime.now(UTC)).total_seconds()
    assert abs(max_age - expected) < 5
    assert "public" in headers["cache-control"] and "must-revalidate" in headers["cache-control"]
    # pre-signed: thisUpdate -> nextUpdate is the configured 4 days
    assert (parsed.next_update_utc - parsed.this_update_utc).total_seconds() == 4 * 86400
    again = httpx.get(path, headers={"if-none-match": headers["etag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert httpx.get(path, headers={"if-none-match": '"other"'}, timeout=10).status_code == 200
    live = post(world, request_for(world, world.good, nonce=os.urandom(32)))  # type: ignore[attr-defined]
    assert "etag" not in live.headers
    assert "no-cache" in live.headers["cache-control"]


def test_nonce_length_rules(world: World) -> None:
    for size, accepted in ((1, True), (32, True), (128, True), (129, False)):
        nonce = os.urandom(size)
        response = x_ocsp.load_der_ocsp_response(post(world, request_for(world, world.good, nonce=nonce)).content)  # type: ignore[attr-defined]
        if accepted:
            from cryptography import x509

            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            assert echoed == nonce
        else:
            assert response.response_status is x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_ca_signed_mode_and_extended_revoked(world: World) -> None:
    settings = OcspSettings(signer="ca", unknown_policy="revoked")
    app = OcspApp(world.svc, settings)
    with serve_in_thread(app) as url:
        base = ["openssl", "ocsp", "-issuer", str(world.files["issuer"]), "-CAfile", str(world.files["root"]),
                "-verify_other", str(world.files["untrusted"]), "-url", url + "/ocsp"]
        run = subprocess.run([*base, "-cert", str(world.files["good"]), "-resp_text"],
                             capture_output=True, text=True, check=False)
        assert "Response verify OK" in run.stderr, run.stderr
        assert f"{world.files['good']}: good" in run.stdout
        assert "Certificate:" not in run.stdout  # CA-signed: no certificate embedded
        run = subprocess.run([*base, "-serial", "0x5EED", "-no_nonce", "-resp_text"],
                             capture_output=True, text=True, check=False)
        assert "Response verify OK" in run.stderr, run.stderr
        assert "0x5EED: revoked" in run.stdout
        assert "Revocation Time: Jan  1 00:00:00 1970 GMT" in run.stdout
        assert "Reason: certificateHold" in run.stdout
        unissued = x_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            hashlib.sha1(world.ca_cert("cpo-sub2").subject.public_bytes()).digest(),
            x_ocsp.load_der_ocsp_request(request_for(world, world.good)).issuer_key_hash,  # type: ignore[attr-defined]
            0x5EED, hashes.SHA1(),
        ).build().public_bytes(serialization.Encoding.DER)
        response = x_ocsp.load_der_ocsp_response(httpx.post(url + "/ocsp", content=unissued, timeout=10).content)
        assert response.certificate_status is x_ocsp.OCSPCertStatus.REVOKED
        assert [e.oid.dotted_string for e in response.extensions] == ["1.3.6.1.5.5.7.48.1.9"]  # RFC 6960 §4.4.8
        assert response.certificates == []
