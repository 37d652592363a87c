"""Revocation is a committed row first; status publishers (OCSP, CRL) run after and cannot undo it."""

from __future__ import annotations

import logging

import pytest

from pki.errors import AlreadyRevoked, NotFound
from pki.model import CertificateRecord, RevocationReason
from tests.helpers import csr_pem, make_csr


def test_failing_listener_does_not_turn_a_stored_revocation_into_an_error(  # type: ignore[no-untyped-def]
    pki_services, caplog: pytest.LogCaptureFixture
) -> None:
    svc = pki_services
    seen: list[CertificateRecord] = []

    def broken(record: CertificateRecord) -> None:
        raise RuntimeError("publisher down")

    svc.authority.add_revocation_listener(broken)
    svc.authority.add_revocation_listener(seen.append)
    serial = svc.ra.issue_from_csr(csr_pem(make_csr("CS-1")), "charging-station", requester="t").record.serial
    with caplog.at_level(logging.ERROR):
        record = svc.ra.revoke(serial, RevocationReason.SUPERSEDED, requester="t")
    assert record.revoked and record.revocation_reason is RevocationReason.SUPERSEDED
    assert [r.serial for r in seen] == [serial]  # later listeners still run
    assert "revocation listener failed" in caplog.text
    stored = svc.store.get_certificate(serial)
    assert stored is not None and stored.revoked
    entries = [e for e in svc.store.audit_entries() if e.event.action == "cert.revoke"]
    assert len(entries) == 1 and entries[0].event.details["reason"] == "superseded"


def test_revoke_unknown_and_twice(pki_services) -> None:  # type: ignore[no-untyped-def]
    svc = pki_services
    with pytest.raises(NotFound):
        svc.ra.revoke(12345, RevocationReason.UNSPECIFIED, requester="t")
    serial = svc.ra.issue_from_csr(csr_pem(make_csr("CS-2")), "charging-station", requester="t").record.serial
    svc.ra.revoke(serial, RevocationReason.KEY_COMPROMISE, requester="t")
    with pytest.raises(AlreadyRevoked):
        svc.ra.revoke(serial, RevocationReason.UNSPECIFIED, requester="t")
    assert sum(1 for e in svc.store.audit_entries() if e.event.action == "cert.revoke") == 1
