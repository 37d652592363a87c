"""Conversions between database rows and the frozen ``pki.model`` records (nothing else crosses the port).

Each ``*_COLUMNS`` tuple is the column order of that table's SELECTs and INSERTs (``ca_store.sql``), of the
tuples the ``*_record`` functions unpack and of the positional parameters the ``*_params`` functions build.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from ca_store.codec import Codec, aware_utc, serial_from_hex, serial_to_hex
from pki.model import AuditEntry, AuditEvent, CaRecord, CertificateRecord, CrlRecord, KeyRecord, RevocationReason

__all__ = [
    "KEY_COLUMNS",
    "CA_COLUMNS",
    "CERT_COLUMNS",
    "CRL_COLUMNS",
    "AUDIT_COLUMNS",
    "key_params",
    "key_record",
    "ca_params",
    "ca_record",
    "cert_params",
    "cert_record",
    "crl_params",
    "crl_record",
    "normalise_event",
    "audit_params",
    "audit_entry",
]

KEY_COLUMNS = ("label", "algorithm", "blob", "created_at")
CA_COLUMNS = ("name", "profile", "serial", "certificate_der", "issuer", "key_label", "created_at", "crl_distribution")
CERT_COLUMNS = (
    "serial",
    "issuer",
    "profile",
    "subject",
    "not_before",
    "not_after",
    "der",
    "requester",
    "created_at",
    "replaces",
    "revoked_at",
    "revocation_reason",
)
CRL_COLUMNS = ("issuer", "number", "this_update", "next_update", "der")
AUDIT_COLUMNS = ("seq", "prev_hash", "hash", "action", "target", "actor", "at", "details")


def key_params(key: KeyRecord, codec: Codec) -> tuple[Any, ...]:
    return (key.label, key.algorithm, key.blob, codec.ts_in(key.created_at))


def key_record(row: Sequence[Any], codec: Codec) -> KeyRecord:
    label, algorithm, blob, created_at = row
    return KeyRecord(label, algorithm, bytes(blob), codec.ts_out(created_at))


def ca_params(ca: CaRecord, codec: Codec) -> tuple[Any, ...]:
    return (ca.name, ca.profile, serial_to_hex(ca.serial), ca.certificate_der, ca.issuer, ca.key_label,
            codec.ts_in(ca.created_at), bool(ca.crl_distribution))


def ca_record(row: Sequence[Any], codec: Codec) -> CaRecord:
    name, profile, serial, der, issuer, key_label, created_at, crl_distribution = row
    return CaRecord(
        name=name,
        profile=profile,
        serial=serial_from_hex(serial),
        certificate_der=bytes(der),
        issuer=issuer,
        key_label=key_label,
        created_at=codec.ts_out(created_at),
        crl_distribution=bool(crl_distribution),
    )


def cert_params(cert: CertificateRecord, codec: Codec) -> tuple[Any, ...]:
    return (
        serial_to_hex(cert.serial),
        cert.issuer,
        cert.profile,
        cert.subject,
        codec.ts_in(cert.not_before),
        codec.ts_in(cert.not_after),
        cert.der,
        cert.requester,
        codec.ts_in(cert.created_at),
        None if cert.replaces is None else serial_to_hex(cert.replaces),
        codec.ts_in_opt(cert.revoked_at),
        None if cert.revocation_reason is None else cert.revocation_reason.value,
    )


def cert_record(row: Sequence[Any], codec: Codec) -> CertificateRecord:
    (serial, issuer, profile, subject, not_before, not_after, der, requester, created_at, replaces, revoked_at,
     reason) = row
    return CertificateRecord(
        serial=serial_from_hex(serial),
        issuer=issuer,
        profile=profile,
        subject=subject,
        not_before=codec.ts_out(not_before),
        not_after=codec.ts_out(not_after),
        der=bytes(der),
        requester=requester,
        created_at=codec.ts_out(created_at),
        replaces=None if replaces is None else serial_from_hex(replaces),
        revoked_at=codec.ts_out_opt(revoked_at),
        revocation_reason=None if reason is None else RevocationReason(reason),
    )


def crl_params(crl: CrlRecord, codec: Codec) -> tuple[Any, ...]:
    return (crl.issuer, serial_to_hex(crl.number), codec.ts_in(crl.this_update), codec.ts_in(crl.next_update), crl.der)


def crl_record(row: Sequence[Any], codec: Codec) -> CrlRecord:
    issuer, number, this_update, next_update, der = row
    return CrlRecord(issuer, serial_from_hex(number), codec.ts_out(this_update), codec.ts_out(next_update), bytes(der))


def normalise_event(event: AuditEvent) -> AuditEvent:
    """The event exactly as it will read back: time in UTC, details as a dict of strings. The hash is computed
    over this form, so a stored entry re-hashes to the same value (``pki.audit.canonical_event`` renders the
    time with its offset: an event stamped +02:00 would otherwise never verify after the round trip)."""
    details = event.details
    if event.at.tzinfo is UTC and type(details) is dict and all(
            type(k) is str and type(v) is str for k, v in details.items()):
        return event  # already in that form (every event the core writes)
    return AuditEvent(event.action, event.target, event.actor, aware_utc(event.at),
                      {str(k): str(v) for k, v in details.items()})


def audit_params(entry: AuditEntry, codec: Codec, details: str) -> tuple[Any, ...]:
    """``details``: the event's details as JSON, as hashed (``pki.audit.canonical_details``)."""
    event = entry.event
    return (entry.seq, entry.prev_hash, entry.hash, event.action, event.target, event.actor, codec.ts_in(event.at),
            details)


def audit_entry(row: Sequence[Any], codec: Codec) -> AuditEntry:
    seq, prev_hash, hash_, action, target, actor, at, details = row
    event = AuditEvent(action, target, actor, codec.ts_out(at), json.loads(details))
    return AuditEntry(int(seq), event, bytes(prev_hash), bytes(hash_))
