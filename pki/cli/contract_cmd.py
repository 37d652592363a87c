"""`pnc contract add|list|show|revoke|policy|answer`: the MO's contracts and contract provisioning.

``answer`` runs a station's Get15118EVCertificate ``exiRequest`` (base64 EXI) through the provisioning
service, for operators debugging a station: it issues a real contract certificate when the request is good.
Exit codes: 0 when the response is OK, 4 (refused) for a FAILED_* response or an unusable request.
"""

from __future__ import annotations

import argparse
import base64
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from pki.authority import serial_hex
from pki.cli import exit_codes
from pki.cli.args import days, positive_int, revocation_reason
from pki.cli.context import services
from pki.cli.output import emit_json, err, iso, out, table
from pki.contracts import Contract, ContractStatus, ProvisioningPolicy, cancel_contract, new_contract
from pki.errors import InvalidInput, NotFound
from pki.model import RevocationReason

__all__ = ["register", "contract_json", "parse_time", "provisioning_for"]

_ACTOR = "cli"


def register(sub: Any) -> None:
    p = sub.add_parser("contract", help="contracts (eMAID <-> PCID) and contract certificate provisioning")
    cs = p.add_subparsers(dest="contract_command", metavar="ACTION")
    cs.required = True

    add = cs.add_parser("add", help="create a contract for a vehicle")
    add.add_argument("--emaid", required=True, help="eMAID, 14 or 15 characters (check character appended if missing)")
    add.add_argument("--pcid", required=True, help="PCID of the vehicle (17-18 alphanumerics)")
    add.add_argument("--not-after", help="contract end, ISO 8601 date or time (UTC if no offset)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=run_add)

    ls = cs.add_parser("list", help="list contracts, newest first")
    ls.add_argument("--pcid")
    ls.add_argument("--status", choices=[s.value for s in ContractStatus])
    ls.add_argument("--limit", type=positive_int)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)

    show = cs.add_parser("show", help="show a contract and its certificates")
    show.add_argument("emaid")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)

    revoke = cs.add_parser("revoke", help="cancel a contract and revoke its contract certificates")
    revoke.add_argument("emaid")
    revoke.add_argument("--reason", type=revocation_reason, default=RevocationReason.CESSATION_OF_OPERATION.value,
                        help="RFC 5280 reason for the certificates (default cessationOfOperation)")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(func=run_revoke)

    policy = cs.add_parser("policy", help="show or change the provisioning policy (auto-provisioning)")
    policy.add_argument("--auto-provision", choices=["on", "off"],
                        help="mint a contract for an unknown PCID on its first CertificateInstallationReq")
    policy.add_argument("--provider-prefix", help="country + provider ID of minted eMAIDs, e.g. DEPNC")
    policy.add_argument("--validity-days", type=days, help="length of minted contracts")
    policy.add_argument("--json", action="store_true")
    policy.set_defaults(func=run_policy)

    ans = cs.add_parser("answer", help="answer a Get15118EVCertificate exiRequest (base64 EXI) as the CSMS would")
    ans.add_argument("--exi-request", required=True, help="base64 EXI V2G_Message; - reads it from stdin")
    ans.add_argument("--action", choices=["Install", "Update"], help="OCPP action (default: detect from the EXI)")
    ans.add_argument("--json", action="store_true")
    ans.set_defaults(func=run_answer)


def provisioning_for(services: Any, *, trust_cache_seconds: float = 10.0) -> Any:
    """Composition: the ``iso15118.contract.ProvisioningContext`` over a store's contract registry, trust
    anchors, RA and CPS leaf signer (``svc:cps-leaf``), with revocation read from the store. ``services`` is a
    ``ca_store.services.Services``; used by this CLI, the HTTP API and the demo."""
    from ca_store.contracts import SqlContractRegistry
    from ca_store.trust import SqlTrustStore
    from iso15118.contract import CpsLeafSigner, ProvisioningContext
    from pki.validation import store_revocation_check

    store = services.store
    return ProvisioningContext(
        registry=SqlContractRegistry(store),
        trust=SqlTrustStore(store, cache_seconds=trust_cache_seconds),
        ra=services.ra,
        signer=CpsLeafSigner(store, services.keys, services.ra, services.clock),
        clock=services.clock,
        revocation=store_revocation_check(store),
    )


def parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO 8601 date or time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def contract_json(contract: Contract, certificates: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "emaid": contract.emaid,
        "pcid": contract.pcid,
        "status": contract.status.value,
        "not_after": iso(contract.not_after),
        "created_at": iso(contract.created_at),
        "created_by": contract.created_by,
        "revoked_at": iso(contract.revoked_at),
        "certificates": [serial_hex(s) for s in contract.certificates],
    }
    if certificates is not None:
        data["certificates"] = [
            {"serial": serial_hex(r.serial), "status": "revoked" if r.revoked else "good",
             "not_after": iso(r.not_after)} for r in certificates]
    return data


