"""The hash chain of the audit log: how an entry's hash is computed and how a chain is verified.

``hash_n = SHA-256(prev_hash_n || canonical_json(seq_n, event_n))`` with ``prev_hash_1 = 32 zero bytes``.
Any change to an event, a deleted or reordered entry breaks every later link. The store appends under a
lock (one writer at a time across processes) and calls ``entry_hash``; ``verify_chain`` re-derives all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from pki.errors import IntegrityError
from pki.model import AuditEntry, AuditEvent

__all__ = ["GENESIS", "canonical_event", "entry_hash", "verify_chain"]

GENESIS = bytes(32)


def canonical_event(seq: int, event: AuditEvent) -> bytes:
    doc = {
        "seq": seq,
        "action": event.action,
        "target": event.target,
        "actor": event.actor,
        "at": event.at.isoformat(timespec="microseconds"),
        "details": {str(k): str(v) for k, v in sorted(event.details.items())},
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(prev_hash: bytes, seq: int, event: AuditEvent) -> bytes:
    return hashlib.sha256(prev_hash + canonical_event(seq, event)).digest()


def verify_chain(entries: Iterable[AuditEntry]) -> int:
    """Verify the whole chain; return the number of entries or raise ``IntegrityError`` naming the first bad
    entry."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in entries:
        if entry.seq != expected_seq:
            raise IntegrityError(f"audit log: entry {expected_seq} is missing (found {entry.seq} next)")
        if entry.prev_hash != prev:
            raise IntegrityError(f"audit log: entry {entry.seq} does not link to entry {entry.seq - 1}")
        if entry_hash(prev, entry.seq, entry.event) != entry.hash:
            raise IntegrityError(f"audit log: entry {entry.seq} ({entry.event.action}) was altered")
        prev = entry.hash
        expected_seq += 1
        count += 1
    return count
