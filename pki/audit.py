"""The hash chain of the audit log: how an entry's hash is computed and how a chain is verified.

``hash_n = SHA-256(prev_hash_n || canonical_json(seq_n, event_n))`` with ``prev_hash_1 = 32 zero bytes``.
Any change to an event, a deleted or reordered entry breaks every later link. The store appends under a
lock (one writer at a time across processes) and calls ``entry_hash``; ``verify_chain`` re-derives all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from json.encoder import c_make_encoder  # type: ignore[attr-defined]
from json.encoder import encode_basestring_ascii as _string

from pki._time import iso_micro
from pki.errors import IntegrityError
from pki.model import AuditEntry, AuditEvent

__all__ = ["GENESIS", "canonical_details", "canonical_event", "entry_hash", "verify_chain"]

GENESIS = bytes(32)


def canonical_details(details: Mapping[str, str], *, strings: bool = False) -> str:
    """The details object of ``canonical_event``: sorted keys, no whitespace, ASCII escapes (also what the store
    keeps, so the JSON is written once). Keys and values are written as strings; ``strings``: the caller knows
    ``details`` is already a dict of strings (e.g. ``ca_store.rows.normalise_event`` made it one)."""
    if not strings and (type(details) is not dict
                        or not all(type(k) is str and type(v) is str for k, v in details.items())):
        details = {str(k): str(v) for k, v in details.items()}
    return "".join(_ENCODE(details, 0)) if _ENCODE is not None else _JSON.encode(details)


# The canonical settings: sorted keys, ":" and ",", ASCII escapes. json's C encoder is made once with them
# (json.dumps builds a new one per call), without circular-reference markers: a dict of strings has none.
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
_ENCODE = None if c_make_encoder is None else c_make_encoder(None, None, _string, None, ":", ",", True, False, True)


def canonical_event(seq: int, event: AuditEvent, details: str | None = None) -> bytes:
    """The bytes hashed for an entry: the JSON object ``{"action", "actor", "at", "details", "seq", "target"}``
    with sorted keys, no whitespace and ASCII escapes, exactly as ``json.dumps(doc, sort_keys=True,
    separators=(",", ":"), ensure_ascii=True)`` writes it (the form every stored chain was hashed with). Written
    out with json's own string encoder: a fresh ``json.dumps`` encoder per event cost twice as much. ``details``:
    ``canonical_details(event.details)`` when already at hand."""
    if details is None:
        details = canonical_details(event.details)
    return (
        f'{{"action":{_string(event.action)},"actor":{_string(event.actor)},'
        f'"at":{_string(iso_micro(event.at))},"details":{details},'
        f'"seq":{int(seq)},"target":{_string(event.target)}}}'
    ).encode()


def entry_hash(prev_hash: bytes, seq: int, event: AuditEvent, details: str | None = None) -> bytes:
    return hashlib.sha256(prev_hash + canonical_event(seq, event, details)).digest()


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
