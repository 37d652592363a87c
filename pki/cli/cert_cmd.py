"""`pnc cert issue|list|show|renew|revoke`."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from pki.authority import Issued, serial_hex
from pki.cli import exit_codes
from pki.cli.args import days, positive_int, read_input, revocation_reason
from pki.cli.context import services
from pki.cli.output import emit_json, err, iso, out, pem, table
from pki.model import CertificateRecord, RevocationReason
from pki.registration import parse_serial

__all__ = ["register", "cert_json", "issued_json"]


def register(sub: Any) -> None:
    p = sub.add_parser("cert", help="issue, list, show, renew and revoke certificates")
    cs = p.add_subparsers(dest="cert_command", metavar="ACTION")
    cs.required = True

    issue = cs.add_parser("issue", help="issue a certificate from a CSR")
    issue.add_argument("--profile", required=True)
    issue.add_argument("--csr", required=True, help="CSR file (PEM, DER or base64 DER); - for stdin")
    issue.add_argument("--issuer", help="issuing CA name (default: the profile's usual CA)")
    issue.add_argument("--days", type=days, help="validity in days (default: the profile's)")
    issue.add_argument("--json", action="store_true")
    issue.set_defaults(func=run_issue)

    ls = cs.add_parser("list", help="list certificates, newest first")
    ls.add_argument("--issuer")
    ls.add_argument("--profile")
    ls.add_argument("--revoked", action="store_true", help="only revoked certificates")
    ls.add_argument("--limit", type=positive_int, default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)

    show = cs.add_parser("show", help="show one certificate")
    show.add_argument("serial", help="hexadecimal serial")
    show.add_argument("--json", action="store_true")
    show.add_argument("--pem", action="store_true", help="print only the PEM certificate")
    show.set_defaults(func=run_show)

    renew = cs.add_parser("renew", help="renew (same subject and key) or re-key (--csr) a certificate")
    renew.add_argument("serial")
    renew.add_argument("--csr", help="re-key: CSR with the new key")
    renew.add_argument("--days", type=days)
    renew.add_argument("--json", action="store_true")
    renew.set_defaults(func=run_renew)

    revoke = cs.add_parser("revoke", help="revoke a certificate")
    revoke.add_argument("serial")
    revoke.add_argument("--reason", type=revocation_reason, default="unspecified",
                        help="RFC 5280 reason: " + ", ".join(r.value for r in RevocationReason))
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(func=run_revoke)


def cert_json(record: CertificateRecord) -> dict[str, Any]:
    return {
        "serial": serial_hex(record.serial),
        "profile": record.profile,
        "issuer": record.issuer,
        "subject": record.subject,
        "not_before": iso(record.not_before),
        "not_after": iso(record.not_after),
        "status": "revoked" if record.revoked else "good",
        "revoked_at": iso(record.revoked_at),
        "revocation_reason": record.revocation_reason.value if record.revocation_reason else None,
        "replaces": serial_hex(record.replaces) if record.replaces is not None else None,
        "requester": record.requester,
    }


def issued_json(issued: Issued) -> dict[str, Any]:
    return {
        "serial": serial_hex(issued.record.serial),
        "certificate": issued.pem,
        "chain": "".join(pem(c) for c in issued.chain),
    }


def _days(value: int | None) -> timedelta | None:
    return timedelta(days=value) if value is not None else None


def _print_issued(issued: Issued, as_json: bool) -> None:
    if as_json:
        emit_json(issued_json(issued))
    else:
        out(issued.pem)
        err(f"issued {issued.record.profile} certificate {serial_hex(issued.record.serial)} "
            f"for {issued.record.subject}, valid until {iso(issued.record.not_after)}")


def run_issue(args: argparse.Namespace) -> int:
    csr = read_input(args.csr)
    svc = services(args, need_keys=True)
    issued = svc.ra.issue_from_csr(csr, args.profile, requester="cli", issuer=args.issuer, validity=_days(args.days))
    _print_issued(issued, args.json)
    return exit_codes.OK


def run_list(args: argparse.Namespace) -> int:
    records = services(args).store.list_certificates(
        issuer=args.issuer, profile=args.profile, revoked=True if args.revoked else None, limit=args.limit
    )
    if args.json:
        emit_json([cert_json(r) for r in records])
    else:
        table(["serial", "profile", "issuer", "status", "not_after", "subject"],
              [[serial_hex(r.serial), r.profile, r.issuer, "revoked" if r.revoked else "good", iso(r.not_after),
                r.subject] for r in records])
    return exit_codes.OK


def run_show(args: argparse.Namespace) -> int:
    from pki.errors import NotFound

    svc = services(args)
    serial = parse_serial(args.serial)
    record = svc.store.get_certificate(serial)
    if record is None:
        raise NotFound(f"no certificate with serial {args.serial}")
    if args.pem:
        out(pem(record.certificate))
    elif args.json:
        emit_json(cert_json(record) | {"certificate": pem(record.certificate)})
    else:
        for key, value in cert_json(record).items():
            out(f"{key + ':':<19}{value if value is not None else '-'}")
        out(pem(record.certificate))
    return exit_codes.OK


def run_renew(args: argparse.Namespace) -> int:
    serial = parse_serial(args.serial)
    csr = read_input(args.csr) if args.csr else None
    svc = services(args, need_keys=True)
    if csr is not None:
        issued = svc.ra.rekey(serial, csr, requester="cli", validity=_days(args.days))
    else:
        issued = svc.ra.renew(serial, requester="cli", validity=_days(args.days))
    _print_issued(issued, args.json)
    return exit_codes.OK


def run_revoke(args: argparse.Namespace) -> int:
    reason: RevocationReason = args.reason
    svc = services(args)
    record = svc.ra.revoke(parse_serial(args.serial), reason, requester="cli")
    if args.json:
        emit_json(cert_json(record))
    else:
        out(f"revoked {serial_hex(record.serial)} ({reason.value}) at {iso(record.revoked_at)}")
    return exit_codes.OK
