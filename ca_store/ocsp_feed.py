"""A change feed for OCSP responders in other processes: certificate events from the audit log after a seq.

Every issuance and revocation appends an audit entry in the same transaction (``pki.authority``), and ``seq``
is the audit table's primary key, so "entries after seq N" is one indexed range read that no committed change
can slip past. A responder polls it (about once a second) to re-sign what another process issued or revoked.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ca_store.engine import translate_errors
from ca_store.schema import audit
from ca_store.store import SqlStore

__all__ = ["audit_head", "certificate_changes"]

_CERT_ACTIONS = ("cert.issue", "cert.renew", "cert.rekey", "cert.revoke")


def audit_head(store: SqlStore) -> int:
    """The newest audit seq (0 for an empty log)."""
    with translate_errors(store.target, "audit head"), store.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(audit.c.seq), 0))).scalar_one())


def certificate_changes(store: SqlStore, after: int, limit: int = 1000) -> tuple[int, list[int]]:
    """(last seq read, serials issued or revoked in entries ``after`` < seq), oldest first, at most ``limit``
    entries; call again from the returned seq until it stops moving."""
    statement = (select(audit.c.seq, audit.c.action, audit.c.target).where(audit.c.seq > after)
                 .order_by(audit.c.seq).limit(limit))
    with translate_errors(store.target, "audit feed"), store.engine.connect() as conn:
        rows = conn.execute(statement).all()
    serials: list[int] = []
    for _seq, action, target in rows:
        if action in _CERT_ACTIONS and str(target).startswith("cert:"):
            try:
                serials.append(int(str(target)[5:], 16))
            except ValueError:
                continue
    return (int(rows[-1][0]) if rows else after), serials
