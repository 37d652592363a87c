"""Minimal DER helpers for encoding a TBSCertificate and assembling a certificate from it
(X.509: SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING })."""

from __future__ import annotations

__all__ = [
    "element_end", "header", "certificate_from_parts", "tlv", "children", "oid", "integer",
    "subject_of", "content",
]


def element_end(data: bytes, offset: int) -> int:
    """Offset just past the DER element starting at ``offset`` (definite lengths only)."""
    first = data[offset + 1]
    if first < 0x80:
        return offset + 2 + first
    count = first & 0x7F
    length = int.from_bytes(data[offset + 2 : offset + 2 + count], "big")
    return offset + 2 + count + length


def header(tag: int, length: int) -> bytes:
    if length < 0x80:
        return bytes((tag, length))
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big")


def _content_start(data: bytes, offset: int) -> int:
    first = data[offset + 1]
    return offset + 2 + (first & 0x7F if first >= 0x80 else 0)


def certificate_from_parts(tbs: bytes, signature_algorithm: bytes, signature: bytes) -> bytes:
    bit_string = header(0x03, len(signature) + 1) + b"\x00" + signature
    body = tbs + signature_algorithm + bit_string
    return header(0x30, len(body)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return header(tag, len(content)) + content


def children(data: bytes) -> list[bytes]:
    """The encoded child elements of the constructed element ``data`` (lengths decoded inline: this runs on
    every certificate issued)."""
    out = []
    first = data[1]
    if first < 0x80:
        offset, end = 2, 2 + first
    else:
        count = first & 0x7F
        offset = 2 + count
        end = offset + int.from_bytes(data[2:offset], "big")
    while offset < end:
        size = data[offset + 1]
        if size < 0x80:
            nxt = offset + 2 + size
        else:
            count = size & 0x7F
            nxt = offset + 2 + count + int.from_bytes(data[offset + 2 : offset + 2 + count], "big")
        out.append(data[offset:nxt])
        offset = nxt
    return out


def oid(dotted: str) -> bytes:
    """DER OBJECT IDENTIFIER (X.690 §8.19)."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for value in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def integer(value: int) -> bytes:
    """DER INTEGER of a non-negative value (minimal, with a leading zero octet when the top bit is set)."""
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def subject_of(certificate_der: bytes) -> bytes:
    """The subject Name exactly as encoded in a certificate (TBS field 6 when the version is explicit)."""
    tbs = children(certificate_der)[0]
    fields = children(tbs)
    return fields[5] if fields[0][:1] == b"\xa0" else fields[4]


def content(data: bytes) -> bytes:
    """The content octets of the DER element ``data`` (definite lengths only)."""
    return data[_content_start(data, 0) : element_end(data, 0)]
