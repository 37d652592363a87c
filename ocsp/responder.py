"""The OCSP responder core: issuer routing, certificate states, pre-signed responses, live signing.

Hot path (``prepare``): parse -> issuer lookup -> dictionary lookup of pre-signed bytes; no signing and no
store round trip. A nonce request is signed live from the in-memory state. Only a serial this process has not
seen needs the store (``answer``, run off the event loop by the app). ``refresh_all`` pre-signs every
certificate of every CA (SHA-1 and SHA-256 CertIDs by default) and re-signs each response before half its
validity has passed (RFC 5019 §2.2.4 / RFC 9919: responses are pre-produced; CA/B BR §4.9.10).

States only move from good to revoked: a store snapshot read before a revocation can never overwrite the
revoked response the revocation listener produced (``_store_entry``/``_store_state``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509

from ca_store.services import utc_now
from ocsp.errors import OcspError
from ocsp.http import etag_of, static_headers
from ocsp.model import GOOD, Answer, CertId, CertState, ParsedRequest, ResponseStatus, Status
from ocsp.request import MalformedRequest, parse_request
from ocsp.settings import SUPPORTED_HASHES, OcspSettings
from ocsp.signers import RESPONDER_PROFILE, SignerPool
from ocsp.signing import Signer, issuer_hashes, sign_response, sign_single
from pki.errors import PkiError, StoreUnavailable
from pki.model import CaRecord, CertificateRecord

if TYPE_CHECKING:
    from ca_store.services import Services

__all__ = ["Responder", "Entry", "state_of", "failure_answer", "MALFORMED", "UNAUTHORIZED", "TRY_LATER",
           "INTERNAL_ERROR"]

_log = logging.getLogger("pnc.ocsp")

MALFORMED = Answer(ResponseStatus.MALFORMED_REQUEST.der, status=ResponseStatus.MALFORMED_REQUEST)
UNAUTHORIZED = Answer(ResponseStatus.UNAUTHORIZED.der, status=ResponseStatus.UNAUTHORIZED)
TRY_LATER = Answer(ResponseStatus.TRY_LATER.der, status=ResponseStatus.TRY_LATER)
INTERNAL_ERROR = Answer(ResponseStatus.INTERNAL_ERROR.der, status=ResponseStatus.INTERNAL_ERROR)


@dataclass(frozen=True, slots=True)
class Entry:
    """A pre-signed response and when to replace it."""

    answer: Answer
    state: CertState
    refresh_at: datetime
    signer_serial: int

    @property
    def refresh_ts(self) -> float:
        return self.answer.refresh_ts


def state_of(record: CertificateRecord) -> CertState:
    if record.revoked_at is not None:
        return CertState(Status.REVOKED, record.revoked_at, record.revocation_reason)
    return GOOD


def failure_answer(exc: PkiError | ValueError) -> Answer:
    """The OCSP edge's one translation of a failure (RFC 6960 §4.2.1): the store is down -> tryLater (the client
    may retry), anything else -> internalError; never an HTTP 500."""
    if isinstance(exc, StoreUnavailable):
        _log.warning("OCSP: store unavailable: %s", exc)
        return TRY_LATER
    _log.error("OCSP: cannot answer: %s", exc)
    return INTERNAL_ERROR


def _moves_back(old: CertState | None, new: CertState) -> bool:
    """True if ``new`` would replace a revocation by an earlier, weaker state (never allowed)."""
    return old is not None and old.status is Status.REVOKED and not old.extended and new.status is not Status.REVOKED


class Responder:
    def __init__(self, services: Services, settings: OcspSettings | None = None) -> None:
        self.services = services
        self.settings = settings or OcspSettings()
        self.clock = services.clock
        self.signers = SignerPool(services, self.settings)
        self._issuers: dict[tuple[str, bytes, bytes], str] = {}  # (hash, nameHash, keyHash) -> CA name
        self._ca_certs: dict[str, x509.Certificate] = {}
        self._states: dict[tuple[str, int], CertState] = {}  # (CA, serial) -> state of certificates we issued
        self._cache: dict[tuple[str, str, int], Entry] = {}  # (CA, hash, serial) -> pre-signed response
        self._unknown: dict[tuple[str, str, int], Entry] = {}  # short-lived answers for serials we never issued
        self._by_request: dict[bytes, tuple[str, str, int]] = {}  # request DER (no nonce) -> cache key
        self._by_request_limit = 100_000  # request bytes -> cache key (about 150 B each)
        self._real_clock = services.clock is utc_now
        self._write = threading.Lock()
        self._started = False

    # -- set-up and refresh ---------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._started

    def load_issuers(self) -> list[CaRecord]:
        cas = self.services.store.list_cas()
        issuers: dict[tuple[str, bytes, bytes], str] = {}
        for ca in cas:
            cert = self.services.authority.ca_certificate(ca)
            self._ca_certs[ca.name] = cert
            for alg in SUPPORTED_HASHES:
                name_hash, key_hash = issuer_hashes(cert, alg)
                issuers[(alg, name_hash, key_hash)] = ca.name
        self._issuers = issuers
        return cas

    def start(self) -> None:
        """Load the CAs and make sure every CA has a signer (issues responder certificates if needed)."""
        for ca in self.load_issuers():
            self.signers.ensure(ca)
        self._started = True

    def refresh_all(self) -> int:
        """One maintenance cycle: new CAs, signer rotation, a pass over every certificate in the store that
        (re-)signs missing, due or outdated responses. Returns the number of responses signed."""
        now = self.clock()
        signed = 0
        cas = self.load_issuers()
        self._started = True
        for ca in cas:
            signer = self.signers.ensure(ca)
            if signer is None:
                continue
            for record in self.services.store.list_certificates(issuer=ca.name):
                state = self._store_state(ca.name, record.serial, state_of(record))
                if record.not_after < now and state.status is Status.GOOD:
                    continue  # expired: answered on request, not kept warm
                for alg in self.settings.presign_hashes:
                    entry = self._cache.get((ca.name, alg, record.serial))
                    if entry is None or self._stale(entry, state, signer, now):
                        self._sign_entry(ca.name, alg, record.serial, state, signer)
                        signed += 1
        for (ca_name, alg, serial), entry in list(self._cache.items()):  # lazily signed hashes (SHA-384/512)
            signer = self.signers.get(ca_name)
            known = self._states.get((ca_name, serial))
            if signer is not None and known is not None and self._stale(entry, known, signer, now):
                self._sign_entry(ca_name, alg, serial, known, signer)
                signed += 1
        for key, entry in list(self._unknown.items()):
            if entry.refresh_at <= now:
                self._unknown.pop(key, None)
        return signed

    def _stale(self, entry: Entry, state: CertState, signer: Signer, now: datetime) -> bool:
        return entry.refresh_at <= now or entry.state != state or entry.signer_serial != signer.serial

    # -- state changes ----------------------------------------------------------------------------------------
    def on_record(self, record: CertificateRecord) -> None:
        """A certificate was issued or revoked: re-sign its responses now (before a revocation call returns)."""
        ca = record.issuer
        if ca not in self._ca_certs:
            self.load_issuers()
        state = self._store_state(ca, record.serial, state_of(record))
        hashes = set(self.settings.presign_hashes)
        hashes.update(alg for alg in SUPPORTED_HASHES if (ca, alg, record.serial) in self._cache)
        for alg in SUPPORTED_HASHES:  # never serve an old answer if re-signing fails below
            self._cache.pop((ca, alg, record.serial), None)
        signer = self._signer(ca)
        if signer is None:
            return
        for alg in sorted(hashes):
            self._sign_entry(ca, alg, record.serial, state, signer)
        for alg in SUPPORTED_HASHES:
            self._unknown.pop((ca, alg, record.serial), None)
        if record.revoked and record.profile == RESPONDER_PROFILE:
            current = self.signers.get(ca)
            if current is not None and current.serial == record.serial:
                _log.warning("OCSP responder certificate of %s was revoked: rotating", ca)
                ca_record = self.services.store.get_ca(ca)
                fresh = self.signers.ensure(ca_record, rotate=True) if ca_record is not None else None
                for (c, alg, serial), entry in list(self._cache.items()):  # rare emergency: re-sign all at once
                    if c == ca and fresh is not None and entry.signer_serial != fresh.serial:
                        self._sign_entry(ca, alg, serial, entry.state, fresh)

    def on_serial(self, serial: int) -> CertificateRecord | None:
        """Re-read ``serial`` from the store and apply it (the internal notification endpoint)."""
        record = self.services.store.get_certificate(serial)
        if record is not None:
            self.on_record(record)
        return record

    # -- answering --------------------------------------------------------------------------------------------
    def now_ts(self) -> float:
        """The current time as a POSIX timestamp (``time.time()`` unless a test injected a clock)."""
        return time.time() if self._real_clock else self.clock().timestamp()

    def prepare(self, body: bytes) -> Answer | ParsedRequest:
        """Answer from memory, or return the parsed request if the store must be asked (``answer``)."""
        known = self._by_request.get(body)  # the same no-nonce request bytes seen before: skip parsing
        if known is not None:
            entry = self._cache.get(known) or self._unknown.get(known)
            if entry is not None and entry.refresh_ts > self.now_ts():
                return entry.answer
        try:
            parsed = parse_request(body, max_cert_ids=self.settings.max_cert_ids,
                                   max_nonce=self.settings.max_nonce_bytes)
        except MalformedRequest:
            return MALFORMED
        if len(parsed.cert_ids) != 1:
            return parsed
        cert_id = parsed.cert_ids[0]
        ca = self._issuers.get(cert_id.issuer_key)
        if ca is None:  # RFC 6960 §2.3 / RFC 5019 §2.2.3: not an issuer we serve
            return UNAUTHORIZED if self._started else parsed
        key = (ca, cert_id.hash_name, cert_id.serial)
        if parsed.nonce is None:
            if len(self._by_request) >= self._by_request_limit:
                self._by_request.clear()
            self._by_request[body] = key
            entry = self._cache.get(key) or self._unknown.get(key)
            if entry is not None and entry.refresh_ts > self.now_ts():
                return entry.answer
        state = self._states.get((ca, cert_id.serial))
        signer = self.signers.get(ca)
        if state is None or signer is None:
            return parsed
        return self._single(ca, cert_id, state, signer, parsed.nonce)

    def answer(self, parsed: ParsedRequest) -> Answer:
        """The complete answer, asking the store about serials not in memory (blocking)."""
        if not self._started:
            self.start()
        resolved: list[tuple[CertId, str | None]] = [(c, self._issuers.get(c.issuer_key)) for c in parsed.cert_ids]
        first = next((ca for _, ca in resolved if ca is not None), None)
        if first is None:
            return UNAUTHORIZED
        signer = self._signer(first)
        if signer is None:
            return UNAUTHORIZED
        if len(resolved) == 1:
            cert_id = resolved[0][0]
            return self._single(first, cert_id, self._lookup(first, cert_id.serial), signer, parsed.nonce)
        # RFC 6960 §4.1.1: every CertID is answered; a CertID of another issuer than the signer's CA, or with a
        # hash we do not support, is "unknown" to this signer.
        now = self.clock()
        singles = []
        for cert_id, ca in resolved:
            state = self._lookup(first, cert_id.serial) if ca == first else CertState(Status.UNKNOWN)
            this_update, next_update = self._window(state, signer, now)
            singles.append((cert_id, state, this_update, next_update))
        return Answer(sign_response(signer, singles, now, parsed.nonce))

    def respond(self, body: bytes) -> Answer:
        """``prepare`` + ``answer`` with every failure turned into an OCSP error status (never raises)."""
        try:
            result = self.prepare(body)
            return result if isinstance(result, Answer) else self.answer(result)
        except (PkiError, ValueError) as exc:
            return failure_answer(exc)

    def local_response(self, cert_id: CertId) -> bytes | None:
        """A response for ``cert_id`` with the state checked against the store now (for ``OcspClient``);
        None if the issuer is not one of our CAs."""
        if not self._started:
            self.start()
        ca = self._issuers.get(cert_id.issuer_key)
        if ca is None:
            return None
        signer = self._signer(ca)
        if signer is None:
            raise OcspError(f"no OCSP signer for CA {ca!r}")
        state = self._lookup(ca, cert_id.serial, fresh=True)
        entry = self._cache.get((ca, cert_id.hash_name, cert_id.serial))
        if entry is not None and entry.state == state and not self._stale(entry, state, signer, self.clock()):
            return entry.answer.der
        return self._single(ca, cert_id, state, signer, None).der

    # -- internals --------------------------------------------------------------------------------------------
    def _signer(self, ca_name: str) -> Signer | None:
        signer = self.signers.get(ca_name)
        if signer is not None and not self.signers.due(signer, self.clock()):
            return signer
        ca = self.services.store.get_ca(ca_name)
        return None if ca is None else self.signers.ensure(ca)

    def _lookup(self, ca: str, serial: int, *, fresh: bool = False) -> CertState:
        state = None if fresh else self._states.get((ca, serial))
        if state is not None:
            return state
        record = self.services.store.get_certificate(serial)
        if record is not None and record.issuer == ca:
            return self._store_state(ca, serial, state_of(record))
        if self.settings.unknown_policy == "revoked":  # RFC 6960 §2.2 extended revoked
            return CertState(Status.REVOKED, extended=True)
        return CertState(Status.UNKNOWN)

    def _store_state(self, ca: str, serial: int, state: CertState) -> CertState:
        with self._write:
            old = self._states.get((ca, serial))
            if _moves_back(old, state):
                return old  # type: ignore[return-value]
            self._states[(ca, serial)] = state
            return state

    def _window(self, state: CertState, signer: Signer, now: datetime) -> tuple[datetime, datetime]:
        this_update = (now - self.settings.backdate).replace(microsecond=0)
        if state.revoked_at is not None and not state.extended:
            this_update = max(this_update, state.revoked_at.replace(microsecond=0))
        issued = state.status is not Status.UNKNOWN and not state.extended
        validity = self.settings.validity if issued else self.settings.unknown_validity
        return this_update, min(this_update + validity, signer.not_after).replace(microsecond=0)

    def _single(self, ca: str, cert_id: CertId, state: CertState, signer: Signer, nonce: bytes | None) -> Answer:
        if cert_id.hash_name not in SUPPORTED_HASHES:
            return UNAUTHORIZED  # we cannot echo a CertID hashed with an algorithm we do not support
        if nonce is not None:  # live, never cached (RFC 9654: the nonce binds this response to one request)
            now = self.clock()
            this_update, next_update = self._window(state, signer, now)
            return Answer(sign_single(signer, cert_id, state, this_update, next_update, nonce, now),
                          this_update=this_update, next_update=next_update)
        return self._sign_entry(ca, cert_id.hash_name, cert_id.serial, state, signer, cert_id).answer

    def _sign_entry(self, ca: str, alg: str, serial: int, state: CertState, signer: Signer,
                    cert_id: CertId | None = None) -> Entry:
        now = self.clock()
        if cert_id is None:
            name_hash, key_hash = issuer_hashes(self._ca_certs[ca], alg)
            cert_id = CertId(alg, name_hash, key_hash, serial)
        this_update, next_update = self._window(state, signer, now)
        der = sign_single(signer, cert_id, state, this_update, next_update, None, now)
        etag = etag_of(der)
        known = (ca, serial) in self._states
        if known:
            refresh_at = this_update + self.settings.refresh_after
        else:
            refresh_at = now + self.settings.unknown_cache
        answer = Answer(der, cacheable=True, this_update=this_update, next_update=next_update, etag=etag,
                        headers=static_headers(etag, this_update, next_update), next_update_ts=next_update.timestamp(),
                        refresh_ts=refresh_at.timestamp())
        entry = Entry(answer, state, refresh_at, signer.serial)
        key = (ca, alg, serial)
        with self._write:
            if known:
                if _moves_back(self._states.get((ca, serial)), state):
                    current = self._cache.get(key)
                    return current if current is not None else entry
                self._cache[key] = entry
            else:
                if len(self._unknown) >= self.settings.max_unknown_entries:
                    self._unknown.clear()  # bounded memory under a flood of random serials
                self._unknown[key] = entry
        return entry

    def issuer_certificates(self) -> list[x509.Certificate]:
        """Certificates of the CAs we answer for (to verify our own responses)."""
        if not self._ca_certs:
            self.load_issuers()
        return list(self._ca_certs.values())

    def entries(self) -> Iterable[tuple[tuple[str, str, int], Entry]]:
        return list(self._cache.items())

    def entry(self, ca: str, alg: str, serial: int) -> Entry | None:
        return self._cache.get((ca, alg, serial)) or self._unknown.get((ca, alg, serial))
