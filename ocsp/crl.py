"""CRL distribution: the latest CRL of each CA, served from memory, regenerated when it is due or when a
certificate of that CA is revoked (RFC 5280 §5; the URL published in CRL DPs is ``/crl/{ca}.crl``)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509

from ocsp.http import etag_of, static_headers
from ocsp.settings import OcspSettings
from pki.errors import AlreadyExists, PkiError
from pki.model import CrlRecord

if TYPE_CHECKING:
    from ca_store.services import Services

__all__ = ["CrlCache", "CrlEntry"]

_log = logging.getLogger("pnc.ocsp")


@dataclass(frozen=True, slots=True)
class CrlEntry:
    record: CrlRecord
    etag: str
    headers: tuple[tuple[bytes, bytes], ...]
    next_update_ts: float
    refresh_at: datetime


class CrlCache:
    def __init__(self, services: Services, settings: OcspSettings) -> None:
        self._svc = services
        self._settings = settings
        self._crls: dict[str, CrlEntry] = {}
        self._lock = threading.Lock()

    def get(self, ca_name: str) -> CrlEntry | None:
        """From memory, if present and not due (no store access)."""
        entry = self._crls.get(ca_name)
        if entry is None or entry.refresh_at <= self._svc.clock():
            return None
        return entry

    def load(self, ca_name: str) -> CrlEntry | None:
        """The CA's current CRL, read from the store and regenerated if due; None for an unknown CA."""
        entry = self.get(ca_name)
        if entry is not None:
            return entry
        if self._svc.store.get_ca(ca_name) is None:
            return None
        latest = self._svc.store.latest_crl(ca_name)
        if latest is not None and self._refresh_at(latest) > self._svc.clock():
            return self._keep(latest)
        return self.regenerate(ca_name)

    def regenerate(self, ca_name: str) -> CrlEntry | None:
        """Sign a fresh CRL now (after a revocation, or when the current one is due)."""
        with self._lock:
            try:
                record = self._svc.authority.generate_crl(ca_name, actor="ocsp")
            except AlreadyExists:  # another process numbered a CRL at the same moment: serve that one
                record = self._svc.store.latest_crl(ca_name)  # type: ignore[assignment]
            except PkiError as exc:
                _log.warning("cannot generate the CRL of %s: %s", ca_name, exc)
                latest = self._svc.store.latest_crl(ca_name)
                return None if latest is None else self._keep(latest)
            return None if record is None else self._keep(record)

    def ensure_lists(self, ca_name: str, serial: int) -> CrlEntry | None:
        """Make sure the served CRL of ``ca_name`` lists ``serial`` (just revoked): reuse the newest CRL in the
        store if another process already produced one that does, else sign a new one."""
        latest = self._svc.store.latest_crl(ca_name)
        if latest is not None:
            crl = x509.load_der_x509_crl(latest.der)
            if crl.get_revoked_certificate_by_serial_number(serial) is not None:
                return self._keep(latest)
        return self.regenerate(ca_name)

    def refresh_all(self) -> None:
        for ca in self._svc.store.list_cas():
            self.load(ca.name)

    def _refresh_at(self, record: CrlRecord) -> datetime:
        margin = min(self._settings.crl_refresh_before, (record.next_update - record.this_update) / 2)
        return record.next_update - margin

    def _keep(self, record: CrlRecord) -> CrlEntry:
        etag = etag_of(record.der)
        refresh_at = self._refresh_at(record)
        entry = CrlEntry(record, etag, static_headers(etag, record.this_update, record.next_update),
                         record.next_update.timestamp(), refresh_at)
        current = self._crls.get(record.issuer)
        if current is None or current.record.number <= record.number:
            self._crls[record.issuer] = entry
        return entry
