"""`pnc serve` as an operator runs it: a child process on a free port, over a store made by the real CLI.

Combined (``pnc serve``: API and OCSP responder in one process behind the path dispatcher) and split
(``pnc serve api`` and ``pnc serve ocsp`` as two processes on one store). Checked from outside only: /health,
EST cacerts and enrolment, ``openssl ocsp`` against /ocsp, a CRL, revocations becoming visible (in-process
listener; the audit-log follower that only the OCSP lifespan starts), and a clean exit on SIGTERM (both
lifespans shut down).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.api.conftest import b64_der, openssl_pkcs7_certs, pnc
from tests.helpers import make_csr
from tests.servers import ServerProcess, free_port, serve_command

PASSPHRASE = "serve test passphrase"


@dataclass
class Store:
    env: dict[str, str]
    credentials: dict[str, tuple[str, str]]

    def serve(self, *service: str) -> tuple[list[str], int]:
        port = free_port()
        argv = [sys.executable, "-m", "pki.cli.main", "serve", *service, "--port", str(port), "--log-level", "info"]
        return argv, port

    def token(self, http: httpx.Client, name: str) -> dict[str, str]:
        client_id, secret = self.credentials[name]
        r = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                            "client_secret": secret})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from ca_store import sqlite_url
    from ca_store.services import initialize

    directory = tmp_path_factory.mktemp("serve")
    initialize(sqlite_url(directory / "data"), passphrase=PASSPHRASE.encode())
    credentials = {}
    for name, options in (("csms", ["--role", "csms", "--evse-operator-id", "DE*SRV"]),
                          ("operator", ["--role", "operator"])):
        code, output = pnc(directory / "data", "client", "add", name, *options, "--json")
        assert code == 0, output
        created = json.loads(output)
        credentials[name] = (created["client_id"], created["client_secret"])
    env = {"PNC_DATA_DIR": str(directory / "data"), "PNC_PASSPHRASE": PASSPHRASE, "PNC_DB_URL": ""}
    return Store(env, credentials)


class Chain:
    """cacerts of the default EST label, written for openssl: issuing CA, the sub-CAs, the root."""

    def __init__(self, certs: list[x509.Certificate], directory: Path) -> None:
        self.issuer, self.root = certs[0], certs[-1]
        self.files = {}
        for name, group in (("issuer", certs[:1]), ("chain", certs[:-1]), ("root", certs[-1:])):
            self.files[name] = directory / f"{name}.pem"
            self.files[name].write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in group))


def cacerts(http: httpx.Client, directory: Path) -> Chain:
    r = http.get("/.well-known/est/cacerts")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/pkcs7-mime")
    certs = openssl_pkcs7_certs(r.content, directory)
    assert len(certs) == 3 and certs[-1].subject == certs[-1].issuer  # Sub-CA 2, Sub-CA 1, root last
    return Chain(certs, directory)


def enroll(http: httpx.Client, headers: dict[str, str], cn: str, path: Path) -> x509.Certificate:
    r = http.post("/cpo/simpleenroll/ISO15118-2", content=b64_der(make_csr(cn)), headers=headers)
    assert r.status_code == 200, r.text
    (leaf,) = openssl_pkcs7_certs(r.content, path.parent)
    path.write_bytes(leaf.public_bytes(Encoding.PEM))
    return leaf


def openssl_ocsp(url: str, chain: Chain, leaf: Path, *extra: str) -> str:
    done = subprocess.run(["openssl", "ocsp", "-issuer", str(chain.files["issuer"]), "-cert", str(leaf),
                           "-url", url + "/ocsp", "-CAfile", str(chain.files["root"]),
                           "-verify_other", str(chain.files["chain"]), "-timeout", "10", *extra],
                          capture_output=True, text=True, timeout=30)
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "Response verify OK" in out, out
    return out


def status_within(url: str, chain: Chain, leaf: Path, wanted: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while True:
        out = openssl_ocsp(url, chain, leaf, "-no_nonce")
        if f"{leaf}: {wanted}" in out or time.monotonic() > deadline:
            return out
        time.sleep(0.2)


def assert_clean_exit(server: ServerProcess) -> None:
    """SIGTERM: uvicorn runs the lifespan shutdown (of both apps when combined), then re-raises the signal; a
    shutdown that hangs would be killed after 10 s instead."""
    assert server.stop() in (0, -signal.SIGTERM), server.output()
    assert "Application shutdown complete" in server.output()


def test_pnc_serve_runs_api_and_ocsp_in_one_process(store: Store, tmp_path: Path) -> None:
    argv, port = store.serve()
    with serve_command(argv, port, store.env) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/health").json() == {"status": "ok"}
        chain = cacerts(http, tmp_path)
        csms = store.token(http, "csms")
        leaf = enroll(http, csms, "DE*SRV*E0001", tmp_path / "leaf.pem")
        assert f"{tmp_path / 'leaf.pem'}: good" in openssl_ocsp(server.url, chain, tmp_path / "leaf.pem")

        # GET with the RFC 5019 cache headers of a pre-signed response
        subprocess.run(["openssl", "ocsp", "-issuer", str(chain.files["issuer"]), "-cert", str(tmp_path / "leaf.pem"),
                        "-no_nonce", "-reqout", str(tmp_path / "request.der")], capture_output=True, check=True)
        r = http.get("/ocsp/" + base64.b64encode((tmp_path / "request.der").read_bytes()).decode())
        assert r.status_code == 200 and r.headers["content-type"] == "application/ocsp-response"
        assert r.headers["cache-control"].startswith("max-age=") and r.headers["etag"]
        assert http.get("/crl/cpo-sub2.crl").headers["content-type"] == "application/pkix-crl"

        # revoked through the API of the same process: the very next answer says so
        r = http.post(f"/v1/certificates/{leaf.serial_number:x}/revoke", json={"reason": "keyCompromise"},
                      headers=store.token(http, "operator"))
        assert r.status_code == 200, r.text
        out = openssl_ocsp(server.url, chain, tmp_path / "leaf.pem", "-no_nonce")
        assert f"{tmp_path / 'leaf.pem'}: revoked" in out and "keyCompromise" in out

        # revoked by another process (the CLI): the audit-log follower of the OCSP lifespan picks it up
        other = enroll(http, csms, "DE*SRV*E0002", tmp_path / "other.pem")
        done = subprocess.run([sys.executable, "-m", "pki.cli.main", "cert", "revoke", f"{other.serial_number:x}",
                               "--reason", "superseded"], env={**os.environ, **store.env}, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        out = status_within(server.url, chain, tmp_path / "other.pem", "revoked", 10)
        assert f"{tmp_path / 'other.pem'}: revoked" in out and "superseded" in out
        assert_clean_exit(server)


def test_pnc_serve_api_and_ocsp_as_two_processes(store: Store, tmp_path: Path) -> None:
    api_argv, api_port = store.serve("api")
    ocsp_argv, ocsp_port = store.serve("ocsp")
    with serve_command(api_argv, api_port, store.env) as api, serve_command(ocsp_argv, ocsp_port, store.env) as ocsp, \
            httpx.Client(base_url=api.url, timeout=30) as http:
        assert http.get("/health").status_code == 200
        assert http.get("/ocsp/MAo=").status_code == 404  # not served by the API alone
        assert httpx.get(ocsp.url + "/health").status_code == 404  # nor the API by the responder
        chain = cacerts(http, tmp_path)
        leaf = enroll(http, store.token(http, "csms"), "DE*SRV*E0003", tmp_path / "leaf.pem")
        assert f"{tmp_path / 'leaf.pem'}: good" in openssl_ocsp(ocsp.url, chain, tmp_path / "leaf.pem")
        r = http.post(f"/v1/certificates/{leaf.serial_number:x}/revoke", json={"reason": "keyCompromise"},
                      headers=store.token(http, "operator"))
        assert r.status_code == 200, r.text
        out = status_within(ocsp.url, chain, tmp_path / "leaf.pem", "revoked", 10)
        assert f"{tmp_path / 'leaf.pem'}: revoked" in out and "keyCompromise" in out
        assert_clean_exit(ocsp)
        assert_clean_exit(api)


def test_the_dispatcher_fans_lifespan_out_and_reports_an_app_that_dies() -> None:
    import asyncio

    from pki.cli.serve_cmd import combined_app

    seen: list[str] = []

    async def good(scope: dict[str, object], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message["type"])
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return

    async def broken(scope: dict[str, object], receive: Any, send: Any) -> None:
        await receive()
        raise RuntimeError("no database")

    async def run(second: Any, events: list[str]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        inbox = [{"type": e} for e in events]

        async def receive() -> dict[str, Any]:
            return inbox.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(combined_app(good, second)({"type": "lifespan"}, receive, send), 5)
        return sent

    both = asyncio.run(run(good, ["lifespan.startup", "lifespan.shutdown"]))
    assert [m["type"] for m in both] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert seen == ["lifespan.startup"] * 2 + ["lifespan.shutdown"] * 2
    failed = asyncio.run(run(broken, ["lifespan.startup"]))
    assert failed[0]["type"] == "lifespan.startup.failed" and "no database" in failed[0]["message"]
