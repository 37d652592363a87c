"""`pnc ocsp check CERT [--issuer ISSUER] [--url URL] [--json]`: ask for a certificate's OCSP status.

Without ``--url`` a certificate of one of our CAs is answered locally (needs the CA key passphrase); any other
certificate, or any certificate with ``--url``, is asked over HTTP at ``--url`` or the certificate's AIA OCSP
URL (only that host is contacted). The response is verified (signature, responder authorisation, freshness).
Exit code: 0 good, 4 revoked, 3 unknown, 1 no verified answer.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from ocsp.client import OcspClient, cert_id_for, ocsp_url_of
from ocsp.errors import OcspError
from ocsp.model import Status
from pki.cli import exit_codes
from pki.cli.context import services
from pki.cli.output import emit_json, err, iso, out

__all__ = ["register", "run_check", "load_certificate"]

_EXIT = {Status.GOOD: exit_codes.OK, Status.REVOKED: exit_codes.REFUSED, Status.UNKNOWN: exit_codes.NOT_FOUND}


def register(sub: Any) -> None:
    group = sub.add_parser("ocsp", help="OCSP status checks")
    commands = group.add_subparsers(dest="ocsp_command", metavar="COMMAND")
    commands.required = True
    check = commands.add_parser("check", help="ask for the OCSP status of a certificate and verify the answer",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("cert", help="certificate file (PEM or DER)")
    check.add_argument("--issuer", help="issuer certificate file (default: our CA with the certificate's issuer name)")
    check.add_argument("--url", help="responder URL (default: answer our certificates locally, else the AIA URL)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(func=run_check)


def load_certificate(path: str) -> x509.Certificate:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise OcspError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise OcspError(f"{path} is not a certificate: {exc}") from None


def _our_issuer(svc: Any, cert: x509.Certificate) -> x509.Certificate | None:
    for ca in svc.store.list_cas():
        ca_cert: x509.Certificate = svc.authority.ca_certificate(ca)
        if ca_cert.subject == cert.issuer:
            try:
                cert.verify_directly_issued_by(ca_cert)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return ca_cert
    return None


def run_check(args: argparse.Namespace) -> int:
    cert = load_certificate(args.cert)
    issuer = load_certificate(args.issuer) if args.issuer else None
    local = None
    if issuer is None or not args.url:
        svc = services(args)
        ours = _our_issuer(svc, cert)
        issuer = issuer or ours
        if ours is not None and not args.url:
            local = svc
    if issuer is None:
        raise OcspError("the issuer is not one of our CAs: pass its certificate with --issuer")
    url = args.url or ocsp_url_of(cert)
    hosts = [httpx.URL(url).host] if url else []
    with httpx.Client(timeout=10.0, follow_redirects=False) as http:
        client = OcspClient(local, hosts, http, issuers=[issuer])
        der = client.status_for_certificate(cert, issuer, url)
        result = client.verified(cert_id_for(cert, issuer), der, (issuer,))
    where = "local store" if local is not None and client.fetches == 0 else url
    if args.json:
        emit_json({"serial": format(cert.serial_number, "x"), "source": where, **result.as_dict()})
    else:
        line = f"{format(cert.serial_number, 'X')}: {result.status.value}"
        if result.revoked_at is not None:
            line += f" (revoked {iso(result.revoked_at)}, reason {result.reason.value if result.reason else '-'})"
        out(line)
        err(f"thisUpdate {iso(result.this_update)}, nextUpdate {iso(result.next_update)}, "
            f"responder {result.responder}{' (delegated)' if result.delegated else ''}, from {where}")
    return _EXIT[result.status]
