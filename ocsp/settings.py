"""Responder settings: validity and refresh of pre-signed responses, signer mode, limits, shared token.

Defaults follow ../shared/docs/reference/ocsp_ca.md §2: thisUpdate→nextUpdate 4 days (BR §4.9.10 window
8 h..10 days), refresh before half the validity has passed, request cap 16 KiB (Boulder 10,000 B; large
enough for 100 SHA-256 CertIDs), unknown serial → ``unknown`` (RFC 6960 §2.2; never ``good``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from ocsp.errors import OcspError

__all__ = ["OcspSettings", "SignerMode", "UnknownPolicy", "SUPPORTED_HASHES"]

SignerMode = Literal["delegated", "ca"]
UnknownPolicy = Literal["unknown", "revoked"]
SUPPORTED_HASHES = ("sha1", "sha256", "sha384", "sha512")  # CertID hashes we answer (RFC 9919 §2.1.1: SHA-256)


@dataclass(frozen=True, slots=True)
class OcspSettings:
    validity: timedelta = timedelta(days=4)  # thisUpdate -> nextUpdate of good/revoked responses
    refresh_fraction: float = 0.5  # re-sign once this fraction of the validity has passed
    backdate: timedelta = timedelta(minutes=1)  # thisUpdate = now - backdate (stations with slow clocks)
    unknown_validity: timedelta = timedelta(hours=1)  # nextUpdate of "unknown" answers
    unknown_cache: timedelta = timedelta(seconds=60)  # how long this process re-serves an "unknown" answer
    unknown_policy: UnknownPolicy = "unknown"  # "revoked": RFC 6960 §2.2 extended revoked for never-issued serials
    signer: SignerMode = "delegated"  # delegated responder certificate per CA, or the CA key itself
    responder_validity: timedelta = timedelta(days=30)  # lifetime of an auto-issued responder certificate
    responder_rotate_before: timedelta = timedelta(days=10)  # rotate when less than this remains
    presign_hashes: tuple[str, ...] = ("sha1", "sha256")  # signed ahead; others are signed on first request
    max_request_bytes: int = 16384  # larger bodies/paths -> malformedRequest without reading further
    max_cert_ids: int = 128  # more CertIDs in one request -> malformedRequest
    max_nonce_bytes: int = 128  # RFC 9654 §2.1: Nonce ::= OCTET STRING (SIZE(1..128))
    cycle_interval: timedelta = timedelta(minutes=5)  # background: rescan the store, refresh, rotate
    follow_interval: timedelta = timedelta(seconds=1)  # poll the audit log for other processes' changes; 0 = off
    crl_refresh_before: timedelta = timedelta(days=3)  # regenerate a CRL when less than this remains
    internal_token: str | None = None  # shared secret of POST /ocsp/_internal/changed; None = endpoint off
    max_unknown_entries: int = 10_000  # bound of the "unknown" answer cache (~1 KB each; random-serial floods)
    live_db_concurrency: int = 8  # store lookups in flight at once (misses); more waiters -> tryLater
    live_db_waiters: int = 256

    def __post_init__(self) -> None:
        if not timedelta(0) < self.validity <= timedelta(days=10):
            raise OcspError("OCSP validity must be > 0 and <= 10 days (CA/B BR §4.9.10)")
        if not 0.0 < self.refresh_fraction < 1.0:
            raise OcspError("refresh_fraction must be between 0 and 1")
        if self.signer not in ("delegated", "ca"):
            raise OcspError(f"unknown OCSP signer mode {self.signer!r}: delegated or ca")
        if self.unknown_policy not in ("unknown", "revoked"):
            raise OcspError(f"unknown policy {self.unknown_policy!r}: unknown or revoked")
        bad = [h for h in self.presign_hashes if h not in SUPPORTED_HASHES]
        if bad:
            raise OcspError(f"unsupported CertID hash {bad[0]!r}; one of {', '.join(SUPPORTED_HASHES)}")
        if self.responder_rotate_before <= self.validity:
            raise OcspError("responder_rotate_before must exceed the response validity "
                            "(no response may outlive its responder certificate)")

    @property
    def refresh_after(self) -> timedelta:
        return self.validity * self.refresh_fraction

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> OcspSettings:
        """Settings from ``PNC_INTERNAL_TOKEN``, ``PNC_OCSP_SIGNER`` (delegated|ca), ``PNC_OCSP_VALIDITY_HOURS``,
        ``PNC_OCSP_UNKNOWN`` (unknown|revoked), ``PNC_OCSP_FOLLOW_SECONDS`` (0 = do not follow the audit log);
        keyword overrides win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("PNC_INTERNAL_TOKEN"):
            values["internal_token"] = env["PNC_INTERNAL_TOKEN"]
        if env.get("PNC_OCSP_SIGNER"):
            values["signer"] = env["PNC_OCSP_SIGNER"]
        if env.get("PNC_OCSP_UNKNOWN"):
            values["unknown_policy"] = env["PNC_OCSP_UNKNOWN"]
        for name, key in (("PNC_OCSP_VALIDITY_HOURS", "validity"), ("PNC_OCSP_FOLLOW_SECONDS", "follow_interval")):
            if env.get(name):
                try:
                    amount = float(env[name])
                except ValueError:
                    raise OcspError(f"{name} must be a number") from None
                values[key] = timedelta(hours=amount) if key == "validity" else timedelta(seconds=amount)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
