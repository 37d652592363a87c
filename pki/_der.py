"""Minimal DER helpers for assembling a certificate from linted TBS bytes (X.509: SEQUENCE { tbsCertificate,
signatureAlgorithm, signatureValue BIT STRING })."""

from __future__ import annotations

__all__ = ["element_end", "header", "certificate_from_parts", "signature_algorithm_of"]


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


def signature_algorithm_of(certificate_der: bytes) -> bytes:
    """The outer signatureAlgorithm element of a certificate (it equals the one inside the TBS)."""
    tbs_start = _content_start(certificate_der, 0)
    alg_start = element_end(certificate_der, tbs_start)
    return certificate_der[alg_start : element_end(certificate_der, alg_start)]


def certificate_from_parts(tbs: bytes, signature_algorithm: bytes, signature: bytes) -> bytes:
    bit_string = header(0x03, len(signature) + 1) + b"\x00" + signature
    body = tbs + signature_algorithm + bit_string
    return header(0x30, len(body)) + body
