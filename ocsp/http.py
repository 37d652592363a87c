"""HTTP caching headers of pre-signed responses and CRLs (RFC 5019 §6.2 / RFC 9919 §6, RFC 9111).

Same set as Boulder's and CFSSL's responders: ``ETag`` (SHA-256 of the body), ``Last-Modified``
(thisUpdate), ``Expires`` (nextUpdate) and ``Cache-Control: max-age=<nextUpdate - now>, public,
no-transform, must-revalidate`` (max-age computed per request).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime

__all__ = ["http_date", "etag_of", "static_headers", "cache_control", "NO_CACHE"]

NO_CACHE = b"max-age=0, no-cache"


def http_date(value: datetime) -> bytes:
    """IMF-fixdate (RFC 9110 §5.6.7)."""
    return format_datetime(value, usegmt=True).encode("ascii")


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest() + '"'


def static_headers(etag: str, this_update: datetime, next_update: datetime) -> tuple[tuple[bytes, bytes], ...]:
    return (
        (b"etag", etag.encode("ascii")),
        (b"last-modified", http_date(this_update)),
        (b"expires", http_date(next_update)),
    )


def cache_control(next_update_ts: float, now_ts: float) -> bytes:
    max_age = max(0, int(next_update_ts - now_ts))
    return b"max-age=%d, public, no-transform, must-revalidate" % max_age
