"""`pnc client add|list|disable`: the API's OAuth2 clients.

``add`` prints the client id and secret exactly once; only an scrypt hash of the secret is stored.
"""

from __future__ import annotations

import argparse
from typing import Any

from api.credentials import hash_secret, new_client_id, new_secret
from pki.cli import exit_codes
from pki.cli.context import services
from pki.cli.output import emit_json, err, iso, out, table
from pki.requester import Requester, Role

__all__ = ["register", "client_json"]


def register(sub: Any) -> None:
    p = sub.add_parser("client", help="manage API clients (OAuth2 client credentials)")
    cs = p.add_subparsers(dest="client_command", metavar="ACTION")
    cs.required = True

    add = cs.add_parser("add", help="create a client; prints its id and secret once")
    add.add_argument("name", help="unique name (recorded as requester client:NAME in the audit log)")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--evse-operator-id", action="append", default=[], metavar="ID",
                     help="EVSE operator ID the client may enrol SECC certificates for, e.g. DE*ICE (repeatable)")
    add.add_argument("--organization", help="O that OCPP station certificates of this client must carry (the CSO)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=run_add)

    ls = cs.add_parser("list", help="list clients (never their secrets)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)

    dis = cs.add_parser("disable", help="disable a client (its tokens stop working within the recheck interval)")
    dis.add_argument("client", help="client id or name")
    dis.add_argument("--json", action="store_true")
    dis.set_defaults(func=run_disable)


def client_json(record: Any) -> dict[str, Any]:
    return {
        "client_id": record.client_id,
        "name": record.name,
        "role": record.role,
        "evse_operator_ids": list(record.evse_operator_ids),
        "organization": record.organization,
        "created_at": iso(record.created_at),
        "disabled_at": iso(record.disabled_at),
        "status": "active" if record.active else "disabled",
    }


def _repository(args: argparse.Namespace) -> tuple[Any, Any]:
    from ca_store.clients import ClientRepository

    svc = services(args)
    return svc, ClientRepository(svc.store)


def run_add(args: argparse.Namespace) -> int:
    from ca_store.clients import ClientRecord

    requester = Requester.of(args.name, args.role, args.evse_operator_id, args.organization)  # validates
    if requester.role is Role.CSMS and not requester.evse_operator_ids:
        err("warning: a csms client without --evse-operator-id cannot enrol any SECC certificate")
    svc, repo = _repository(args)
    secret = new_secret()
    record = ClientRecord(
        client_id=new_client_id(),
        name=requester.name,
        role=requester.role.value,
        evse_operator_ids=tuple(sorted(requester.evse_operator_ids)),
        organization=requester.organization,
        secret_hash=hash_secret(secret),
        created_at=svc.clock(),
    )
    repo.add(record, actor="cli")
    if args.json:
        emit_json({**client_json(record), "client_secret": secret})
    else:
        out(f"client_id:     {record.client_id}")
        out(f"client_secret: {secret}")
        out("The secret is shown only now; store it in the CSMS configuration.")
    return exit_codes.OK


def run_list(args: argparse.Namespace) -> int:
    _svc, repo = _repository(args)
    records = repo.all()
    if args.json:
        emit_json([client_json(r) for r in records])
        return exit_codes.OK
    table(("client_id", "name", "role", "evse_operator_ids", "status"),
          [(r.client_id, r.name, r.role, ",".join(r.evse_operator_ids), "active" if r.active else "disabled")
           for r in records])
    return exit_codes.OK


def run_disable(args: argparse.Namespace) -> int:
    svc, repo = _repository(args)
    record = repo.disable(args.client, actor="cli", at=svc.clock())
    if args.json:
        emit_json(client_json(record))
    else:
        out(f"{record.client_id} ({record.name}) disabled")
    return exit_codes.OK
