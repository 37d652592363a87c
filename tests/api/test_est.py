"""EST over a real socket: every path variant of pnc_http_apis.md §6.2 and the client quirks of §7."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.api.conftest import ApiServer, b64_der, cn_of, openssl_pkcs7_certs, openssl_verify
from tests.helpers import make_csr, make_key

PKCS7 = "application/pkcs7-mime; smime-type=certs-only"

ENROLL_PATHS = [
    "/.well-known/est/simpleenroll",  # RFC 7030, no label: default CA
    "/.well-known/est/cpo/simpleenroll",  # RFC 7030 label
    "/.well-known/est/cpo/simpleenroll/ISO15118-2",  # OPCP est.v1.json
    "/.well-known/cpo/simpleenroll",  # CitrineOS (2026), EVerest libopcp
    "/.well-known/cpo/simpleenroll/ISO15118-2",
    "/cpo/simpleenroll",  # OPCP 1.0.0 original
    "/cpo/simpleenroll/ISO15118-2",  # MaEVe, CitrineOS (before 2026)
    "/cpo/simpleenroll/ISO15118-2/secp256r1/",
    "/opnc/v1/pki/est/simpleenroll?caDomain=cpo&iso15118Version=ISO15118-2",  # CharIN OPNC
]

CACERTS_PATHS = [
    "/.well-known/est/cacerts",
    "/.well-known/est/cpo/cacerts",
    "/.well-known/est/cpo/cacerts/ISO15118-2",
    "/.well-known/cpo/cacerts",  # CitrineOS
    "/cpo/cacerts",
    "/cpo/cacerts/ISO15118-2",  # MaEVe
    "/cpo/cacerts/ISO15118-2/secp256r1/",  # OPCP spec, EVerest (trailing slash)
    "/cpo/cacerts/ISO15118-2/secp256r1",
    "/opnc/v1/pki/est/cacerts?caDomain=cpo&iso15118Version=ISO15118-2",
]

_counter = iter(range(10_000))


def evse_id() -> str:
    return f"DE*ICE*E{next(_counter):05d}*1"


def cacerts(api: ApiServer, tmp_path: Path) -> list[x509.Certificate]:
    r = api.http.get("/cpo/cacerts/ISO15118-2")
    assert r.status_code == 200
    return openssl_pkcs7_certs(r.content, tmp_path)


@pytest.mark.parametrize("path", ENROLL_PATHS)
def test_enroll_on_every_path_variant(api: ApiServer, path: str, tmp_path: Path) -> None:
    cn = evse_id()
    r = api.http.post(path, content=b64_der(make_csr(cn)),
                      headers={**api.auth("csms-ice"), "Content-Type": "application/pkcs10"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == PKCS7
    certs = openssl_pkcs7_certs(r.content, tmp_path)
    assert [cn_of(c) for c in certs] == [cn]  # the leaf only
    chain = cacerts(api, tmp_path)
    result = openssl_verify(certs[0], chain[:-1], chain[-1], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    record = api.services.store.get_certificate(certs[0].serial_number)
    assert record.profile == "secc" and record.requester == "client:csms-ice"


@pytest.mark.parametrize("path", CACERTS_PATHS)
def test_cacerts_on_every_path_variant_root_last(api: ApiServer, path: str, tmp_path: Path) -> None:
    r = api.http.get(path)  # no token: RFC 7030 §3.2.3 cacerts SHOULD NOT require authentication
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == PKCS7
    certs = openssl_pkcs7_certs(r.content, tmp_path)
    assert [cn_of(c) for c in certs] == ["CPO Sub-CA 2", "CPO Sub-CA 1", "V2G Root CA"]
    assert certs[-1].issuer == certs[-1].subject  # root last, self-signed


def test_cacerts_of_the_mo_and_oem_labels(api: ApiServer, tmp_path: Path) -> None:
    for label, names in (("mo", ["MO Sub-CA 2", "MO Sub-CA 1", "MO Root CA"]),
                         ("oem", ["OEM Sub-CA 2", "OEM Sub-CA 1", "OEM Root CA"])):
        r = api.http.get(f"/{label}/cacerts/ISO15118-2")
        assert r.status_code == 200
        assert [cn_of(c) for c in openssl_pkcs7_certs(r.content, tmp_path)] == names


def test_maeve_enroll_and_cacerts(api: ApiServer, tmp_path: Path) -> None:
    """MaEVe charge_station_certificate_provider.go: Bearer plus x-api-key with the same token, base64 DER
    body; it decodes with Go's base64.StdEncoding (ignores line breaks) and pkcs7.Parse, leaf = element 0."""
    token = api.token("csms-ice")
    headers = {"authorization": f"Bearer {token}", "x-api-key": token, "content-type": "application/pkcs10"}
    cn = evse_id()
    r = api.http.post("/cpo/simpleenroll/ISO15118-2", content=b64_der(make_csr(cn)), headers=headers)
    assert r.status_code == 200, r.text
    leaf = openssl_pkcs7_certs(r.content, tmp_path)[0]
    assert cn_of(leaf) == cn
    r = api.http.get("/cpo/cacerts/ISO15118-2", headers={"authorization": f"Bearer {token}", "x-api-key": token})
    assert r.status_code == 200
    chain = openssl_pkcs7_certs(r.content, tmp_path)
    # MaEVe builds leaf -> issuer by subject matching and skips self-signed certificates.
    by_subject = {c.subject: c for c in chain if c.issuer != c.subject}
    walked, current = [], leaf
    while current.issuer in by_subject:
        current = by_subject[current.issuer]
        walked.append(cn_of(current))
    assert walked == ["CPO Sub-CA 2", "CPO Sub-CA 1"]


