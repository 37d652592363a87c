"""Subject names as issuance handles them: the attributes, the DER encoding and the RFC 4514 text, each
computed once.

Policy builds every subject from the four attributes ISO 15118-2 and OCPP certificates use (CN, O, C, DC), one
per RDN; ``Subject.of`` encodes those directly, exactly as cryptography's ``x509.Name`` would (UTF8String for
CN and O, PrintableString for C, IA5String for DC; ``tests/pki/test_names.py`` checks byte equality), without
building cryptography's Name objects for every certificate. Any other name (a CA subject from the ceremony
configuration, an existing certificate's subject on renewal) comes in through ``Subject.from_name``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from cryptography import x509
from cryptography.x509.oid import NameOID

from pki._der import children, content, header, tlv

__all__ = ["Subject", "as_subject", "escape_rfc4514", "simple_attributes"]

# attribute type -> (DER OBJECT IDENTIFIER, string tag, RFC 4514 short name)
_ENCODINGS: dict[x509.ObjectIdentifier, tuple[bytes, int, str]] = {
    NameOID.COMMON_NAME: (b"\x06\x03\x55\x04\x03", 0x0C, "CN"),  # UTF8String
    NameOID.ORGANIZATION_NAME: (b"\x06\x03\x55\x04\x0a", 0x0C, "O"),  # UTF8String
    NameOID.COUNTRY_NAME: (b"\x06\x03\x55\x04\x06", 0x13, "C"),  # PrintableString
    NameOID.DOMAIN_COMPONENT: (b"\x06\x0a\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 0x16, "DC"),  # IA5String
}
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "+": "\\+", ",": "\\,", ";": "\\;", "<": "\\<", ">": "\\>",
                          "\0": "\\00"})  # fmt: skip


_PLAIN = re.compile(r'[^\\"+,;<>\0#]([^\\"+,;<>\0]*[^\\"+,;<>\0 ])?')  # nothing to escape


def escape_rfc4514(value: str) -> str:
    """An attribute value as RFC 4514 §2.4 writes it (and as cryptography's ``rfc4514_string`` does)."""
    if not value:
        return ""
    if value[0] != " " and _PLAIN.fullmatch(value):
        return value
    value = value.translate(_ESCAPES)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


class Subject:
    """A distinguished name: ``attributes`` in encoding order, ``der`` (the Name as encoded in a certificate),
    ``text`` (RFC 4514, the reverse order, as stored and shown) and whether every RDN holds one attribute."""

    __slots__ = ("attributes", "der", "text", "single_valued", "_by_oid")

    def __init__(
        self,
        attributes: tuple[tuple[x509.ObjectIdentifier, str], ...],
        der: bytes,
        text: str,
        single_valued: bool = True,
    ) -> None:
        self.attributes = attributes
        self.der = der
        self.text = text
        self.single_valued = single_valued
        self._by_oid: dict[x509.ObjectIdentifier, list[str]] | None = None

    @classmethod
    def of(cls, attributes: Sequence[tuple[x509.ObjectIdentifier, str]]) -> Subject:
        """Encode CN/O/C/DC attributes, one per RDN, in the given order. The values are taken as checked by
        policy (C two letters, DC ASCII); another attribute type is refused."""
        rdns: list[bytes] = []
        text: list[str] = []
        for oid, value in attributes:
            rdn, piece = _rdn(oid, value)
            rdns.append(rdn)
            text.append(piece)
        text.reverse()
        return cls(tuple(attributes), tlv(0x30, b"".join(rdns)), ",".join(text))

    @classmethod
    def from_name(cls, name: x509.Name) -> Subject:
        """Any cryptography Name (multi-valued RDNs keep their attributes in order; values as strings)."""
        attributes = tuple(
            (a.oid, a.value if isinstance(a.value, str) else a.value.decode("latin-1")) for a in name
        )
        return cls(attributes, name.public_bytes(), name.rfc4514_string(), all(len(rdn) == 1 for rdn in name.rdns))

    def to_name(self) -> x509.Name:
        """The cryptography Name with the same encoding (built on demand: display, comparisons in tests)."""
        return x509.Name.from_rfc4514_string(self.text) if not self.single_valued else x509.Name(
            [x509.NameAttribute(oid, value) for oid, value in self.attributes])

    def values(self, oid: x509.ObjectIdentifier) -> list[str]:
        """The values of attribute ``oid``, in order (a new list; the index behind it is built on first use: policy
        and lint ask a CA's cached subject and each new subject several times)."""
        index = self._by_oid
        if index is None:
            index = {}
            for attribute, value in self.attributes:
                index.setdefault(attribute, []).append(value)
            self._by_oid = index
        found = index.get(oid)
        return [] if found is None else found.copy()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Subject) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"Subject({self.text!r})"


@functools.lru_cache(maxsize=512)  # O, C and DC repeat in every certificate a CA issues; CNs mostly do not
def _rdn(oid: x509.ObjectIdentifier, value: str) -> tuple[bytes, str]:
    """One single-attribute RDN as encoded, and its RFC 4514 text."""
    try:
        oid_der, tag, short = _ENCODINGS[oid]
    except KeyError:
        raise ValueError(f"attribute {oid.dotted_string} is not one policy builds") from None
    encoded = value.encode("utf-8" if tag == 0x0C else "ascii")
    size = len(oid_der) + 2 + len(encoded)  # the AttributeTypeAndValue's content
    if size < 126:  # every header one length octet (the usual case)
        rdn = bytes((0x31, size + 2, 0x30, size)) + oid_der + bytes((tag, len(encoded))) + encoded
    else:
        rdn = tlv(0x31, tlv(0x30, oid_der + header(tag, len(encoded)) + encoded))
    return rdn, f"{short}={escape_rfc4514(value)}"


_OIDS_BY_DER = {oid_der: oid for oid, (oid_der, _tag, _short) in _ENCODINGS.items()}
_PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]*")


def simple_attributes(der: bytes) -> list[tuple[x509.ObjectIdentifier, str]] | None:
    """The attributes of an encoded Name (as a parsed CSR holds it) when it is simple: single-valued RDNs of CN,
    O, C and DC as UTF8String, PrintableString or IA5String. None for anything else (the caller then reads the
    name through cryptography, which decides and explains)."""
    out: list[tuple[x509.ObjectIdentifier, str]] = []
    try:
        for rdn in children(der):
            atvs = children(rdn)
            if rdn[0] != 0x31 or len(atvs) != 1:
                return None
            parts = children(atvs[0])
            if len(parts) != 2 or (oid := _OIDS_BY_DER.get(parts[0])) is None:
                return None
            tag, raw = parts[1][0], content(parts[1])
            if tag == 0x0C:
                value = raw.decode("utf-8")
            elif tag == 0x16 and raw.isascii() or tag == 0x13 and _PRINTABLE.fullmatch(raw.decode("ascii")):
                value = raw.decode("ascii")
            else:
                return None
            out.append((oid, value))
    except (IndexError, UnicodeDecodeError):
        return None
    return out


def as_subject(name: Subject | x509.Name) -> Subject:
    return name if isinstance(name, Subject) else Subject.from_name(name)
