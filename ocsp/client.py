"""A caching OCSP client for the CSMS side (OCPP GetCertificateStatus / Authorize with ISO 15118 certificates).

``status_for_request_data`` takes OCPP 2.0.1 ``OCSPRequestDataType`` fields (hashAlgorithm SHA256 | SHA384 |
SHA512, issuerNameHash / issuerKeyHash as hex in any case or URL-safe base64, serialNumber as hex without
leading zeros, responderURL) and returns a DER OCSPResponse:

* a CertID of one of our own CAs is answered locally (state checked against the store, signed by our
  responder), without any network traffic;
* otherwise the response is fetched with one POST from ``responderURL``, but only if its host is on the
  allow-list (any other host is never contacted, no redirects are followed), verified (``ocsp.verify``) and
  cached until its nextUpdate.

Thread-safe; ``astatus_for_request_data`` / ``astatus_for_certificate`` run the same work in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp as x_ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from ocsp.errors import OcspError
from ocsp.model import CertId
from ocsp.settings import OcspSettings
from ocsp.signing import HASHES, issuer_hashes
from ocsp.verify import VerifiedResponse, verify_response

if TYPE_CHECKING:
    from ca_store.services import Services

__all__ = ["OcspClient", "LocalSource", "cert_id_from_request_data", "cert_id_for", "ocsp_url_of"]

_OCPP_HASHES = {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}  # OCPP 2.0.1 HashAlgorithmEnumType
_HEX = re.compile(r"^[0-9a-fA-F]+$")
MAX_RESPONSE_BYTES = 65536


class LocalSource(Protocol):
    """Answers CertIDs of our own CAs (``ocsp.responder.Responder`` implements it); None = not ours."""

    def local_response(self, cert_id: CertId) -> bytes | None: ...


def _digest_bytes(text: str, size: int, what: str) -> bytes:
    text = text.strip()
    if len(text) == 2 * size and _HEX.match(text):
        return bytes.fromhex(text)
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise OcspError(f"{what} must be {size} bytes as hex or URL-safe base64")
    return raw


def cert_id_from_request_data(hash_algorithm: str, issuer_name_hash: str, issuer_key_hash: str,
                              serial_number: str) -> CertId:
    """The CertID described by OCPP ``OCSPRequestDataType`` fields; raises ``OcspError`` on bad input."""
    alg = _OCPP_HASHES.get(hash_algorithm.strip().upper().replace("-", ""))
    if alg is None:
        raise OcspError(f"hashAlgorithm {hash_algorithm!r} is not one of SHA256, SHA384, SHA512")
    size = HASHES[alg].digest_size
    serial_text = serial_number.strip().lower().removeprefix("0x").replace(":", "")
    if not serial_text or not _HEX.match(serial_text) or len(serial_text) > 40:
        raise OcspError(f"serialNumber {serial_number!r} is not a hexadecimal serial of at most 20 octets")
    return CertId(alg, _digest_bytes(issuer_name_hash, size, "issuerNameHash"),
                  _digest_bytes(issuer_key_hash, size, "issuerKeyHash"), int(serial_text, 16))


def cert_id_for(cert: x509.Certificate, issuer: x509.Certificate, hash_name: str = "sha256") -> CertId:
    name_hash, key_hash = issuer_hashes(issuer, hash_name)
    return CertId(hash_name, name_hash, key_hash, cert.serial_number)


def ocsp_url_of(cert: x509.Certificate) -> str | None:
    """The first OCSP URL of the certificate's Authority Information Access (RFC 5280 §4.2.2.1)."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for desc in aia:
        if desc.access_method == AuthorityInformationAccessOID.OCSP and isinstance(
            desc.access_location, x509.UniformResourceIdentifier
        ):
            return str(desc.access_location.value)
    return None


