"""A real uvicorn server on a free loopback port, serving ``api.create_app`` over a fresh PKI (one per test
session and worker), plus clients created through the real ``pnc client add`` command."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.conftest import PASSPHRASE
from tests.servers import serve_in_thread

CLIENTS: dict[str, list[str]] = {
    "csms-ice": ["--role", "csms", "--evse-operator-id", "DE*ICE", "--organization", "ICE Charging GmbH"],
    "csms-abc": ["--role", "csms", "--evse-operator-id", "DE-ABC"],
    "operator": ["--role", "operator"],
    "mo": ["--role", "mo"],
    "oem": ["--role", "oem"],
}


def pnc(data_dir: Path, *argv: str) -> tuple[int, str]:
    from pki.cli.main import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--data-dir", str(data_dir), *argv])
    return code, buffer.getvalue()


@dataclass
class ApiServer:
    base_url: str
    services: Any
    data_dir: Path
    credentials: dict[str, tuple[str, str]]  # name -> (client_id, secret)
    http: httpx.Client
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str) -> str:
        if name not in self._tokens:
            client_id, secret = self.credentials[name]
            r = self.http.post("/oauth/token", json={"grant_type": "client_credentials", "client_id": client_id,
                                                      "client_secret": secret})
            assert r.status_code == 200, r.text
            self._tokens[name] = r.json()["access_token"]
        return self._tokens[name]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}

    def snapshot(self) -> tuple[int, int]:
        """(number of stored certificates, number of audit entries): unchanged by a refused request."""
        store = self.services.store
        return len(store.list_certificates()), sum(1 for _ in store.audit_entries())


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    from api import ApiSettings, create_app
    from ca_store import sqlite_url
    from ca_store.services import initialize

    data_dir = tmp_path_factory.mktemp("api-pki")
    services = initialize(sqlite_url(data_dir), passphrase=PASSPHRASE)
    credentials = {}
    for name, options in CLIENTS.items():
        code, output = pnc(data_dir, "client", "add", name, *options, "--json")
        assert code == 0, output
        created = json.loads(output)
        credentials[name] = (created["client_id"], created["client_secret"])
    settings = ApiSettings(client_recheck=timedelta(0), client_cert_header="X-SSL-Client-Cert")
    with serve_in_thread(create_app(services, settings=settings)) as base_url, \
            httpx.Client(base_url=base_url, timeout=30) as http:
        yield ApiServer(base_url, services, data_dir, credentials, http)


# -- helpers for assertions ----------------------------------------------------------------------------------

def openssl_pkcs7_certs(body: bytes, tmp_path: Path) -> list[x509.Certificate]:
    """Parse a base64 PKCS#7 answer with ``openssl pkcs7 -print_certs``; certificates in the file's order."""
    der = base64.b64decode(b"".join(body.split()), validate=True)
    path = tmp_path / "answer.p7b"
    path.write_bytes(der)
    result = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-in", str(path), "-print_certs"],
                            capture_output=True, text=True, check=True)
    return x509.load_pem_x509_certificates(result.stdout.encode())


def openssl_verify(leaf: x509.Certificate, chain: list[x509.Certificate], root: x509.Certificate,
                   tmp_path: Path) -> subprocess.CompletedProcess[str]:
    files = {}
    for name, certs in (("leaf", [leaf]), ("chain", chain), ("root", [root])):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certs))
    argv = ["openssl", "verify", "-CAfile", str(files["root"])]
    if chain:
        argv += ["-untrusted", str(files["chain"])]
    return subprocess.run([*argv, str(files["leaf"])], capture_output=True, text=True)


def cn_of(cert: x509.Certificate) -> str:
    value = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    return value if isinstance(value, str) else value.decode()


def b64_der(csr: x509.CertificateSigningRequest) -> bytes:
    """The Hubject/OPCP request body: base64 of the DER CSR, one line."""
    return base64.b64encode(csr.public_bytes(Encoding.DER))
