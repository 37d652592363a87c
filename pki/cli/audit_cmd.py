"""`pnc audit verify|list`: check and read the hash-chained audit log."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from pki.audit import verify_chain
from pki.cli import exit_codes
from pki.cli.context import services
from pki.cli.output import emit_json, iso, out, table
from pki.model import AuditEntry

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="verify or list the audit log")
    a = p.add_subparsers(dest="audit_command", metavar="ACTION")
    a.required = True
    v = a.add_parser("verify", help="re-derive the hash chain; exit 8 if it is broken")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=run_verify)
    ls = a.add_parser("list", help="list audit entries")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)


def run_verify(args: argparse.Namespace) -> int:
    store = services(args).store
    last = b""

    def streamed() -> Iterator[AuditEntry]:  # page by page: the log grows by one entry per issuance
        nonlocal last
        for entry in store.audit_entries():
            last = entry.hash
            yield entry

    count = verify_chain(streamed())
    head = last.hex()
    if args.json:
        emit_json({"ok": True, "entries": count, "head": head})
    else:
        out(f"audit log OK: {count} entries, head {head[:16]}")
    return exit_codes.OK


def run_list(args: argparse.Namespace) -> int:
    entries = list(services(args).store.audit_entries())
    rows = [{"seq": e.seq, "at": iso(e.event.at), "action": e.event.action, "target": e.event.target,
             "actor": e.event.actor, "details": dict(e.event.details), "hash": e.hash.hex()} for e in entries]
    if args.json:
        emit_json(rows)
    else:
        table(["seq", "at", "action", "target", "actor"],
              [[r["seq"], r["at"], r["action"], r["target"], r["actor"]] for r in rows])
    return exit_codes.OK
