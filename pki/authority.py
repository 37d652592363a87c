"""The certificate authority's use cases: create CAs, issue, revoke, produce CRLs.

Inputs are policy-checked values (the RA in ``pki.registration`` turns CSRs into them). Every write
happens in one store transaction together with its audit event, and a certificate is returned only
after that transaction committed. Time comes from the injected clock, keys from the injected key store.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki._time import iso_text
from pki.errors import AlreadyExists, InvalidInput, IssuerUnusable, NotFound, PolicyRefused
from pki.issuance import IssuanceRequest, prepare, sign, sign_crl, sign_der
from pki.model import AuditEvent, CaRecord, CertificateRecord, CrlRecord, RevocationReason
from pki.names import Subject, as_subject
from pki.ports import KeyStore, PrivateKey, PublicKey, Store, StoreTx
from pki.profiles import Kind, Profile

__all__ = ["Clock", "AuthorityConfig", "Issued", "CertificateAuthority", "new_serial", "serial_hex", "check_public_url"]

Clock = Callable[[], datetime]
_log = logging.getLogger(__name__)


def check_public_url(url: str) -> str:
    """The base URL published in certificates (AIA OCSP, CRL DP; RFC 5280 §4.2.2.1 accessLocation is a URI):
    http or https, with a host, no spaces or control characters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not url.isprintable() \
            or " " in url:
        raise InvalidInput(f"public URL {url!r} (PNC_PUBLIC_URL): an http:// or https:// URL with a host is required")
    return url


@dataclass(frozen=True, slots=True)
class AuthorityConfig:
    public_url: str = "http://localhost:8080"  # PNC_PUBLIC_URL: base of the OCSP and CRL URLs we publish
    max_backdate: timedelta = timedelta(minutes=5)  # lint bound
    backdate: timedelta = timedelta(minutes=2)  # notBefore = now - backdate (clock skew of stations)
    crl_validity: timedelta = timedelta(days=7)
    validity: Mapping[str, timedelta] = field(default_factory=dict)  # per-profile default overrides

    def __post_init__(self) -> None:
        check_public_url(self.public_url)

    @property
    def ocsp_url(self) -> str:
        return self.public_url.rstrip("/") + "/ocsp"

    def crl_url(self, ca_name: str) -> str:
        return f"{self.public_url.rstrip('/')}/crl/{ca_name}.crl"

    def default_validity(self, profile: Profile) -> timedelta:
        return self.validity.get(profile.name, profile.default_validity)


@dataclass(frozen=True)
class Issued:
    record: CertificateRecord  # as stored; ``record.der`` is the certificate
    chain: tuple[x509.Certificate, ...]  # issuing CA first, root last

    @cached_property
    def certificate(self) -> x509.Certificate:
        """The certificate parsed (on first use: the bytes are the linted structure, see ``pki.issuance.sign_der``,
        and a caller that only needs the DER never pays for the parse)."""
        return x509.load_der_x509_certificate(self.record.der)

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(Encoding.PEM).decode()


def new_serial() -> int:
    """159 random bits from the OS CSPRNG (positive, <= 20 octets DER, RFC 5280 §4.1.2.2), at least 64 bits long.

    Drawn from a small pool filled by one ``os.urandom`` call per ``_SERIAL_BATCH`` serials: the system call costs
    more than the rest of the draw on a virtual machine. A child process empties the pool it inherited at fork, so
    no two processes hand out the same draw (the store's unique index would refuse it anyway)."""
    while True:
        try:
            serial = _serials.pop()
        except IndexError:
            pool = os.urandom(20 * _SERIAL_BATCH)
            _serials.extend(int.from_bytes(pool[at : at + 20], "big") >> 1 for at in range(0, len(pool), 20))
            continue
        if serial.bit_length() >= 64:
            return serial


_SERIAL_BATCH = 64
_serials: list[int] = []  # list.pop and list.extend are atomic: threads share the pool safely
os.register_at_fork(after_in_child=_serials.clear)


def serial_hex(serial: int) -> str:
    return format(serial, "X")


RevocationListener = Callable[[CertificateRecord], None]
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class _IssuingChain:
    records: tuple[CaRecord, ...]  # the issuing CA first, root last
    certificates: tuple[x509.Certificate, ...]  # the same order
    valid_from: datetime  # every certificate of the chain is valid in [valid_from, valid_until)
    valid_until: datetime
    issuer_validity: tuple[datetime, datetime]  # the issuing CA's own (notBefore, notAfter)
    serials: tuple[int, ...]  # the serials of ``records``


