"""ISO 8601 text of datetimes, remembered for the UTC instants an issuance writes more than once.

An issuance writes its instant three times (the certificate's creation time, the audit entry's time and the
audit hash) and its validity bounds, shared by every issuance within one second, as well; ``isoformat`` costs
about twice a cache hit. Only UTC values are cached: aware datetimes of one instant compare equal whatever their
offset, so a cache keyed by the value would answer a +02:00 time with the text of its UTC twin. The text is
always exactly ``isoformat``'s.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

__all__ = ["iso_micro", "iso_text"]


def iso_micro(value: datetime) -> str:
    """``value.isoformat(timespec="microseconds")``."""
    global _last_micro
    last = _last_micro
    if last[0] is value:  # the same object again (an issuance's instant: three writes in a row)
        return last[1]
    if value.tzinfo is not UTC:
        return value.isoformat(timespec="microseconds")
    text = _utc_micro(value)
    _last_micro = (value, text)  # one tuple, replaced whole: threads see a consistent pair
    return text


# The last UTC value formatted, by identity (cheaper than the hash of an aware datetime the cache below needs; the
# pair keeps the object alive, so its identity cannot pass to another value).
_last_micro: tuple[datetime | None, str] = (None, "")


def iso_text(value: datetime) -> str:
    """``value.isoformat()`` (fractional seconds only when there are any)."""
    return _utc_text(value) if value.tzinfo is UTC else value.isoformat()


@functools.lru_cache(maxsize=256)
def _utc_micro(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


@functools.lru_cache(maxsize=256)
def _utc_text(value: datetime) -> str:
    return value.isoformat()