def test_citrineos_enroll_with_accept_pkcs10_and_pem_body(api: ApiServer, tmp_path: Path) -> None:
    """CitrineOS hubject.ts: body = the PEM with header, footer and newlines stripped; Accept:
    application/pkcs10 (sic) must not cause 406; the answer's element [0] is the leaf."""
    cn = evse_id()
    pem = make_csr(cn).public_bytes(Encoding.PEM).decode()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    headers = {**api.auth("csms-ice"), "Accept": "application/pkcs10", "Content-Type": "application/pkcs10"}
    for path in ("/.well-known/cpo/simpleenroll", "/cpo/simpleenroll/ISO15118-2"):
        r = api.http.post(path, content=body.encode(), headers=headers)
        assert r.status_code == 200, r.text
        assert cn_of(openssl_pkcs7_certs(r.content, tmp_path)[0]) == cn


def test_citrineos_cacerts_root_is_last(api: ApiServer, tmp_path: Path) -> None:
    """CitrineOS takes .pop() as the V2G root for InstallCertificate and .slice(0,-1) as the chain."""
    headers = {**api.auth("csms-ice"), "Accept": "application/pkcs10, application/pkcs7",
               "Content-Transfer-Encoding": "application/pkcs10"}
    r = api.http.get("/.well-known/cpo/cacerts", headers=headers)
    assert r.status_code == 200
    certs = openssl_pkcs7_certs(r.content, tmp_path)
    root, chain = certs[-1], certs[:-1]
    assert cn_of(root) == "V2G Root CA" and root.issuer == root.subject
    assert all(c.issuer != c.subject for c in chain)


def test_everest_enroll_headers_and_trailing_slash_cacerts(api: ApiServer, tmp_path: Path) -> None:
    """EVerest libopcp est_client.cpp: Content-Transfer-Encoding: base64, Accept: application/pkcs7-mime;
    cacerts on /cpo/cacerts/ISO15118-2/secp256r1/ with the trailing slash, answered without a redirect."""
    cn = evse_id()
    headers = {**api.auth("csms-ice"), "Content-Type": "application/pkcs10",
               "Content-Transfer-Encoding": "base64", "Accept": "application/pkcs7-mime"}
    r = api.http.post("/.well-known/cpo/simpleenroll", content=b64_der(make_csr(cn)), headers=headers)
    assert r.status_code == 200, r.text
    r = api.http.get("/cpo/cacerts/ISO15118-2/secp256r1/", follow_redirects=False)
    assert r.status_code == 200
    assert len(openssl_pkcs7_certs(r.content, tmp_path)) == 3


def test_everest_iso15118_20_paths_answer_a_clear_404(api: ApiServer) -> None:
    """EVerest's ISO 15118-20 forms are routed, but this PKI runs only the -2 (P-256) hierarchy."""
    r = api.http.get("/cpo/cacerts/ISO15118-20/secp521r1/")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
    assert "ISO15118-20" in r.text
    r = api.http.post("/.well-known/cpo/simplereenroll/ISO15118-20", content=b"x", headers=api.auth("csms-ice"))
    assert r.status_code == 404 and "ISO15118-20" in r.text


