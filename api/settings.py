"""Settings of the HTTP API (everything has a safe default; ``pnc serve api`` passes its options here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

__all__ = ["ApiSettings", "EstLabel", "DEFAULT_EST_LABELS", "ISO15118_2", "ISO15118_20"]

ISO15118_2 = "ISO15118-2"
ISO15118_20 = "ISO15118-20"


@dataclass(frozen=True, slots=True)
class EstLabel:
    """What an EST CA label (OPCP ``{ca}``: ``[slug-](cpo|mo|oem|cps|veh)``) serves, per ISO version.

    ``issuer``: the CA whose chain ``cacerts`` returns (issuing CA first, root last) and which signs
    enrolments; ``profile``: the leaf profile enrolled under this label, None = ``cacerts`` only;
    ``iso``: the ISO 15118 version this hierarchy serves; ``algorithm``: its curve (OPCP ``{algorithm}``)."""

    issuer: str
    profile: str | None
    iso: str = ISO15118_2
    algorithm: str = "secp256r1"


# Our hierarchy is ISO 15118-2 (P-256) only; ISO 15118-20 paths answer 404 until a -20 hierarchy exists.
# Enrolment is offered for SECC leafs (cpo); contract (mo) and provisioning (oem) certificates are issued by
# the contract-provisioning and OEM features, not over EST.
DEFAULT_EST_LABELS: Mapping[str, EstLabel] = MappingProxyType({
    "cpo": EstLabel("cpo-sub2", "secc"),
    "mo": EstLabel("mo-sub2", None),
    "oem": EstLabel("oem-sub2", None),
    "cps": EstLabel("cps-sub2", None),
})


@dataclass(frozen=True, slots=True)
class ApiSettings:
    # Bearer token lifetime. Tokens are stateless (HMAC); a disabled client is refused within
    # ``client_recheck`` even while its token is still valid.
    token_ttl: timedelta = timedelta(hours=1)
    client_recheck: timedelta = timedelta(seconds=30)
    token_issuer: str = "pnc"
    # Request bodies larger than this are refused with 413 before they are read in full.
    max_body_bytes: int = 64 * 1024
    # Core calls on the event loop (True), in the thread pool (False), or decided by the store (None: inline for
    # a local SQLite file, thread pool for a database across the network). See ApiContext.call.
    inline_core_calls: bool | None = None
    # EST labels; the label-less RFC 7030 path (/.well-known/est/simpleenroll) uses ``default_est_label``.
    est_labels: Mapping[str, EstLabel] = field(default_factory=lambda: DEFAULT_EST_LABELS)
    default_est_label: str = "cpo"
    # RFC 7030 §3.3.2 re-enrolment authenticates with the current certificate over TLS. uvicorn does not pass
    # the peer certificate to the app, so a TLS-terminating proxy must forward it (URL-encoded PEM, as nginx's
    # $ssl_client_escaped_cert) in this header. None (default): the header is ignored, never trusted. Anyone
    # can present one of our (public) certificates in a header, so it is honoured only from these peer
    # addresses (the proxy's), and the proxy must overwrite the header on every request.
    client_cert_header: str | None = None
    client_cert_proxies: frozenset[str] = frozenset({"127.0.0.1", "::1"})
