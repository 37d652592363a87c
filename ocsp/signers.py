"""The signer of each CA: a delegated responder certificate (auto-issued, rotated before expiry) or the CA.

Delegated (RFC 6960 §4.2.2.2): a P-256 key created through the service key store (encrypted at rest like CA
keys) and a certificate of the ``ocsp-responder`` profile (id-kp-OCSPSigning + id-pkix-ocsp-nocheck) issued
by the CA itself. Which key belongs to the current certificate is kept in ``meta`` under
``ocsp.signer.<ca>``, so every responder process finds the same signer after a restart. Rotation happens when
less than ``responder_rotate_before`` remains (it exceeds the response validity, so no response outlives its
responder certificate), or at once when the responder certificate is revoked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from ocsp.errors import OcspError
from ocsp.settings import OcspSettings
from ocsp.signing import Signer
from pki.errors import KeyAccessError, PkiError
from pki.model import CaRecord
from pki.ports import PrivateKey
from pki.profiles import get_profile, with_validity

if TYPE_CHECKING:
    from ca_store.services import Services

__all__ = ["SignerPool", "signer_meta_key", "RESPONDER_PROFILE"]

RESPONDER_PROFILE = "ocsp-responder"
_log = logging.getLogger("pnc.ocsp")


def signer_meta_key(ca_name: str) -> str:
    key = f"ocsp.signer.{ca_name}"
    return key if len(key) <= 64 else "ocsp.signer.#" + hashlib.sha256(ca_name.encode()).hexdigest()[:40]


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_spki(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class SignerPool:
    def __init__(self, services: Services, settings: OcspSettings) -> None:
        self._svc = services
        self._settings = settings
        self._signers: dict[str, Signer] = {}
        self._lock = threading.Lock()  # one creator at a time in this process

    def get(self, ca_name: str) -> Signer | None:
        return self._signers.get(ca_name)

    def due(self, signer: Signer, now: datetime) -> bool:
        if not signer.delegated:
            return False
        return now >= signer.not_after - self._settings.responder_rotate_before

    def ensure(self, ca: CaRecord, *, rotate: bool = False) -> Signer | None:
        """The CA's signer, created or rotated when needed. None if the CA cannot sign (expired, revoked)."""
        svc = self._svc
        now = svc.clock()
        current = self._signers.get(ca.name)
        if current is not None and not rotate and not self.due(current, now):
            return current
        with self._lock:
            current = self._signers.get(ca.name)
            if current is not None and not rotate and not self.due(current, now):
                return current
            try:
                signer = self._ca_signer(ca) if self._settings.signer == "ca" else self._delegated(ca, now, rotate)
            except KeyAccessError as exc:
                raise OcspError(f"the OCSP responder cannot sign for CA {ca.name!r}: {exc}") from None
            except PkiError as exc:  # CA expired or revoked, lint refusal: this CA gets no signer
                _log.warning("no OCSP signer for CA %s: %s", ca.name, exc)
                self._signers.pop(ca.name, None)
                return None
            self._signers[ca.name] = signer
            return signer

    def _ca_signer(self, ca: CaRecord) -> Signer:
        svc = self._svc
        key = svc.keys.load(ca.key_label)
        return Signer(ca.name, key, svc.authority.ca_certificate(ca), delegated=False)

    def _stored(self, ca: CaRecord, now: datetime) -> Signer | None:
        """The responder recorded in ``meta`` if it is still usable (any process may have created it)."""
        svc = self._svc
        raw = svc.store.get_meta(signer_meta_key(ca.name))
        if raw is None:
            return None
        try:
            info = json.loads(raw)
            serial, label = int(info["serial"], 16), str(info["key"])
        except (ValueError, KeyError, TypeError):
            return None
        record = svc.store.get_certificate(serial)
        if record is None or record.revoked or record.issuer != ca.name or record.profile != RESPONDER_PROFILE:
            return None
        try:
            key = svc.keys.load(label)
        except KeyAccessError:
            return None
        cert = record.certificate
        if _key_spki(key) != _spki(cert):
            return None
        signer = Signer(ca.name, key, cert, delegated=True)
        return None if self.due(signer, now) or now < cert.not_valid_before_utc else signer

    def _delegated(self, ca: CaRecord, now: datetime, rotate: bool) -> Signer:
        if not rotate:
            stored = self._stored(ca, now)
            if stored is not None:
                return stored
        svc = self._svc
        label = f"ocsp:{ca.name}:{secrets.token_hex(6)}"
        with svc.store.transaction() as tx:
            key = svc.keys.create(tx, label, "EC-P256", now)
        profile = with_validity(get_profile(RESPONDER_PROFILE), self._settings.responder_validity)
        ca_subject = svc.authority.ca_certificate(ca).subject
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, f"{ca.name} OCSP Responder")]
        attrs += [x509.NameAttribute(a.oid, str(a.value)) for a in ca_subject
                  if a.oid in (NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME)]
        issued = svc.authority.issue(
            profile=profile, subject=x509.Name(attrs), public_key=key.public_key(), issuer=ca.name,
            requester="ocsp",
        )
        info = json.dumps({"serial": format(issued.record.serial, "x"), "key": label}).encode()
        with svc.store.transaction() as tx:
            tx.set_meta(signer_meta_key(ca.name), info)
        _log.info("issued OCSP responder certificate %x for CA %s", issued.record.serial, ca.name)
        return Signer(ca.name, key, issued.certificate, delegated=True)
