"""The contract registry in the store (``pki.contracts.ContractRegistry``): tables ``contracts`` and
``contract_certificates`` of migration ``0003_contracts``; the provisioning policy in the ``meta`` table.

Every write runs in a store transaction together with its audit entry (``contract.add``,
``contract.revoke``, ``contract.certificate``, ``contract.policy``), so a contract never exists without
its audit record. Reads use SQLAlchemy Core on the store's engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)

from ca_store.codec import serial_from_hex, serial_to_hex
from ca_store.engine import translate_errors
from ca_store.sql import Statement
from ca_store.store import SqlStore
from pki.contracts import Contract, ContractStatus, ProvisioningPolicy, canonical_emaid
from pki.errors import AlreadyExists, AlreadyRevoked, InvalidIdentifier, NotFound
from pki.model import AuditEvent

__all__ = ["SqlContractRegistry", "contracts_table", "contract_certificates_table", "POLICY_META"]

POLICY_META = "contracts.policy"

_metadata = MetaData()

# Must match ca_store/migrations/versions/0003_contracts.py. Timestamps are ISO 8601 UTC text.
contracts_table = Table(
    "contracts",
    _metadata,
    Column("emaid", String(15), primary_key=True),
    Column("pcid", String(18), nullable=False),
    Column("status", String(16), nullable=False),
    Column("not_after", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("revoked_at", String(40), nullable=True),
    Index("ix_contracts_pcid", "pcid"),
)
contract_certificates_table = Table(
    "contract_certificates",
    _metadata,
    Column("serial", String(40), primary_key=True),
    Column("emaid", String(15), ForeignKey("contracts.emaid", deferrable=True, initially="DEFERRED"), nullable=False),
    Column("issued_at", String(40), nullable=False),
    Index("ix_contract_certificates_emaid", "emaid"),
)


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: contract timestamps are aware UTC")
    return value.astimezone(UTC).isoformat(timespec="microseconds")  # fixed width: text order = time order


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SqlContractRegistry:
    """``pki.contracts.ContractRegistry`` over a ``SqlStore``."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        c, cc = contracts_table.c, contract_certificates_table.c
        self._insert = store.sql.compile(contracts_table.insert().values(
            {name: bindparam(name) for name in contracts_table.c.keys()}))
        self._revoke = store.sql.compile(update(contracts_table).where(
            c.emaid == bindparam("key"), c.status == ContractStatus.ACTIVE.value
        ).values(status=ContractStatus.REVOKED.value, revoked_at=bindparam("at")))
        self._link = store.sql.compile(contract_certificates_table.insert().values(
            serial=bindparam("serial"), emaid=bindparam("emaid"), issued_at=bindparam("issued_at")))
        self._exists = store.sql.compile(select(c.emaid).where(c.emaid == bindparam("key")))
        order = (c.created_at.desc(), c.emaid.desc())
        self._by_emaid = store.sql.compile(select(contracts_table).where(c.emaid == bindparam("key")))
        self._certs_by_emaid = store.sql.compile(select(cc.emaid, cc.serial).where(cc.emaid == bindparam("key"))
                                           .order_by(cc.issued_at, cc.serial))
        joined = contracts_table.outerjoin(contract_certificates_table, cc.emaid == c.emaid)
        self._by_pcid_joined = store.sql.compile(select(contracts_table, cc.serial.label("cert_serial"))
                                           .select_from(joined).where(c.pcid == bindparam("key"))
                                           .order_by(*order, cc.issued_at, cc.serial))

    # -- reads ------------------------------------------------------------------------------------------
    def _fetch(self, statement: Statement, params: Mapping[str, Any]) -> list[Any]:
        # Precompiled SQL on the driver: the provisioning hot path looks up a PCID per request.
        with translate_errors(self.store.target), self.store.engine.connect() as conn:
            return list(conn.exec_driver_sql(statement.text, dict(statement.params(params))).mappings())

    def _query(self, statement: Any) -> list[Any]:
        with translate_errors(self.store.target), self.store.engine.connect() as conn:
            return [row._mapping for row in conn.execute(statement)]

    @staticmethod
    def _build(rows: list[Any], links: list[Any]) -> list[Contract]:
        serials: dict[str, list[int]] = {}
        for link in links:
            serials.setdefault(link["emaid"], []).append(serial_from_hex(link["serial"]))
        return [
            Contract(
                emaid=r["emaid"], pcid=r["pcid"], status=ContractStatus(r["status"]),
                created_at=datetime.fromisoformat(r["created_at"]), created_by=r["created_by"],
                not_after=_dt(r["not_after"]), revoked_at=_dt(r["revoked_at"]),
                certificates=tuple(serials.get(r["emaid"], ())),
            )
            for r in rows
        ]

    def get(self, emaid: str) -> Contract | None:
        try:
            key = canonical_emaid(emaid)
        except InvalidIdentifier:  # a malformed eMAID names no contract
            return None
        found = self._build(self._fetch(self._by_emaid, {"key": key}), self._fetch(self._certs_by_emaid, {"key": key}))
        return found[0] if found else None

    def for_pcid(self, pcid: str) -> list[Contract]:
        # One query on the provisioning hot path: contracts of the vehicle joined with their certificates.
        rows = self._fetch(self._by_pcid_joined, {"key": pcid})
        contracts: dict[str, Any] = {}
        links = []
        for row in rows:
            contracts.setdefault(row["emaid"], row)
            if row["cert_serial"] is not None:
                links.append({"emaid": row["emaid"], "serial": row["cert_serial"]})
        return self._build(list(contracts.values()), links)

    def list(self, *, pcid: str | None = None, status: ContractStatus | None = None,
             limit: int | None = None) -> list[Contract]:
        c, cc = contracts_table.c, contract_certificates_table.c
        statement = select(contracts_table).order_by(c.created_at.desc(), c.emaid.desc())
        if pcid is not None:
            statement = statement.where(c.pcid == pcid)
        if status is not None:
            statement = statement.where(c.status == status.value)
        if limit is not None:
            statement = statement.limit(limit)
        rows = self._query(statement)
        if not rows:
            return []
        emaids = [r["emaid"] for r in rows]
        links = self._query(select(cc.emaid, cc.serial).where(cc.emaid.in_(emaids)).order_by(cc.issued_at, cc.serial))
        return self._build(rows, links)

    # -- writes -----------------------------------------------------------------------------------------
    def add(self, contract: Contract, *, actor: str) -> Contract:
        values = {
            "emaid": contract.emaid, "pcid": contract.pcid, "status": contract.status.value,
            "not_after": _ts(contract.not_after), "created_at": _ts(contract.created_at),
            "created_by": contract.created_by, "revoked_at": _ts(contract.revoked_at),
        }
        details = {"pcid": contract.pcid, "not_after": values["not_after"] or ""}
        with self.store.transaction() as tx:
            if tx.execute(self._exists, {"key": contract.emaid}, "contract").fetchone() is not None:
                raise AlreadyExists(f"a contract with eMAID {contract.emaid} already exists (eMAIDs are never reused)")
            tx.execute(self._insert, values, f"contract {contract.emaid}")
            tx.audit(AuditEvent("contract.add", f"contract:{contract.emaid}", actor, contract.created_at, details))
        return contract

    def revoke(self, emaid: str, *, actor: str, at: datetime) -> Contract:
        current = self.get(emaid)
        if current is None:
            raise NotFound(f"no contract with eMAID {emaid!r}")
        with self.store.transaction() as tx:
            changed = tx.execute(self._revoke, {"key": current.emaid, "at": _ts(at)}, "contract").rowcount
            if changed != 1:
                raise AlreadyRevoked(f"contract {current.emaid} is already revoked")
            tx.audit(AuditEvent("contract.revoke", f"contract:{current.emaid}", actor, at, {"pcid": current.pcid}))
        return self.get(current.emaid) or current

    def record_certificate(self, emaid: str, serial: int, *, actor: str, at: datetime) -> None:
        with self.store.transaction() as tx:
            tx.execute(self._link, {"serial": serial_to_hex(serial), "emaid": emaid, "issued_at": _ts(at)},
                   f"contract certificate of {emaid}")
            tx.audit(AuditEvent("contract.certificate", f"contract:{emaid}", actor, at,
                                {"serial": format(serial, "X")}))

    def policy(self) -> ProvisioningPolicy:
        raw = self.store.get_meta(POLICY_META)
        if not raw:
            return ProvisioningPolicy()
        data = json.loads(raw)
        return ProvisioningPolicy(
            auto_provision=bool(data.get("auto_provision", False)),
            provider_prefix=str(data.get("provider_prefix", ProvisioningPolicy().provider_prefix)),
            contract_validity=timedelta(days=int(data.get("contract_validity_days", 365))),
        )

    def set_policy(self, policy: ProvisioningPolicy, *, actor: str, at: datetime) -> None:
        data = {"auto_provision": policy.auto_provision, "provider_prefix": policy.provider_prefix,
                "contract_validity_days": policy.contract_validity.days}
        with self.store.transaction() as tx:
            tx.set_meta(POLICY_META, json.dumps(data, sort_keys=True).encode())
            tx.audit(AuditEvent("contract.policy", "contracts", actor, at, {k: str(v) for k, v in data.items()}))