def test_everest_reenroll_with_forwarded_client_certificate(api: ApiServer, tmp_path: Path) -> None:
    """EVerest renews with simplereenroll authenticated by the still-valid leaf (mTLS). uvicorn cannot see
    the peer certificate, so the TLS proxy forwards it (URL-encoded PEM); no bearer token is sent."""
    from urllib.parse import quote

    cn = evse_id()
    key = make_key()
    r = api.http.post("/.well-known/cpo/simpleenroll", content=b64_der(make_csr(cn, key=key)),
                      headers=api.auth("csms-ice"))
    old = openssl_pkcs7_certs(r.content, tmp_path)[0]
    forwarded = quote(old.public_bytes(Encoding.PEM).decode())
    # New key: re-key, recorded as replacing the old certificate.
    r = api.http.post("/.well-known/cpo/simplereenroll", content=b64_der(make_csr(cn)),
                      headers={"X-SSL-Client-Cert": forwarded})
    assert r.status_code == 200, r.text
    new = openssl_pkcs7_certs(r.content, tmp_path)[0]
    assert cn_of(new) == cn and new.serial_number != old.serial_number
    record = api.services.store.get_certificate(new.serial_number)
    assert record.replaces == old.serial_number
    # Same key: renewal.
    r = api.http.post("/.well-known/cpo/simplereenroll", content=b64_der(make_csr(cn, key=key)),
                      headers={"X-SSL-Client-Cert": forwarded})
    assert r.status_code == 200, r.text
    renewed = openssl_pkcs7_certs(r.content, tmp_path)[0]
    assert renewed.public_key() == old.public_key()


def test_reenroll_with_a_foreign_or_changed_certificate_is_refused(api: ApiServer, tmp_path: Path) -> None:
    from urllib.parse import quote

    cn = evse_id()
    r = api.http.post("/.well-known/cpo/simpleenroll", content=b64_der(make_csr(cn)), headers=api.auth("csms-ice"))
    cert = openssl_pkcs7_certs(r.content, tmp_path)[0]
    before = api.snapshot()
    # A CSR for another CN than the presented certificate's.
    r = api.http.post("/.well-known/cpo/simplereenroll", content=b64_der(make_csr(evse_id())),
                      headers={"X-SSL-Client-Cert": quote(cert.public_bytes(Encoding.PEM).decode())})
    assert r.status_code == 400 and "CN" in r.text
    # One of our certificates that is no SECC leaf (the V2G root), and one we never issued.
    root = cacerts(api, tmp_path)[-1]
    for foreign in (root, self_signed(cn)):
        r = api.http.post("/.well-known/cpo/simplereenroll", content=b64_der(make_csr(cn)),
                          headers={"X-SSL-Client-Cert": quote(foreign.public_bytes(Encoding.PEM).decode())})
        assert r.status_code == 403, r.text
    assert api.snapshot() == before


def self_signed(cn: str) -> x509.Certificate:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes

    key = make_key()
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))


