"""`pnc trust add|list`: foreign roots and sub-CAs contract provisioning trusts.

``--kind oem``: OEM roots and OEM sub-CAs that sign OEM provisioning certificates (a CertificateInstallationReq
carries only the provisioning leaf, so the sub-CAs must be added too); ``v2g`` / ``mo``: foreign V2G and MO
roots (and sub-CAs) that old contract chains of a CertificateUpdateReq may lead to. Our own CAs are always
trusted. The file is PEM with one or more certificates (or one DER certificate); only CA certificates are
accepted, and nothing is stored if any of them is refused.
"""

from __future__ import annotations

import argparse
from typing import Any

from pki.cli import exit_codes
from pki.cli.args import read_input
from pki.cli.context import services
from pki.cli.output import emit_json, iso, out, table
from pki.trust import TrustedCertificate, TrustKind, load_pem_certificates

__all__ = ["register", "trusted_json"]


def register(sub: Any) -> None:
    p = sub.add_parser("trust", help="foreign trust anchors: OEM roots/sub-CAs, V2G and MO roots")
    ts = p.add_subparsers(dest="trust_command", metavar="ACTION")
    ts.required = True

    add = ts.add_parser("add", help="trust the CA certificates of a PEM file")
    add.add_argument("--kind", required=True, choices=[k.value for k in TrustKind])
    add.add_argument("file", help="PEM file with one or more certificates (or a DER certificate)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=run_add)

    ls = ts.add_parser("list", help="list trusted certificates")
    ls.add_argument("--kind", choices=[k.value for k in TrustKind])
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)


def trusted_json(t: TrustedCertificate) -> dict[str, Any]:
    return {
        "kind": t.kind.value,
        "fingerprint": t.fingerprint,
        "subject": t.subject,
        "root": t.is_root,
        "not_after": iso(t.not_after),
        "added_at": iso(t.added_at),
        "added_by": t.added_by,
    }


def _store(args: argparse.Namespace) -> tuple[Any, Any]:
    from ca_store.trust import SqlTrustStore

    svc = services(args)
    return svc, SqlTrustStore(svc.store)


def run_add(args: argparse.Namespace) -> int:
    certificates = load_pem_certificates(read_input(args.file))
    svc, trust = _store(args)
    added = trust.add(TrustKind(args.kind), certificates, actor="cli", at=svc.clock())
    if args.json:
        emit_json([trusted_json(t) for t in added])
    else:
        for t in added:
            out(f"trusted ({t.kind.value}, {'root' if t.is_root else 'sub-CA'}): {t.subject}  {t.fingerprint[:16]}")
    return exit_codes.OK


def run_list(args: argparse.Namespace) -> int:
    _, trust = _store(args)
    entries = trust.list(TrustKind(args.kind) if args.kind else None)
    if args.json:
        emit_json([trusted_json(t) for t in entries])
    else:
        table(["kind", "type", "not_after", "fingerprint", "subject"],
              [[t.kind.value, "root" if t.is_root else "sub-CA", iso(t.not_after), t.fingerprint[:16], t.subject]
               for t in entries])
    return exit_codes.OK
