"""`make demo` / `python -m pki.demo`: the PKI demo on a fresh embedded store.

Builds the whole hierarchy (ISO 15118-2 V2G/CPO/CPS, MO, OEM and the OCPP CSO CAs) in a new SQLite store,
issues one certificate of every leaf kind from CSRs, revokes one, writes a CRL, verifies the audit chain
and prints the tree. A composition root: it may wire ca_store to pki.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pki.audit import verify_chain
from pki.authority import serial_hex
from pki.identifiers import emaid_check_digit
from pki.model import CertificateRecord, RevocationReason

__all__ = ["main", "render_tree"]

LEAVES = (
    ("secc", "DE*PNC*E0001*1", "SECC leaf (TLS server of a charging station)"),
    ("cps-leaf", "PNC CPS Signer", "CPS leaf (signs contract provisioning responses)"),
    ("contract", "DEPNCC00000001" + emaid_check_digit("DEPNCC00000001"), "contract certificate (eMAID + check digit)"),
    ("oem-provisioning", "WMIPNC00000000001", "OEM provisioning certificate (PCID)"),
    ("charging-station", "CS-DEMO-0001", "OCPP charging station certificate"),
)


def _csr(cn: str, key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    )
    return csr.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM)


def _cn(subject: str) -> str:
    for part in subject.split(","):
        if part.startswith("CN="):
            return part[3:]
    return subject


def render_tree(records: Sequence[CertificateRecord], ca_names: dict[int, str]) -> list[str]:
    """The certificates as a tree (roots first), one line each."""
    by_issuer: dict[str, list[CertificateRecord]] = {}
    roots = []
    for r in sorted(records, key=lambda r: r.created_at):
        name = ca_names.get(r.serial)
        if name is not None and r.issuer == name:
            roots.append(r)
        else:
            by_issuer.setdefault(r.issuer, []).append(r)
    lines: list[str] = []

    def walk(record: CertificateRecord, prefix: str, last: bool, top: bool) -> None:
        status = f"REVOKED ({record.revocation_reason})" if record.revoked else "good"
        label = f"{_cn(record.subject)}  [{record.profile}]  until {record.not_after:%Y-%m-%d}  {status}"
        lines.append(label if top else f"{prefix}{'└── ' if last else '├── '}{label}")
        name = ca_names.get(record.serial)
        children = by_issuer.get(name, []) if name else []
        child_prefix = "" if top else prefix + ("    " if last else "│   ")
        for i, child in enumerate(children):
            walk(child, child_prefix, i == len(children) - 1, False)

    for root in roots:
        walk(root, "", True, True)
        lines.append("")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    from ca_store import sqlite_url
    from ca_store.services import initialize

    parser = argparse.ArgumentParser(description="PKI demo on a fresh embedded store")
    parser.add_argument("--data-dir", type=Path, help="where to create the store (default: a new temp dir)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="pnc-demo-"))
    passphrase = os.environ.get("PNC_PASSPHRASE", "demo-passphrase").encode()

    print(f"== pnc PKI demo: fresh embedded store in {data_dir}")
    svc = initialize(sqlite_url(data_dir), passphrase=passphrase, actor="demo")
    cas = svc.store.list_cas()
    print(f"   created {len(cas)} CAs in one transaction: {', '.join(c.name for c in cas)}")

    issued = {}
    for profile, cn, what in LEAVES:
        result = svc.ra.issue_from_csr(_csr(cn, ec.generate_private_key(ec.SECP256R1())), profile, requester="demo")
        issued[profile] = result
        size = len(result.record.der)
        print(f"   issued {what}: {cn}, serial {serial_hex(result.record.serial)[:16]}..., {size} bytes DER")

    victim = issued["charging-station"].record
    svc.ra.revoke(victim.serial, RevocationReason.KEY_COMPROMISE, requester="demo")
    crl = svc.authority.generate_crl("cso-sub", actor="demo")
    crl_obj = x509.load_der_x509_crl(crl.der)
    print(f"   revoked {_cn(victim.subject)} (keyCompromise); CRL #{crl.number} of cso-sub lists {len(crl_obj)} entry")

    count = verify_chain(svc.store.audit_entries())
    print(f"   audit log verified: {count} hash-chained entries")
    print()
    ca_names = {c.serial: c.name for c in cas}
    for line in render_tree(svc.store.list_certificates(), ca_names):
        print("   " + line if line else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
