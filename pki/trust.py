"""Trust anchors of contract provisioning, and tolerant matching of RootCertificateIDs (pure: no SQL).

Three kinds of certificates we trust without having issued them:

    oem   OEM roots and OEM sub-CAs: a CertificateInstallationReq carries only the OEM provisioning leaf
          (ISO 15118-2 V2G_CI_MsgBody.xsd OEMProvisioningCert), so the sub-CAs must be known beforehand
    v2g   foreign V2G roots (and sub-CAs): e.g. MO sub-CAs cross-certified under another V2G root
    mo    foreign MO roots (and sub-CAs): old contract chains in a CertificateUpdateReq

``RootCertificateID`` (xmldsig X509IssuerSerialType) arrives from many EV stacks with sloppy issuer names:
RFC 4514 text, OpenSSL's ``/C=DE/O=...`` one-line form, ``CN = x, O = y`` with spaces, and SwitchEV sends
Python's ``repr`` of a ``cryptography`` Name (``<Name(DC=V2G,C=UK,O=Switch,CN=V2GRootCA)>``; reference
iso15118.md §2.5). ``match_root`` therefore compares names as an order-insensitive multiset of (attribute
OID, case-folded, whitespace-collapsed value) (X.520 caseIgnoreMatch), and falls back to the serial.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID

from pki.errors import InvalidInput, PolicyRefused

__all__ = [
    "TrustKind",
    "TrustedCertificate",
    "TrustStore",
    "NormalizedName",
    "normalize_name",
    "parse_dn",
    "match_root",
    "RootMatch",
    "fingerprint",
    "load_der_certificate",
    "load_pem_certificates",
    "check_trust_candidate",
    "is_self_signed",
]


class TrustKind(enum.StrEnum):
    OEM = "oem"
    V2G = "v2g"
    MO = "mo"


@dataclass(frozen=True, slots=True)
class TrustedCertificate:
    """A certificate an operator added with ``pnc trust add`` (``fingerprint`` = SHA-256 of the DER, hex)."""

    kind: TrustKind
    fingerprint: str
    subject: str  # RFC 4514
    is_root: bool
    not_after: datetime
    der: bytes
    added_at: datetime
    added_by: str

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


class TrustStore(Protocol):
    """Foreign trust anchors, by kind. ``add`` is idempotent per fingerprint (re-adding returns the stored one)."""

    def add(
        self, kind: TrustKind, certificates: Sequence[x509.Certificate], *, actor: str, at: datetime
    ) -> list[TrustedCertificate]: ...

    def list(self, kind: TrustKind | None = None) -> list[TrustedCertificate]: ...

    def certificates(self, kind: TrustKind) -> tuple[x509.Certificate, ...]:
        """The parsed certificates of ``kind`` (roots and sub-CAs), for path building."""
        ...


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - any failure means "not a self-signed certificate"
        return False
    return True


# What cryptography raises for a certificate it loaded but cannot parse further (it parses the version, names,
# extensions and the public key lazily): an unknown version, a name attribute of the wrong string type (a
# TypeError), malformed or duplicate extensions (RFC 5280 §4.2), a key on an unknown curve.
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
                 x509.UnsupportedGeneralNameType)


def _parsed(cert: x509.Certificate) -> x509.Certificate:
    _ = cert.version, cert.subject, cert.issuer, cert.extensions, cert.public_key()
    return cert


def load_der_certificate(der: bytes) -> x509.Certificate:
    """One DER certificate, parsed completely, so that a defect surfaces here as ``InvalidInput`` and not later
    as another exception type in whatever reads the certificate first."""
    try:
        return _parsed(x509.load_der_x509_certificate(der))
    except _PARSE_ERRORS as exc:
        raise InvalidInput(f"not a valid DER X.509 certificate: {exc}") from None


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """All certificates of a PEM file (one or more), or a single DER certificate, parsed completely."""
    try:
        if b"-----BEGIN" in data:
            certs = [_parsed(c) for c in x509.load_pem_x509_certificates(data)]
        else:
            certs = [_parsed(x509.load_der_x509_certificate(data))]
    except _PARSE_ERRORS as exc:
        raise InvalidInput(f"not a PEM or DER certificate file: {exc}") from None
    if not certs:
        raise InvalidInput("the file holds no certificate")
    return certs


def check_trust_candidate(cert: x509.Certificate) -> bool:
    """Refuse what cannot be a trust anchor or sub-CA: only CA certificates (RFC 5280 §4.2.1.9 cA=TRUE).
    Returns whether it is a self-signed root."""
    try:
        bc = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value
    except x509.ExtensionNotFound:
        bc = None
    if not isinstance(bc, x509.BasicConstraints) or not bc.ca:
        raise PolicyRefused(
            f"{cert.subject.rfc4514_string()} is not a CA certificate (basicConstraints cA); "
            "only roots and sub-CAs can be trusted"
        )
    return is_self_signed(cert)


# --- tolerant distinguished names --------------------------------------------------------------------------

NormalizedName = tuple[tuple[str, str], ...]

# Attribute type spellings seen in the wild -> OID (RFC 4514 §3 short names, OpenSSL long names, X.520).
_TYPES: dict[str, str] = {}
for _oid, _names in {
    "2.5.4.3": ("cn", "commonname"),
    "2.5.4.10": ("o", "organizationname"),
    "2.5.4.11": ("ou", "organizationalunitname"),
    "2.5.4.6": ("c", "countryname"),
    "0.9.2342.19200300.100.1.25": ("dc", "domaincomponent"),
    "2.5.4.7": ("l", "localityname"),
    "2.5.4.8": ("st", "s", "stateorprovincename"),
    "2.5.4.9": ("street", "streetaddress"),
    "2.5.4.5": ("serialnumber",),
    "1.2.840.113549.1.9.1": ("e", "email", "emailaddress"),
    "0.9.2342.19200300.100.1.1": ("uid", "userid"),
    "2.5.4.12": ("title",),
    "2.5.4.4": ("sn", "surname"),
    "2.5.4.42": ("gn", "givenname"),
}.items():
    for _name in _names:
        _TYPES[_name] = _oid

_OID_TEXT = re.compile(r"^(?:oid\.)?([0-2](?:\.\d+)+)$", re.IGNORECASE)
_WRAPPER = re.compile(r"^<\s*Name\s*\((.*)\)\s*>$", re.DOTALL)


def _value(text: str) -> str:
    # X.520 caseIgnoreMatch with insignificant-space handling: fold case, collapse inner whitespace.
    return " ".join(text.split()).casefold()


def _split_unescaped(text: str, separators: str) -> list[str]:
    parts, current, escaped, quoted = [], [], False, False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted  # RFC 1779 quoted value: separators inside are literal
            current.append(ch)
        elif ch in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _attribute_type(text: str) -> str | None:
    key = text.strip()
    m = _OID_TEXT.match(key)
    if m:
        return m.group(1)
    return _TYPES.get(key.replace(" ", "").casefold())


def parse_dn(text: str) -> NormalizedName | None:
    """A DN in any of the text forms above, normalised; None if it cannot be read as a DN."""
    raw = text.strip()
    wrapped = _WRAPPER.match(raw)
    if wrapped:
        raw = wrapped.group(1)
    if raw.startswith("/"):
        parts = [p for p in _split_unescaped(raw[1:], "/") if p.strip()]  # OpenSSL one-line form
    else:
        parts = [p for p in _split_unescaped(raw, ",;+") if p.strip()]
    pairs = []
    for part in parts:
        name, sep, value = part.partition("=")
        if not sep:
            return None
        oid = _attribute_type(name)
        if oid is None:
            return None
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]  # RFC 1779 quoted value
        pairs.append((oid, _value(value)))
    return tuple(sorted(pairs)) if pairs else None


def normalize_name(name: x509.Name) -> NormalizedName:
    pairs = []
    for attr in name:
        value = attr.value if isinstance(attr.value, str) else attr.value.decode("utf-8", "replace")
        pairs.append((attr.oid.dotted_string, _value(value)))
    return tuple(sorted(pairs))


class RootMatch(enum.IntEnum):
    """How well a RootCertificateID names a certificate (higher is better)."""

    SERIAL = 1  # only the serial matched (the name could not be read or differs)
    NAME = 2  # the normalised name matched, the serial did not (e.g. a re-keyed root with the same DN)
    NAME_AND_SERIAL = 3


def match_root(
    issuer_name: str, serial: int, candidates: Iterable[x509.Certificate]
) -> tuple[x509.Certificate, RootMatch] | None:
    """The candidate root best named by ``(X509IssuerName, X509SerialNumber)``: normalised DN and serial,
    then DN alone, then serial alone; None if nothing matches."""
    wanted = parse_dn(issuer_name)
    best: tuple[x509.Certificate, RootMatch] | None = None
    for cert in candidates:
        name_ok = wanted is not None and normalize_name(cert.subject) == wanted
        serial_ok = cert.serial_number == serial
        quality = (
            RootMatch.NAME_AND_SERIAL if name_ok and serial_ok
            else RootMatch.NAME if name_ok
            else RootMatch.SERIAL if serial_ok
            else None
        )
        if quality is not None and (best is None or quality > best[1]):
            best = (cert, quality)
    return best
