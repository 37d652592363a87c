"""Responder life cycle with an injected clock: refresh before half validity, signer rotation and reuse, CRLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x_ocsp

from ocsp.app import OcspApp
from ocsp.model import Answer, ParsedRequest
from ocsp.responder import Responder
from ocsp.settings import OcspSettings
from pki.model import RevocationReason
from tests.conftest import PASSPHRASE
from tests.helpers import csr_pem, make_csr


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def timed(tmp_path: Path) -> tuple[Any, Clock]:
    from ca_store import sqlite_url
    from ca_store.services import initialize

    clock = Clock()
    return initialize(sqlite_url(tmp_path / "pki"), passphrase=PASSPHRASE, clock=clock), clock


def _request(issued: Any) -> bytes:
    return x_ocsp.OCSPRequestBuilder().add_certificate(issued.certificate, issued.chain[0], hashes.SHA1()).build() \
        .public_bytes(serialization.Encoding.DER)


def _responders(svc: Any, ca: str) -> list[Any]:
    return svc.store.list_certificates(issuer=ca, profile="ocsp-responder")  # type: ignore[no-any-return]


def test_responses_are_refreshed_before_half_their_validity(timed: tuple[Any, Clock]) -> None:
    svc, clock = timed
    leaf = svc.ra.issue_from_csr(csr_pem(make_csr("DE*ICE*E0100")), "secc", requester="test")
    responder = Responder(svc, OcspSettings())
    responder.refresh_all()
    body = _request(leaf)
    first = responder.prepare(body)
    assert isinstance(first, Answer) and first.cacheable
    clock.advance(days=1)
    assert responder.refresh_all() == 0  # nothing is due after a quarter of the validity
    assert responder.prepare(body) == first
    clock.advance(days=1, minutes=1)  # past half of the 4 days (thisUpdate was backdated by 1 minute)
    assert responder.refresh_all() > 0
    second = responder.prepare(body)
    assert isinstance(second, Answer) and second.der != first.der
    clock.advance(days=2)  # stale again: re-signed from the in-memory state, without the store, on request
    third = responder.prepare(body)
    assert isinstance(third, Answer) and third.der != second.der
    assert isinstance(responder.prepare(body[:-1] + bytes([body[-1] ^ 1])), ParsedRequest)  # unseen serial
    parsed = x_ocsp.load_der_ocsp_response(third.der)
    assert parsed.this_update_utc == clock.now - timedelta(minutes=1)
    assert parsed.next_update_utc == parsed.this_update_utc + timedelta(days=4)


def test_signers_are_reused_after_restart_and_rotated_before_expiry(timed: tuple[Any, Clock]) -> None:
    svc, clock = timed
    settings = OcspSettings()
    first = Responder(svc, settings)
    first.start()
    signer = first.signers.get("cpo-sub2")
    assert signer is not None and signer.delegated
    assert len(_responders(svc, "cpo-sub2")) == 1
    restarted = Responder(svc, settings)
    restarted.start()
    assert restarted.signers.get("cpo-sub2").serial == signer.serial  # type: ignore[union-attr]
    assert len(_responders(svc, "cpo-sub2")) == 1  # nothing new was issued

    clock.advance(days=21)  # 30-day responder certificate, rotated when less than 10 days remain
    restarted.refresh_all()
    rotated = restarted.signers.get("cpo-sub2")
    assert rotated is not None and rotated.serial != signer.serial
    assert len(_responders(svc, "cpo-sub2")) == 2
    for (ca, _alg, _serial), entry in restarted.entries():
        if ca == "cpo-sub2":
            assert entry.signer_serial == rotated.serial  # every response re-signed by the new responder
            assert entry.answer.next_update is not None and entry.answer.next_update <= rotated.not_after


def test_revoking_the_responder_certificate_rotates_it_at_once(timed: tuple[Any, Clock]) -> None:
    svc, _clock = timed
    app = OcspApp(svc, OcspSettings())
    svc.authority.add_revocation_listener(app.on_revoked)
    app.refresh_all()
    old = app.responder.signers.get("cpo-sub2")
    assert old is not None
    svc.ra.revoke(old.serial, RevocationReason.KEY_COMPROMISE, requester="test")
    new = app.responder.signers.get("cpo-sub2")
    assert new is not None and new.serial != old.serial
    for (ca, _alg, _serial), entry in app.responder.entries():
        if ca == "cpo-sub2":
            assert entry.signer_serial == new.serial  # nothing signed by the revoked responder is served


def test_ca_mode_uses_the_ca_key(timed: tuple[Any, Clock]) -> None:
    svc, _clock = timed
    responder = Responder(svc, OcspSettings(signer="ca"))
    responder.start()
    signer = responder.signers.get("cpo-sub2")
    assert signer is not None and not signer.delegated
    assert signer.serial == svc.authority.ca("cpo-sub2").serial
    assert _responders(svc, "cpo-sub2") == []


def test_crl_is_regenerated_when_due_and_on_revocation(timed: tuple[Any, Clock]) -> None:
    svc, clock = timed
    app = OcspApp(svc, OcspSettings())
    svc.authority.add_revocation_listener(app.on_revoked)
    first = app.crls.load("cpo-sub2")
    assert first is not None and first.record.number == 1
    assert app.crls.load("cpo-sub2") == first  # served from memory
    leaf = svc.ra.issue_from_csr(csr_pem(make_csr("DE*ICE*E0101")), "secc", requester="test")
    svc.ra.revoke(leaf.record.serial, RevocationReason.CESSATION_OF_OPERATION, requester="test")
    second = app.crls.get("cpo-sub2")
    assert second is not None and second.record.number == 2
    clock.advance(days=5)  # 7-day CRLs are regenerated when less than 3 days remain
    assert app.crls.get("cpo-sub2") is None
    third = app.crls.load("cpo-sub2")
    assert third is not None and third.record.number == 3
    assert app.crls.load("nope") is None
