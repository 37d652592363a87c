"""Two OS processes issuing at once against one store never share a serial and lose nothing (issue 2),
on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pki.audit import verify_chain

PER_PROCESS = 40
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

WORKER = """
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from ca_store.services import open_services
url, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
svc = open_services(url, passphrase=b"pw")
for i in range(n):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"CS-{tag}-{i}")])).sign(key, hashes.SHA256())
    svc.ra.issue_from_csr(csr.public_bytes(Encoding.PEM), "charging-station", requester=tag)
print("done", tag)
"""


def _pg_url() -> str:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", connect_timeout=3):
            pass
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 not reachable: {exc}")
    return f"{PG}?schema=t_{uuid.uuid4().hex[:12]}"


def _drop_schema(url: str) -> None:
    import psycopg

    schema = url.split("schema=")[1]
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_processes_issue_concurrently(backend: str, tmp_path: Path) -> None:
    from ca_store import SqlStore, sqlite_url
    from ca_store.services import initialize

    url = sqlite_url(tmp_path / "store") if backend == "sqlite" else _pg_url()
    svc = None
    try:
        svc = initialize(url, passphrase=b"pw")
        before = len(svc.store.list_certificates())
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, tag, str(PER_PROCESS)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for tag in ("a", "b")]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()[-2000:]
        records = svc.store.list_certificates()
        assert len(records) == before + 2 * PER_PROCESS
        assert len({r.serial for r in records}) == len(records)
        by = {tag: [r for r in records if r.requester == tag] for tag in ("a", "b")}
        assert len(by["a"]) == len(by["b"]) == PER_PROCESS
        entries = list(svc.store.audit_entries())
        assert verify_chain(entries) == len(entries)
        assert sum(1 for e in entries if e.event.action == "cert.issue") == 2 * PER_PROCESS
    finally:
        if svc is not None and isinstance(svc.store, SqlStore):
            svc.store.close()  # else its pooled connections are garbage-collected open (ResourceWarning later)
        if backend == "postgres":
            _drop_schema(url)
