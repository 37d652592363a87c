"""`pnc crl NAME [--format pem|der]`: produce a fresh full CRL of a CA and print it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki.cli import exit_codes
from pki.cli.context import services
from pki.cli.output import err, out

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("crl", help="generate and print the CRL of a CA")
    p.add_argument("name", help="CA name")
    p.add_argument("--format", choices=("pem", "der"), default="pem")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    svc = services(args, need_keys=True)
    record = svc.authority.generate_crl(args.name, actor="cli")
    if args.format == "der":
        sys.stdout.buffer.write(record.der)
        sys.stdout.buffer.flush()
    else:
        out(x509.load_der_x509_crl(record.der).public_bytes(Encoding.PEM).decode())
    err(f"CRL #{record.number} of {args.name}, next update {record.next_update:%Y-%m-%dT%H:%M:%SZ}")
    return exit_codes.OK
