"""Telling the OCSP responder that a certificate changed, in-process or across processes.

``RevocationNotifier.notify(record)`` is what a revocation listener calls (``authority.add_revocation_listener
(notifier.notify)``): the in-process implementation re-signs directly; ``HttpRevocationNotifier`` POSTs the
serial to the responder's internal endpoint (``/ocsp/_internal/changed``, bearer token from
``PNC_INTERNAL_TOKEN``), which re-reads the certificate from the shared store (the store is the truth, the
message only says "look again") and re-signs before answering, so a revocation in the API process is visible
at the responder before ``revoke()`` returns.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Protocol

import httpx

from ocsp.errors import OcspError
from pki.model import CertificateRecord

if TYPE_CHECKING:
    from ocsp.app import OcspApp

__all__ = ["RevocationNotifier", "LocalRevocationNotifier", "HttpRevocationNotifier"]


class RevocationNotifier(Protocol):
    def notify(self, record: CertificateRecord) -> None:
        """The certificate ``record`` was revoked (or issued); raises ``OcspError`` if it was not delivered."""
        ...


class LocalRevocationNotifier:
    """Same process: re-sign the responses and regenerate the CRL directly."""

    def __init__(self, app: OcspApp) -> None:
        self._app = app

    def notify(self, record: CertificateRecord) -> None:
        self._app.on_revoked(record)


class HttpRevocationNotifier:
    """Another process: ``POST {base_url}/ocsp/_internal/changed`` with the shared bearer token."""

    def __init__(self, base_url: str, token: str | None = None, *, http: httpx.Client | None = None,
                 timeout: float = 5.0) -> None:
        token = token or os.environ.get("PNC_INTERNAL_TOKEN")
        if not token:
            raise OcspError("HttpRevocationNotifier needs a shared token (PNC_INTERNAL_TOKEN)")
        self._url = base_url.rstrip("/") + "/ocsp/_internal/changed"
        self._headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> HttpRevocationNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def notify(self, record: CertificateRecord) -> None:
        body = json.dumps({"serial": format(record.serial, "x")}).encode()
        try:
            response = self._http.post(self._url, content=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise OcspError(f"could not notify the OCSP responder at {self._url}: {exc}") from None
        if response.status_code != 200:
            raise OcspError(f"OCSP responder at {self._url} refused the notification: "
                            f"HTTP {response.status_code} {response.text[:200]}")