class OcspClient:
    def __init__(
        self,
        source: Services | LocalSource | None,
        allowed_hosts: Iterable[str],
        http: httpx.Client | None = None,
        *,
        issuers: Iterable[x509.Certificate] = (),
        clock: Callable[[], datetime] | None = None,
        timeout: float = 5.0,
        max_entries: int = 10_000,
    ) -> None:
        """``source``: our services (a responder is built on them) or any ``LocalSource``; None = remote only.
        ``allowed_hosts``: responder hosts that may be contacted ("host" or "host:port", case-insensitive).
        ``issuers``: CA certificates of other PKIs, used to verify their responders."""
        self._local: LocalSource | None
        if source is None or hasattr(source, "local_response"):
            self._local = source
        else:
            from ocsp.responder import Responder

            self._local = Responder(source, OcspSettings())
        self._allowed = {h.strip().lower() for h in allowed_hosts if h.strip()}
        self._http = http or httpx.Client(timeout=timeout, follow_redirects=False)
        self._issuers = list(issuers)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cache: dict[CertId, tuple[bytes, VerifiedResponse]] = {}
        self._max = max_entries
        self._lock = threading.Lock()
        self.fetches = 0  # number of HTTP requests made (observability, tests)

    # -- OCPP entry points ----------------------------------------------------------------------------------
    def status_for_request_data(self, hash_algorithm: str, issuer_name_hash: str, issuer_key_hash: str,
                                serial_number: str, responder_url: str) -> bytes:
        cert_id = cert_id_from_request_data(hash_algorithm, issuer_name_hash, issuer_key_hash, serial_number)
        return self.status_for_cert_id(cert_id, responder_url)

    def status_for_certificate(self, cert: x509.Certificate, issuer: x509.Certificate, url: str | None = None) -> bytes:
        """The DER OCSPResponse for ``cert`` (SHA-256 CertID); ``url`` defaults to the certificate's AIA."""
        if cert.issuer != issuer.subject:
            raise OcspError("the issuer certificate's subject is not the certificate's issuer name")
        cert_id = cert_id_for(cert, issuer)
        return self.status_for_cert_id(cert_id, url or ocsp_url_of(cert), extra_issuers=(issuer,))

    async def astatus_for_request_data(self, hash_algorithm: str, issuer_name_hash: str, issuer_key_hash: str,
                                       serial_number: str, responder_url: str) -> bytes:
        return await asyncio.to_thread(self.status_for_request_data, hash_algorithm, issuer_name_hash,
                                       issuer_key_hash, serial_number, responder_url)

    async def astatus_for_certificate(self, cert: x509.Certificate, issuer: x509.Certificate,
                                      url: str | None = None) -> bytes:
        return await asyncio.to_thread(self.status_for_certificate, cert, issuer, url)

    # -- core ---------------------------------------------------------------------------------------------------
    def status_for_cert_id(self, cert_id: CertId, url: str | None,
                           extra_issuers: Iterable[x509.Certificate] = ()) -> bytes:
        if self._local is not None:
            local = self._local.local_response(cert_id)
            if local is not None:
                return local
        now = self._clock()
        with self._lock:
            cached = self._cache.get(cert_id)
        if cached is not None and cached[1].next_update is not None and cached[1].next_update > now:
            return cached[0]
        if not url:
            raise OcspError("no responder URL for a certificate of another PKI")
        der = self._fetch(cert_id, url)
        verified = verify_response(der, cert_id, [*self._issuers, *extra_issuers], now)
        if verified.next_update is not None:  # RFC 5019 §6: cache until nextUpdate; no nextUpdate, no caching
            with self._lock:
                if len(self._cache) >= self._max:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[cert_id] = (der, verified)
        return der

    def verified(self, cert_id: CertId, der: bytes,
                 extra_issuers: Iterable[x509.Certificate] = ()) -> VerifiedResponse:
        """Check a response (ours or fetched) and return what it says."""
        local_issuers: list[x509.Certificate] = []
        certs = getattr(self._local, "issuer_certificates", None)
        if callable(certs):
            local_issuers = list(certs())
        return verify_response(der, cert_id, [*local_issuers, *self._issuers, *extra_issuers], self._clock())

    def allowed(self, url: str) -> bool:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return False
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return False
        host = parsed.host.lower()
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        return host in self._allowed or f"{host}:{port}" in self._allowed

    def _fetch(self, cert_id: CertId, url: str) -> bytes:
        if not self.allowed(url):  # never contact a host that is not allow-listed
            raise OcspError(f"responder {url!r} is not on the allow-list of OCSP hosts")
        request = x_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            cert_id.name_hash, cert_id.key_hash, cert_id.serial, HASHES[cert_id.hash_name]
        ).build().public_bytes(serialization.Encoding.DER)
        self.fetches += 1
        try:
            # follow_redirects per request: a redirect must not lead off the allow-list, whatever the client's
            # own setting (a 3xx is then "not 200" below)
            with self._http.stream("POST", url, content=request, follow_redirects=False,
                                   headers={"content-type": "application/ocsp-request"}) as response:
                if response.status_code != 200:
                    raise OcspError(f"OCSP responder {url} answered HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise OcspError(f"OCSP response from {url} is larger than {MAX_RESPONSE_BYTES} bytes")
        except httpx.HTTPError as exc:
            raise OcspError(f"OCSP responder {url} unreachable: {exc}") from None
        return body