def test_opcp_spec_path_with_namespace_query(api: ApiServer, tmp_path: Path) -> None:
    cn = evse_id()
    r = api.http.post("/.well-known/est/cpo/simpleenroll/ISO15118-2",
                      params={"xsdMsgDefNamespace": "urn:iso:15118:2:2013:MsgDef"},
                      content=b64_der(make_csr(cn)), headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("encoding", ["pem", "der", "base64-crlf-64", "base64-urlsafe"])
def test_enroll_body_encodings(api: ApiServer, encoding: str, tmp_path: Path) -> None:
    csr = make_csr(evse_id())
    der = csr.public_bytes(Encoding.DER)
    text = base64.b64encode(der)
    body = {
        "pem": csr.public_bytes(Encoding.PEM),
        "der": der,
        "base64-crlf-64": b"\r\n".join(text[i:i + 64] for i in range(0, len(text), 64)) + b"\r\n",
        "base64-urlsafe": base64.urlsafe_b64encode(der),
    }[encoding]
    r = api.http.post("/.well-known/est/simpleenroll", content=body, headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text


def test_raw_der_body_whose_signature_ends_in_a_whitespace_byte(api: ApiServer) -> None:
    """Raw DER is binary: its last byte may be 0x09-0x0d or 0x20, which a text strip() would cut off."""
    while True:
        der = make_csr(cn := evse_id()).public_bytes(Encoding.DER)
        if der[-1:].isspace():
            break
    r = api.http.post("/.well-known/est/simpleenroll", content=der, headers=api.auth("csms-ice"))
    assert r.status_code == 200, (cn, r.text)


def test_enroll_answer_is_base64_in_76_columns(api: ApiServer) -> None:
    r = api.http.post("/.well-known/est/simpleenroll", content=b64_der(make_csr(evse_id())),
                      headers=api.auth("csms-ice"))
    lines = r.content.split(b"\n")
    assert all(len(line) <= 76 for line in lines) and len(lines[0]) == 76
    assert r.headers["content-transfer-encoding"] == "base64"


def test_csrattrs(api: ApiServer, tmp_path: Path) -> None:
    r = api.http.get("/.well-known/est/csrattrs")
    assert r.status_code == 200 and r.headers["content-type"] == "application/csrattrs"
    path = tmp_path / "attrs.der"
    path.write_bytes(base64.b64decode(b"".join(r.content.split())))
    parsed = subprocess.run(["openssl", "asn1parse", "-inform", "DER", "-in", str(path)],
                            capture_output=True, text=True, check=True).stdout
    assert "id-ecPublicKey" in parsed and "prime256v1" in parsed and "ecdsa-with-SHA256" in parsed


def test_enroll_under_a_cacerts_only_label_is_404(api: ApiServer) -> None:
    before = api.snapshot()
    r = api.http.post("/mo/simpleenroll/ISO15118-2", content=b64_der(make_csr(evse_id())),
                      headers=api.auth("operator"))
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
    assert api.snapshot() == before


def test_operator_may_enroll_for_any_evse_operator(api: ApiServer, tmp_path: Path) -> None:
    r = api.http.post("/.well-known/est/simpleenroll", content=b64_der(make_csr("NL*XYZ*E1")),
                      headers=api.auth("operator"))
    assert r.status_code == 200, r.text
    assert cn_of(openssl_pkcs7_certs(r.content, tmp_path)[0]) == "NL*XYZ*E1"


def test_secc_id_common_name_under_csms_operator(api: ApiServer, tmp_path: Path) -> None:
    cn = "DE-ICE-S-00003C4D557878675645330967543476-2"
    r = api.http.post("/.well-known/est/simpleenroll", content=b64_der(make_csr(cn)),
                      headers=api.auth("csms-ice"))
    assert r.status_code == 200, r.text
    assert cn_of(openssl_pkcs7_certs(r.content, tmp_path)[0]) == cn


def test_forwarded_certificate_only_from_the_proxy(api: ApiServer, tmp_path: Path) -> None:
    """The forwarded-certificate header is honoured only from the configured proxy addresses."""
    from urllib.parse import quote

    import httpx

    from api import ApiSettings, create_app
    from tests.servers import serve_in_thread

    cn = evse_id()
    r = api.http.post("/.well-known/cpo/simpleenroll", content=b64_der(make_csr(cn)), headers=api.auth("csms-ice"))
    cert = openssl_pkcs7_certs(r.content, tmp_path)[0]
    settings = ApiSettings(client_cert_header="X-SSL-Client-Cert", client_cert_proxies=frozenset({"192.0.2.1"}))
    with serve_in_thread(create_app(api.services, settings=settings)) as base_url:
        before = api.snapshot()
        r = httpx.post(f"{base_url}/.well-known/cpo/simplereenroll", content=b64_der(make_csr(cn)),
                       headers={"X-SSL-Client-Cert": quote(cert.public_bytes(Encoding.PEM).decode())})
        assert r.status_code == 403 and "proxy" in r.text
        assert api.snapshot() == before


@pytest.mark.parametrize(("path", "expected"), [
    ("/.well-known/est/simpleenroll", ("simpleenroll", None, None, None, False)),
    ("/.well-known/est/cpo/cacerts/", ("cacerts", "cpo", None, None, False)),
    ("/.well-known/est/qa-cpo/simpleenroll/ISO15118-2", ("simpleenroll", "qa-cpo", "ISO15118-2", None, False)),
    ("/.well-known/cpo/simplereenroll", ("simplereenroll", "cpo", None, None, False)),
    ("/cpo/cacerts/ISO15118-2/secp256r1/", ("cacerts", "cpo", "ISO15118-2", "secp256r1", False)),
    ("/opnc/v1/pki/est/csrattrs", ("csrattrs", None, None, None, True)),
    ("/cpo/enroll", None),
    ("/a/b/cpo/cacerts", None),
])
def test_every_est_path_variant_parses(path: str, expected: object) -> None:
    from api.est import parse_est_path

    assert parse_est_path(path) == expected


def test_slug_label_falls_back_to_its_role(api: ApiServer) -> None:
    r = api.http.get("/.well-known/est/qa-cpo/cacerts")
    assert r.status_code == 200
    assert api.http.get("/.well-known/est/qa-xyz/cacerts").status_code == 404


def test_wrong_method_on_fixed_paths_is_405_not_404(api: ApiServer) -> None:
    assert api.http.get("/oauth/token").status_code == 405
    assert api.http.post("/cpo/cacerts").status_code == 405
    assert api.http.get("/no/such/thing").status_code == 404
