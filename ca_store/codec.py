"""How values are written to and read from each database, kept out of the SQL and out of the records.

* Timestamps: PostgreSQL ``timestamp with time zone``; SQLite has no date type, so ISO 8601 text with an
  explicit ``+00:00`` offset (fixed width: text order is time order, and SQLite's date functions read it).
  Naive datetimes are refused on the way in (the core's clock is aware UTC: a naive time is a bug); values
  always come back as aware UTC datetimes.
* Serials and CRL numbers: positive integers of at most 20 octets (RFC 5280 §4.1.2.2, §5.2.3), ours are 159-bit
  random. Neither SQLite's 64-bit INTEGER nor ``bigint`` holds them, so they are 40-digit zero-padded lower-case
  hex: unique indexes work and text order equals numeric order (the latest CRL is the greatest number).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pki._time import iso_micro

__all__ = ["Codec", "SERIAL_HEX_DIGITS", "MAX_SERIAL", "serial_to_hex", "serial_from_hex", "aware_utc"]

SERIAL_HEX_DIGITS = 40
MAX_SERIAL = 1 << (4 * SERIAL_HEX_DIGITS)


def serial_to_hex(value: int) -> str:
    if not 0 <= value < MAX_SERIAL:
        raise ValueError(f"serial/number {value} does not fit 20 octets (RFC 5280 §4.1.2.2)")
    return f"{value:040x}"


def serial_from_hex(value: str) -> int:
    return int(value, 16)


def aware_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:  # the usual case, from the core's clock: nothing to convert
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times only")
    return value.astimezone(UTC)


def _iso_text(value: datetime) -> str:
    return iso_micro(value if value.tzinfo is UTC else aware_utc(value))  # the cache pki.audit also reads


class Codec:
    """Value conversions for one dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect: str) -> None:
        self.text_timestamps = dialect == "sqlite"
        # The dialect's conversion itself, bound once (every issuance writes four timestamps).
        self.ts_in: Callable[[datetime], Any] = _iso_text if self.text_timestamps else aware_utc

    def ts_in_opt(self, value: datetime | None) -> Any:
        return None if value is None else self.ts_in(value)

    def ts_out(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamp from the database, got {type(value).__name__}")
        if value.tzinfo is None:  # written without an offset by something else: stored times are UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def ts_out_opt(self, value: Any) -> datetime | None:
        return None if value is None else self.ts_out(value)