class CertificateAuthority:
    def __init__(self, store: Store, keys: KeyStore, clock: Clock, config: AuthorityConfig | None = None) -> None:
        self.store = store
        self.keys = keys
        self.clock = clock
        self.config = config or AuthorityConfig()
        self._ocsp_url = self.config.ocsp_url
        self._certs: dict[int, x509.Certificate] = {}
        self._cas: dict[str, CaRecord] = {}
        self._issuing: dict[str, _IssuingChain] = {}
        self._subjects: dict[int, Subject] = {}
        self._lock = threading.Lock()
        self._revocation_listeners: list[RevocationListener] = []

    # -- reading ---------------------------------------------------------------------------------------
    def ca(self, name: str) -> CaRecord:
        """A CA record; cached, since CA rows never change once created (revocation lives on the certificate)."""
        cached = self._cas.get(name)  # a dict read is atomic: the lock guards the writes only
        if cached is not None:
            return cached
        record = self.store.get_ca(name)
        if record is None:
            known = ", ".join(c.name for c in self.store.list_cas()) or "none (run `pnc init`)"
            raise NotFound(f"unknown CA {name!r}; known: {known}")
        with self._lock:
            self._cas[name] = record
        return record

    def ca_certificate(self, ca: CaRecord) -> x509.Certificate:
        with self._lock:
            cert = self._certs.get(ca.serial)
            if cert is None:
                cert = self._certs[ca.serial] = ca.certificate
            return cert

    def ca_subject(self, ca: CaRecord) -> Subject:
        """The CA certificate's subject (cached, like the certificate)."""
        found = self._subjects.get(ca.serial)
        if found is None:
            found = Subject.from_name(self.ca_certificate(ca).subject)
            with self._lock:
                self._subjects[ca.serial] = found
        return found

    def chain(self, name: str) -> list[CaRecord]:
        """The CA and its ancestors: ``name`` first, root last."""
        out = [self.ca(name)]
        while out[-1].issuer is not None and out[-1].issuer != out[-1].name:
            if len(out) > 8:
                raise PolicyRefused(f"CA chain of {name!r} is too deep")
            out.append(self.ca(out[-1].issuer))
        return out

    def check_validity(self, chain: list[CaRecord], now: datetime) -> None:
        """The issuing CA and every ancestor must be within their validity."""
        for ca in chain:
            cert = self.ca_certificate(ca)
            if now < cert.not_valid_before_utc:
                raise IssuerUnusable(f"CA {ca.name!r} is not yet valid (from {cert.not_valid_before_utc:%Y-%m-%d})")
            if now >= cert.not_valid_after_utc:
                raise IssuerUnusable(f"CA {ca.name!r} expired on {cert.not_valid_after_utc:%Y-%m-%d}")

    @staticmethod
    def check_not_revoked(tx: StoreTx, chain: Sequence[CaRecord], serials: tuple[int, ...] | None = None) -> None:
        """Inside the write transaction, so a concurrent CA revocation cannot slip in before the insert (``serials``:
        the chain's serials when already at hand)."""
        revoked = tx.revoked_among(tuple(ca.serial for ca in chain) if serials is None else serials)
        for ca in chain if revoked else ():
            if ca.serial in revoked:
                raise IssuerUnusable(f"CA {ca.name!r} is revoked")

    # -- issuing ---------------------------------------------------------------------------------------
    def issue(
        self,
        *,
        profile: Profile,
        subject: Subject | x509.Name,
        public_key: PublicKey,
        issuer: str,
        requester: str,
        validity: timedelta | None = None,
        not_after: datetime | None = None,
        replaces: int | None = None,
        action: str = "cert.issue",
        spki: bytes | None = None,
    ) -> Issued:
        """Issue a certificate of ``profile`` for a policy-approved subject and key (``spki``: the key's
        SubjectPublicKeyInfo when already encoded, see ``pki.csr.CheckedCsr.spki``)."""
        now = self.clock()
        issuing = self._issuing_chain(issuer)
        ca = issuing.records[0]
        if ca.profile not in profile.issuers:
            raise PolicyRefused(
                f"CA {ca.name!r} ({ca.profile}) may not issue {profile.name} certificates; "
                f"allowed issuers: {', '.join(profile.issuers)}"
            )
        if not issuing.valid_from <= now < issuing.valid_until:
            self.check_validity(list(issuing.records), now)  # names the CA that is not valid
        issuer_cert = issuing.certificates[0]
        req = self._request(profile, as_subject(subject), public_key, now, validity, not_after,
                            issuing.issuer_validity, ca, spki)
        prepared = prepare(req, issuer_cert, now=now, max_backdate=self.config.max_backdate)
        key = self.keys.load(ca.key_label)
        for _attempt in range(3):
            try:
                with self.store.transaction(deferred_writes=True) as tx:  # errors come at commit: caught below
                    self.check_not_revoked(tx, issuing.records, issuing.serials)
                    der = sign_der(prepared, key)
                    record = _record(der, profile, ca.name, requester, now, replaces, req)
                    tx.add_certificate(record)
                    tx.audit(_cert_event(action, record, requester, now))
            except AlreadyExists:  # a 159-bit serial collision: practically never; draw again
                req = replace(req, serial=new_serial())
                prepared = prepare(req, issuer_cert, now=now, max_backdate=self.config.max_backdate)
                continue
            return Issued(record, issuing.certificates)
        raise AlreadyExists("could not allocate a unique serial number")  # pragma: no cover

    def _issuing_chain(self, name: str) -> _IssuingChain:
        """The CA ``name`` with its ancestors, their certificates and the window in which all are valid (cached:
        CA rows and certificates never change; revocation is checked per issuance in the store)."""
        found = self._issuing.get(name)
        if found is None:
            records = tuple(self.chain(name))
            certificates = tuple(self.ca_certificate(ca) for ca in records)
            found = _IssuingChain(records, certificates, max(c.not_valid_before_utc for c in certificates),
                                  min(c.not_valid_after_utc for c in certificates),
                                  (certificates[0].not_valid_before_utc, certificates[0].not_valid_after_utc),
                                  tuple(ca.serial for ca in records))
            with self._lock:
                self._issuing[name] = found
        return found

    def _request(
        self,
        profile: Profile,
        subject: Subject,
        public_key: PublicKey,
        now: datetime,
        validity: timedelta | None,
        not_after: datetime | None,
        issuer_validity: tuple[datetime, datetime] | None,
        ca: CaRecord | None,
        spki: bytes | None = None,
    ) -> IssuanceRequest:
        """``issuer_validity``: the issuing CA certificate's (notBefore, notAfter); None for a root."""
        if validity is None:
            validity = self.config.default_validity(profile)
        elif validity <= _ZERO:
            raise PolicyRefused(f"validity must be positive (got {validity.days} days)")
        if validity > profile.max_validity:
            raise PolicyRefused(
                f"validity of {validity.days} days exceeds the {profile.name} maximum of {profile.max_validity.days}"
            )
        second = now.replace(microsecond=0)
        not_before = second - self.config.backdate
        end = second + validity
        if not_after is not None and not_after < end:
            end = not_after
        if issuer_validity is not None:
            if issuer_validity[1] < end:
                end = issuer_validity[1]  # a child never outlives its issuer
            if issuer_validity[0] > not_before:
                not_before = issuer_validity[0]
        if end <= not_before:
            raise PolicyRefused("the requested validity ends before it begins")
        return IssuanceRequest(  # in field order
            profile, subject, public_key, new_serial(), not_before, end,
            self._ocsp_url if profile.kind is not Kind.ROOT else None,
            self.config.crl_url(ca.name) if ca is not None and ca.crl_distribution else None,
            spki,
        )

    # -- creating CAs ----------------------------------------------------------------------------------
    def create_ca(
        self,
        tx: StoreTx,
        *,
        name: str,
        profile: Profile,
        subject: Subject | x509.Name,
        key_algorithm: str,
        parent: tuple[CaRecord, PrivateKey] | None,
        actor: str,
        validity: timedelta | None = None,
        crl_distribution: bool = False,
    ) -> tuple[CaRecord, PrivateKey]:
        """Create a CA inside ``tx`` (so a whole hierarchy commits at once). ``parent`` None: a root."""
        if not profile.is_ca:
            raise PolicyRefused(f"profile {profile.name} is not a CA profile")
        now = self.clock()
        if (parent is None) != (profile.kind is Kind.ROOT):
            raise PolicyRefused(f"profile {profile.name} {'needs' if parent is None else 'cannot have'} a parent CA")
        if parent is not None and parent[0].profile not in profile.issuers:
            raise PolicyRefused(f"CA {parent[0].name!r} ({parent[0].profile}) may not issue {profile.name}")
        key = self.keys.create(tx, f"ca:{name}", key_algorithm, now)
        issuer_cert = self.ca_certificate(parent[0]) if parent is not None else None
        req = self._request(profile, as_subject(subject), key.public_key(), now, validity, None,
                            (issuer_cert.not_valid_before_utc, issuer_cert.not_valid_after_utc)
                            if issuer_cert is not None else None, parent[0] if parent is not None else None)
        cert = sign(prepare(req, issuer_cert, now=now, max_backdate=self.config.max_backdate),
                    parent[1] if parent is not None else key)
        issuer_name = parent[0].name if parent is not None else name
        record = _record(cert.public_bytes(Encoding.DER), profile, issuer_name, actor, now, None, req)
        tx.add_certificate(record)
        ca = CaRecord(
            name=name,
            profile=profile.name,
            serial=cert.serial_number,
            certificate_der=record.der,
            issuer=parent[0].name if parent is not None else None,
            key_label=f"ca:{name}",
            created_at=now,
            crl_distribution=crl_distribution,
        )
        tx.add_ca(ca)
        tx.audit(AuditEvent("ca.create", f"ca:{name}", actor, now,
                            {"profile": profile.name, "serial": serial_hex(record.serial),
                             "subject": record.subject, "issuer": issuer_name}))
        with self._lock:
            self._certs[ca.serial] = cert
            self._cas[name] = ca
        return ca, key

    # -- revocation and CRLs ---------------------------------------------------------------------------
    def add_revocation_listener(self, listener: RevocationListener) -> None:
        """Called after a revocation committed, before ``revoke`` returns (OCSP re-signing, CRL refresh)."""
        self._revocation_listeners.append(listener)

    def revoke(
        self, serial: int, reason: RevocationReason, actor: str, *, at: datetime | None = None
    ) -> CertificateRecord:
        now = self.clock()
        when = (at or now).replace(microsecond=0)
        if when > now:
            raise PolicyRefused("revocation time cannot be in the future")
        with self.store.transaction() as tx:
            record = tx.mark_revoked(serial, when, reason)
            tx.audit(AuditEvent("cert.revoke", f"cert:{serial_hex(serial)}", actor, now,
                                {"reason": reason.value, "revoked_at": when.isoformat(), "issuer": record.issuer}))
        for listener in self._revocation_listeners:
            try:
                listener(record)
            except Exception:  # noqa: BLE001 - the revocation is committed; a status publisher must not undo that
                _log.exception("revocation listener failed for %s (the revocation itself is stored)",
                               serial_hex(serial))
        return record

    def generate_crl(self, ca_name: str, actor: str) -> CrlRecord:
        """A full CRL of ``ca_name`` with CRL number (the store's latest plus one) and AKI (RFC 5280 §5.2.1,
        §5.2.3)."""
        ca = self.ca(ca_name)
        now = self.clock().replace(microsecond=0)
        cert = self.ca_certificate(ca)
        if now >= cert.not_valid_after_utc:  # nextUpdate would precede thisUpdate
            raise IssuerUnusable(f"CA {ca_name!r} expired on {cert.not_valid_after_utc:%Y-%m-%d}: it issues no CRL")
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        key = self.keys.load(ca.key_label)
        # Numbered, filled and signed inside the write transaction (as certificates are): no concurrent writer can
        # take the number in between, and a CRL lists every revocation committed before it.
        with self.store.transaction() as tx:
            number = tx.latest_crl_number(ca_name) + 1
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(cert.subject)
                .last_update(now)
                .next_update(min(now + self.config.crl_validity, cert.not_valid_after_utc))
                .add_extension(x509.CRLNumber(number), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
            )
            entries = 0
            for revoked in tx.revoked_certificates(ca_name):
                if revoked.serial == ca.serial or revoked.revoked_at is None:
                    continue  # a CA's own certificate is listed by its parent
                entry = x509.RevokedCertificateBuilder().serial_number(revoked.serial).revocation_date(
                    revoked.revoked_at)
                if revoked.revocation_reason not in (None, RevocationReason.UNSPECIFIED):
                    entry = entry.add_extension(x509.CRLReason(revoked.revocation_reason.flag), critical=False)
                builder = builder.add_revoked_certificate(entry.build())
                entries += 1
            crl = sign_crl(builder, key)
            record = CrlRecord(ca_name, number, now, crl.next_update_utc or now, crl.public_bytes(Encoding.DER))
            tx.add_crl(record)
            tx.audit(AuditEvent("crl.issue", f"ca:{ca_name}", actor, now,
                                {"number": str(number), "entries": str(entries)}))
        return record


def _record(
    der: bytes,
    profile: Profile,
    issuer: str,
    requester: str,
    now: datetime,
    replaces: int | None,
    req: IssuanceRequest,
) -> CertificateRecord:
    """The store row; values come from the request (identical to the TBS by construction, see ``sign``)."""
    return CertificateRecord(
        serial=req.serial,
        issuer=issuer,
        profile=profile.name,
        subject=req.subject.text,
        not_before=req.not_before,
        not_after=req.not_after,
        der=der,
        requester=requester,
        created_at=now,
        replaces=replaces,
    )


def _cert_event(action: str, record: CertificateRecord, actor: str, now: datetime) -> AuditEvent:
    details = {"profile": record.profile, "issuer": record.issuer, "subject": record.subject,
               "not_after": iso_text(record.not_after)}
    if record.replaces is not None:
        details["replaces"] = serial_hex(record.replaces)
    return AuditEvent(action, f"cert:{serial_hex(record.serial)}", actor, now, details)
