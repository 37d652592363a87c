"""Issuance throughput through the whole path (CSR check, policy, lint, sign, commit) on SQLite and on
PostgreSQL, beside the raw P-256 sign+verify rate of the same machine in the same run.

Target (issue 2): whole-path rate >= 0.25 x raw sign+verify rate on SQLite.
Run: .venv/bin/python bench/issuance.py [--n 400] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ca_store import SqlStore, sqlite_url  # noqa: E402
from ca_store.services import initialize  # noqa: E402

__all__ = ["main", "raw_rate", "whole_path_rate"]

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def raw_rate(seconds: float = 1.5) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key()
    data = b"x" * 600
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
        pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        n += 1
    return n / (time.perf_counter() - start)


def csrs(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        key = ec.generate_private_key(ec.SECP256R1())
        b = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"DE*PNC*E{i:06d}")]))
        out.append(b.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM))
    return out


def whole_path_rate(url: str, requests: list[bytes]) -> float:
    """Certificates per second on a fresh store at ``url`` (a PostgreSQL schema is dropped afterwards)."""
    svc = initialize(url, passphrase=b"bench")
    store = svc.store
    assert isinstance(store, SqlStore)
    try:
        svc.ra.issue_from_csr(requests[0], "secc", requester="bench")  # warm: key unlock, caches
        start = time.perf_counter()
        for csr in requests[1:]:
            svc.ra.issue_from_csr(csr, "secc", requester="bench")
        return (len(requests) - 1) / (time.perf_counter() - start)
    finally:
        store.close()
        if store.target.schema is not None:
            with store.engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{store.target.schema}" CASCADE')
            store.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    requests = csrs(args.n + 1)
    raw = raw_rate()
    rows: list[tuple[str, float, float | None]] = [("raw P-256 sign+verify (same run)", raw, None)]
    sqlite = whole_path_rate(sqlite_url(Path(tempfile.mkdtemp(prefix="bench-"))), requests)
    rows.append(("issuance, SQLite file (WAL)", sqlite, sqlite / raw))
    try:
        pg = whole_path_rate(f"{args.pg_url}?schema=bench_{uuid.uuid4().hex[:8]}", requests)
        rows.append(("issuance, PostgreSQL", pg, pg / raw))
    except Exception as exc:  # noqa: BLE001 - report and go on
        rows.append((f"issuance, PostgreSQL: unavailable ({type(exc).__name__}: {exc})"[:100], 0.0, None))
    print(f"{'path':<44}{'per second':>12}{'ratio to raw':>14}")
    for label, rate, ratio in rows:
        print(f"{label:<44}{rate:>12.0f}{(f'{ratio:.2f}' if ratio is not None else '-'):>14}")
    print(f"target: SQLite ratio >= 0.25 -> {'MET' if rows[1][2] and rows[1][2] >= 0.25 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
