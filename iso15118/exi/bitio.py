"""Bit-packed EXI streams (EXI 1.0 §7.1, §9): n-bit fields MSB first, no alignment, plus typed values.

Datatypes are small tuples built by :mod:`iso15118.exi.datatypes`; ``dt[0]`` selects the representation:

* STRING   (0, min_len, max_len)        §7.1.10: length+2 as Unsigned Integer, then code points
  (valuePartitionCapacity 0: the string table never has values, so 0/1 "hit" prefixes are invalid)
* BOOL     (1,)                         §7.1.2: one bit
* NBIT     (2, nbits, lo, hi)           §7.1.9: bounded range <= 4096 as n-bit unsigned offset from lo
* UINT     (3, lo, hi)                  §7.1.6: 7-bit groups, least significant first, MSB = continuation
* INT      (4, lo, hi)                  §7.1.5: sign bit, then magnitude (negative: -v-1) as Unsigned
* BASE64 / HEX (5|6, min_len, max_len)  §7.1.1: length as Unsigned Integer, then raw octets
* ENUM     (7, nbits, values, index)    §7.2: index in schema declaration order as n-bit unsigned
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from iso15118.exi.errors import ExiDecodeError

__all__ = [
    "STRING", "BOOL", "NBIT", "UINT", "INT", "BASE64", "HEX", "ENUM",
    "BitWriter", "BitReader", "ValueError_", "encode_value", "decode_value",
]

STRING, BOOL, NBIT, UINT, INT, BASE64, HEX, ENUM = range(8)

# XML 1.0 §2.2 Char: what an XML string may contain (EXI carries the XML infoset).
_BAD_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEX = re.compile("(?:[0-9A-Fa-f]{2})*")
# Longest Unsigned Integer the decoder accepts (EXI has no bound; xs:integer values here stay far below).
_MAX_UINT_OCTETS = 64


class ValueError_(Exception):
    """A value that does not fit its datatype; the encoder adds the element path."""


class BitWriter:
    __slots__ = ("acc", "nbits", "out")

    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0
        self.out = bytearray()

    def write(self, width: int, value: int) -> None:
        self.acc = (self.acc << width) | value
        self.nbits += width
        if self.nbits >= 512:
            self._flush()

    def _flush(self) -> None:
        whole = self.nbits >> 3
        rest = self.nbits & 7
        self.out += (self.acc >> rest).to_bytes(whole, "big")
        self.acc &= (1 << rest) - 1
        self.nbits = rest

    def write_uint(self, value: int) -> None:
        if value < 128:
            self.write(8, value)
            return
        groups = 0
        acc = 0
        while value >= 128:
            acc = (acc << 8) | 0x80 | (value & 0x7F)
            value >>= 7
            groups += 1
        self.write(8 * groups + 8, (acc << 8) | value)

    def write_bytes(self, data: bytes) -> None:
        if data:
            self.write(8 * len(data), int.from_bytes(data, "big"))

    def getvalue(self) -> bytes:
        """The stream padded with zero bits to a whole octet (EXI 1.0 §9 bit-packed)."""
        pad = -self.nbits & 7
        self.write(pad, 0)
        self._flush()
        return bytes(self.out)


class BitReader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, start_bit: int = 0) -> None:
        self.data = data
        self.pos = start_bit
        self.end = 8 * len(data)

    def read(self, width: int, what: str) -> int:
        pos = self.pos
        stop = pos + width
        if stop > self.end:
            raise ExiDecodeError(pos, what, "stream truncated")
        self.pos = stop
        first = pos >> 3
        last = (stop + 7) >> 3
        return (int.from_bytes(self.data[first:last], "big") >> ((last << 3) - stop)) & ((1 << width) - 1)

    def read_uint(self, what: str) -> int:
        start = self.pos
        value = 0
        shift = 0
        for _ in range(_MAX_UINT_OCTETS):
            octet = self.read(8, what)
            value |= (octet & 0x7F) << shift
            if octet < 128:
                return value
            shift += 7
        raise ExiDecodeError(start, what, "unsigned integer longer than 64 octets")

    def read_block(self, nbytes: int, what: str) -> bytes:
        """``nbytes`` octets at the current (possibly unaligned) bit position; length checked first."""
        if nbytes == 0:
            return b""
        if nbytes < 0 or self.pos + 8 * nbytes > self.end:
            raise ExiDecodeError(self.pos, what, f"length {nbytes} exceeds the remaining stream")
        return self.read(8 * nbytes, what).to_bytes(nbytes, "big")


def _check_len(n: int, dt: tuple[Any, ...], unit: str, check_min: bool) -> None:
    if dt[2] is not None and n > dt[2]:
        raise ValueError_(f"longer than maxLength {dt[2]} ({n} {unit})")
    if check_min and dt[1] is not None and n < dt[1]:
        raise ValueError_(f"shorter than minLength {dt[1]} ({n} {unit})")


def encode_value(w: BitWriter, dt: tuple[Any, ...], value: Any, check_min: bool = True) -> None:
    kind = dt[0]
    if kind == STRING:
        if type(value) is not str:
            raise ValueError_(f"expected a string, got {type(value).__name__}")
        _check_len(len(value), dt, "characters", check_min)
        if _BAD_CHAR.search(value):
            raise ValueError_("contains a character not allowed in XML")
        w.write_uint(len(value) + 2)
        if value.isascii():
            w.write_bytes(value.encode("ascii"))
        else:
            for ch in value:
                w.write_uint(ord(ch))
    elif kind == NBIT or kind == UINT or kind == INT:
        if type(value) is not int:
            raise ValueError_(f"expected an integer, got {type(value).__name__}")
        lo, hi = (dt[2], dt[3]) if kind == NBIT else (dt[1], dt[2])
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError_(f"{value} out of range [{lo}, {hi}]")
        if kind == NBIT:
            w.write(dt[1], value - lo)
        elif kind == UINT:
            w.write_uint(value)
        elif value < 0:
            w.write(1, 1)
            w.write_uint(-value - 1)
        else:
            w.write(1, 0)
            w.write_uint(value)
    elif kind == ENUM:
        index = dt[3].get(value) if type(value) is str else None
        if index is None:
            shown = ", ".join(repr(v) for v in dt[2][:6]) + (", ..." if len(dt[2]) > 6 else "")
            raise ValueError_(f"{value!r} is not an enumeration value ({len(dt[2])} values: {shown})")
        w.write(dt[1], index)
    elif kind == BOOL:
        if type(value) is not bool:
            raise ValueError_(f"expected a boolean, got {type(value).__name__}")
        w.write(1, 1 if value else 0)
    else:
        raw = _binary(kind, value)
        _check_len(len(raw), dt, "octets", check_min)
        w.write_uint(len(raw))
        w.write_bytes(raw)


def _binary(kind: int, value: Any) -> bytes:
    if type(value) is not str:
        raise ValueError_(f"expected a {'base64' if kind == BASE64 else 'hex'} string, got {type(value).__name__}")
    if kind == HEX:
        if not _HEX.fullmatch(value):
            raise ValueError_("not a hexBinary string (pairs of hex digits)")
        return bytes.fromhex(value)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError_("not a base64Binary string") from None
    if len(value) != 4 * ((len(raw) + 2) // 3) or base64.b64encode(raw).decode("ascii") != value:
        # RFC 4648 §3.5: canonical padding and zero pad bits, so that decode(encode(tree)) == tree
        raise ValueError_("not canonical base64 (padding or trailing bits)")
    return raw


def decode_value(r: BitReader, dt: tuple[Any, ...]) -> Any:
    kind = dt[0]
    if kind == STRING:
        start = r.pos
        n = r.read_uint("string length")
        if n < 2:
            # valuePartitionCapacity 0: no value is ever in the string table, so a hit is malformed.
            raise ExiDecodeError(start, "string literal (length + 2)", "string table hit with an empty value table")
        n -= 2
        if dt[2] is not None and n > dt[2]:
            raise ExiDecodeError(start, f"string of at most {dt[2]} characters", f"length {n}")
        if r.pos + 8 * n > r.end:
            raise ExiDecodeError(start, "string characters", f"length {n} exceeds the remaining stream")
        chunk = r.read_block(n, "string characters")
        if chunk.isascii():
            text = chunk.decode("ascii")
        else:
            r.pos -= 8 * n
            text = _slow_string(r, n)
        bad = _BAD_CHAR.search(text)
        if bad is not None:
            # The encoder refuses these (XML 1.0 §2.2): a decoded tree must encode again (signature digests).
            raise ExiDecodeError(start, "characters allowed in XML", f"U+{ord(bad.group()):04X} at index {bad.start()}")
        return text
    if kind == NBIT:
        return r.read(dt[1], "n-bit integer") + dt[2]
    if kind == UINT:
        return _bounded(r, dt, r.read_uint("unsigned integer"))
    if kind == INT:
        negative = r.read(1, "integer sign")
        magnitude = r.read_uint("integer magnitude")
        return _bounded(r, dt, -magnitude - 1 if negative else magnitude)
    if kind == ENUM:
        start = r.pos
        index = r.read(dt[1], "enumeration index")
        if index >= len(dt[2]):
            raise ExiDecodeError(start, f"enumeration index < {len(dt[2])}", f"got {index}")
        return dt[2][index]
    if kind == BOOL:
        return r.read(1, "boolean") == 1
    start = r.pos
    n = r.read_uint("binary length")
    if dt[2] is not None and n > dt[2]:
        raise ExiDecodeError(start, f"binary of at most {dt[2]} octets", f"length {n}")
    raw = r.read_block(n, "binary octets")
    if kind == HEX:
        return raw.hex().upper()
    return base64.b64encode(raw).decode("ascii")


def _bounded(r: BitReader, dt: tuple[Any, ...], value: int) -> int:
    lo, hi = dt[1], dt[2]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ExiDecodeError(r.pos, f"integer in [{lo}, {hi}]", f"got {value}")
    return value


def _slow_string(r: BitReader, n: int) -> str:
    chars = []
    for _ in range(n):
        start = r.pos
        cp = r.read_uint("character")
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            raise ExiDecodeError(start, "a Unicode code point", f"got {cp}")
        chars.append(chr(cp))
    return "".join(chars)
