"""EST enrolments per second over HTTP on loopback, beside in-process issuance measured in the same run.

    .venv/bin/python bench/http_enroll.py [--count N] [--concurrency C]

Both sides issue SECC leafs from the same kind of pre-generated CSRs through the same code
(``api.issuing.enroll``: CSR parse and proof of possession, authorisation, RA, signing, store commit with its
audit entry). The HTTP side adds what a CSMS sees: a uvicorn server in its own process (as ``pnc serve api``
runs it), bearer-token checks, base64 bodies and PKCS#7 answers, with C concurrent keep-alive clients.
Each side runs twice, interleaved, and the better round counts (the machine is shared). Target: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench passphrase, not a secret"
TARGET = 0.5

_SERVER = """
import sys, uvicorn
from api import create_app
from ca_store.services import open_services
services = open_services(sys.argv[1], passphrase=sys.argv[3].encode(), require_keys=True)
uvicorn.run(create_app(services), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def csr_bodies(count: int, start: int) -> list[bytes]:
    out = []
    for i in range(start, start + count):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"DE*ICE*E{i:07d}")])
        csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        out.append(base64.b64encode(csr.public_bytes(Encoding.DER)))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def in_process(services: object, bodies: list[bytes]) -> float:
    from api.issuing import enroll
    from api.settings import DEFAULT_EST_LABELS
    from pki.requester import Requester

    requester = Requester.of("bench", "csms", ["DE*ICE"])
    label = DEFAULT_EST_LABELS["cpo"]
    started = time.perf_counter()
    for body in bodies:
        enroll(services, requester, body, label)
    return len(bodies) / (time.perf_counter() - started)


def over_http(base_url: str, token: str, bodies: list[bytes], concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/pkcs10"}
    failures: list[str] = []
    lock = threading.Lock()
    queue = list(bodies)

    def worker() -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                r = client.post("/cpo/simpleenroll/ISO15118-2", content=body)
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} enrolments failed, first: {failures[0]}")
    return len(bodies) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="enrolments per round and side")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent HTTP clients")
    args = parser.parse_args()

    from ca_store import sqlite_url
    from ca_store.services import initialize
    from pki.cli.main import main as pnc

    with tempfile.TemporaryDirectory(prefix="pnc-bench-") as tmp:
        data_dir = Path(tmp) / "pki"
        url = sqlite_url(data_dir)
        services = initialize(url, passphrase=PASSPHRASE.encode())
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            pnc(["--data-dir", str(data_dir), "client", "add", "bench", "--role", "csms",
                 "--evse-operator-id", "DE*ICE", "--json"])
        client = json.loads(out.getvalue())
        rounds = [(csr_bodies(args.count, 2 * r * args.count), csr_bodies(args.count, (2 * r + 1) * args.count))
                  for r in range(2)]
        warmup = csr_bodies(20, 9_000_000)

        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([sys.executable, "-c", _SERVER, url, str(port), PASSPHRASE], env=env)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.1)
            token = httpx.post(f"{base_url}/oauth/token", json={
                "client_id": client["client_id"], "client_secret": client["client_secret"],
                "grant_type": "client_credentials"}).json()["access_token"]
            in_process(services, warmup[:10])
            over_http(base_url, token, warmup[10:], args.concurrency)
            local_rates, http_rates = [], []
            for local_bodies, http_bodies in rounds:
                local_rates.append(in_process(services, local_bodies))
                http_rates.append(over_http(base_url, token, http_bodies, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=10)

    local, http = max(local_rates), max(http_rates)
    ratio = http / local
    print(f"in-process issuance : {local:8.1f} certificates/s  (rounds: {', '.join(f'{r:.1f}' for r in local_rates)})")
    print(f"EST over HTTP       : {http:8.1f} enrolments/s    (rounds: {', '.join(f'{r:.1f}' for r in http_rates)};"
          f" {args.concurrency} keep-alive clients, loopback)")
    print(f"ratio HTTP / in-process: {ratio:.2f} (target >= {TARGET}) {'OK' if ratio >= TARGET else 'BELOW TARGET'}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
