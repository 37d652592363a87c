"""EST enrolments per second over HTTP on loopback, beside in-process issuance measured in the same run.

    .venv/bin/python bench/http_enroll.py [--count N] [--concurrency C]

Both sides issue SECC leafs from the same kind of pre-generated CSRs through the same code
(``api.issuing.enroll``: CSR parse and proof of possession, authorisation, RA, signing, store commit with its
audit entry). The HTTP side adds what a CSMS sees: ``pnc serve api`` in its own process, bearer-token checks,
base64 bodies and PKCS#7 answers, with C concurrent keep-alive connections driven by a plain-socket load generator
(``bench.api_server.drive_raw``: an httpx client costs more CPU per request than the server on this 2-core machine).
Each side runs twice, interleaved, and the better round counts (the machine is shared). Target: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_server import BenchStore, drive_raw  # noqa: E402

TARGET = 0.5


def csr_bodies(count: int, start: int) -> list[bytes]:
    out = []
    for i in range(start, start + count):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"DE*ICE*E{i:07d}")])
        csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        out.append(base64.b64encode(csr.public_bytes(Encoding.DER)))
    return out


def in_process(services: Any, bodies: list[bytes]) -> float:
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
    return len(bodies) / drive_raw(base_url, headers, "/cpo/simpleenroll/ISO15118-2", bodies, concurrency)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="enrolments per round and side")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent HTTP clients")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pnc-bench-") as tmp:
        bench = BenchStore.create(Path(tmp))
        rounds = [(csr_bodies(args.count, 2 * r * args.count), csr_bodies(args.count, (2 * r + 1) * args.count))
                  for r in range(2)]
        warmup = csr_bodies(20, 9_000_000)
        with bench.api_server() as (base_url, token):
            in_process(bench.services, warmup[:10])
            over_http(base_url, token, warmup[10:], args.concurrency)
            local_rates, http_rates = [], []
            for local_bodies, http_bodies in rounds:
                local_rates.append(in_process(bench.services, local_bodies))
                http_rates.append(over_http(base_url, token, http_bodies, args.concurrency))

    local, http = max(local_rates), max(http_rates)
    ratio = http / local
    print(f"in-process issuance : {local:8.1f} certificates/s  (rounds: {', '.join(f'{r:.1f}' for r in local_rates)})")
    print(f"EST over HTTP       : {http:8.1f} enrolments/s    (rounds: {', '.join(f'{r:.1f}' for r in http_rates)};"
          f" {args.concurrency} keep-alive clients, loopback)")
    print(f"ratio HTTP / in-process: {ratio:.2f} (target >= {TARGET}) {'OK' if ratio >= TARGET else 'BELOW TARGET'}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
