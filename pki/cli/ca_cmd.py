"""`pnc ca list|export`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from pki.cli import exit_codes
from pki.cli.context import services
from pki.cli.output import emit_json, err, iso, out, pem, table
from pki.model import CaRecord

__all__ = ["register", "ca_json"]


def register(sub: Any) -> None:
    p = sub.add_parser("ca", help="list and export CAs")
    ca_sub = p.add_subparsers(dest="ca_command", metavar="ACTION")
    ca_sub.required = True
    ls = ca_sub.add_parser("list", help="list CAs")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    ex = ca_sub.add_parser("export", help="print a CA certificate (or its chain)")
    ex.add_argument("name")
    ex.add_argument("--chain", action="store_true", help="NAME first, root last")
    ex.add_argument("--format", choices=("pem", "der"), default="pem")
    ex.set_defaults(func=run_export)


def ca_json(ca: CaRecord) -> dict[str, Any]:
    cert = ca.certificate
    return {
        "name": ca.name,
        "profile": ca.profile,
        "subject": cert.subject.rfc4514_string(),
        "serial": format(ca.serial, "X"),
        "not_before": iso(cert.not_valid_before_utc),
        "not_after": iso(cert.not_valid_after_utc),
        "issuer": ca.issuer,
    }


def run_list(args: argparse.Namespace) -> int:
    cas = services(args).store.list_cas()
    rows = [ca_json(c) for c in cas]
    if args.json:
        emit_json(rows)
    else:
        table(["name", "profile", "issuer", "not_after", "subject"],
              [[r["name"], r["profile"], r["issuer"] or "-", r["not_after"], r["subject"]] for r in rows])
    return exit_codes.OK


def run_export(args: argparse.Namespace) -> int:
    svc = services(args)
    chain = svc.authority.chain(args.name) if args.chain else [svc.authority.ca(args.name)]
    certs = [svc.authority.ca_certificate(c) for c in chain]
    if args.format == "der":
        if len(certs) > 1:
            err("DER holds one certificate; use --format pem for a chain")
            return exit_codes.USAGE
        sys.stdout.buffer.write(certs[0].public_bytes(Encoding.DER))
        sys.stdout.buffer.flush()
        return exit_codes.OK
    out("".join(pem(c) for c in certs))
    return exit_codes.OK