def _registry(args: argparse.Namespace) -> tuple[Any, Any]:
    from ca_store.contracts import SqlContractRegistry

    svc = services(args)
    return svc, SqlContractRegistry(svc.store)


def run_add(args: argparse.Namespace) -> int:
    svc, registry = _registry(args)
    not_after = parse_time(args.not_after) if args.not_after else None
    contract = registry.add(new_contract(args.emaid, args.pcid, now=svc.clock(), actor=_ACTOR, not_after=not_after),
                            actor=_ACTOR)
    if args.json:
        emit_json(contract_json(contract))
    else:
        out(f"contract {contract.emaid} for PCID {contract.pcid} created"
            + (f", ends {iso(contract.not_after)}" if contract.not_after else ""))
    return exit_codes.OK


def run_list(args: argparse.Namespace) -> int:
    _, registry = _registry(args)
    status = ContractStatus(args.status) if args.status else None
    contracts = registry.list(pcid=args.pcid, status=status, limit=args.limit)
    if args.json:
        emit_json([contract_json(c) for c in contracts])
    else:
        table(["emaid", "pcid", "status", "not_after", "certificates", "created_at"],
              [[c.emaid, c.pcid, c.status.value, iso(c.not_after) or "-", len(c.certificates), iso(c.created_at)]
               for c in contracts])
    return exit_codes.OK


def run_show(args: argparse.Namespace) -> int:
    svc, registry = _registry(args)
    contract = registry.get(args.emaid)
    if contract is None:
        raise NotFound(f"no contract with eMAID {args.emaid!r}")
    records = [r for r in (svc.store.get_certificate(s) for s in contract.certificates) if r is not None]
    data = contract_json(contract, records)
    if args.json:
        emit_json(data)
    else:
        for key, value in data.items():
            if key != "certificates":
                out(f"{key + ':':<13}{value if value is not None else '-'}")
        for cert in data["certificates"]:
            out(f"certificate: {cert['serial']} {cert['status']} until {cert['not_after']}")
    return exit_codes.OK


def run_revoke(args: argparse.Namespace) -> int:
    reason: RevocationReason = args.reason
    svc, registry = _registry(args)
    contract, revoked = cancel_contract(registry, svc.authority, args.emaid, actor=_ACTOR, at=svc.clock(),
                                        reason=reason)
    if args.json:
        emit_json(contract_json(contract) | {"revoked_certificates": [serial_hex(s) for s in revoked]})
    else:
        out(f"contract {contract.emaid} cancelled; {len(revoked)} contract certificate(s) revoked ({reason.value})")
    return exit_codes.OK


def run_policy(args: argparse.Namespace) -> int:
    svc, registry = _registry(args)
    policy = registry.policy()
    if args.auto_provision is not None or args.provider_prefix or args.validity_days is not None:
        policy = ProvisioningPolicy(
            auto_provision=policy.auto_provision if args.auto_provision is None else args.auto_provision == "on",
            provider_prefix=(args.provider_prefix or policy.provider_prefix).upper(),
            contract_validity=(timedelta(days=args.validity_days) if args.validity_days is not None
                               else policy.contract_validity),
        )
        registry.set_policy(policy, actor=_ACTOR, at=svc.clock())
    data = {"auto_provision": policy.auto_provision, "provider_prefix": policy.provider_prefix,
            "validity_days": policy.contract_validity.days}
    if args.json:
        emit_json(data)
    else:
        for key, value in data.items():
            out(f"{key + ':':<17}{value}")
    return exit_codes.OK


def run_answer(args: argparse.Namespace) -> int:
    from iso15118.contract import Action, UnusableRequest, answer, decode_base64

    text = sys.stdin.read() if args.exi_request == "-" else args.exi_request
    svc = services(args, need_keys=True)
    try:
        result = answer(decode_base64(text.strip()), provisioning_for(svc),
                        action=Action(args.action) if args.action else None, requester=_ACTOR)
    except UnusableRequest as exc:
        if args.json:
            emit_json({"status": "Failed", "reason": exc.reason, "message": exc.message})
        else:
            err(f"unusable request ({exc.reason}): {exc.message}")
        return exit_codes.REFUSED
    data = {
        "status": "Accepted",
        "action": result.action.value,
        "responseCode": result.response_code.value,
        "emaid": result.emaid,
        "pcid": result.pcid,
        "serial": serial_hex(result.certificate_serial) if result.certificate_serial is not None else None,
        "message": result.message,
        "exiResponse": base64.b64encode(result.exi).decode("ascii"),
    }
    if args.json:
        emit_json(data)
    else:
        for key in ("action", "responseCode", "emaid", "pcid", "serial", "message"):
            if data[key]:
                out(f"{key + ':':<14}{data[key]}")
        out(f"{'exiResponse:':<14}{data['exiResponse']}")
    return exit_codes.OK if result.ok else exit_codes.REFUSED
