"""Encoding the TBSCertificate of an issuance request (RFC 5280 §4.1) without signing anything.

cryptography encodes every part whose rules are intricate (names, the public key, each extension value);
this module only frames them. The linted certificate is this TBS with a placeholder signature, so the lint
step never signs; the issuer key later signs exactly these bytes (``pki.issuance.sign``). The extensions
that depend only on the profile, the issuing CA and the published URLs are encoded once and cached.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from pki._der import children, content, integer, oid, tlv
from pki.csr import P256_SPKI_PREFIX
from pki.ports import PublicKey
from pki.profiles import KEY_USAGE_FIELDS, Kind, Profile

__all__ = ["signature_algorithm", "placeholder_signature", "encode_tbs"]

_VERSION_3 = tlv(0xA0, integer(2))
_TRUE = b"\x01\x01\xff"


def signature_algorithm(issuer_public: PublicKey) -> bytes:
    """AlgorithmIdentifier for the issuer key: ecdsa-with-SHA256 for P-256 ([V2G2-006]), ecdsa-with-SHA384 for
    P-384 (RFC 5758 §3.2: parameters absent), sha256WithRSAEncryption (RFC 4055: NULL parameters)."""
    if isinstance(issuer_public, ec.EllipticCurvePublicKey):
        return tlv(0x30, oid("1.2.840.10045.4.3.3" if issuer_public.curve.key_size > 256 else "1.2.840.10045.4.3.2"))
    if isinstance(issuer_public, rsa.RSAPublicKey):
        return tlv(0x30, oid("1.2.840.113549.1.1.11") + b"\x05\x00")
    raise TypeError(f"unsupported issuer key {type(issuer_public).__name__}")  # pragma: no cover


def placeholder_signature(issuer_public: PublicKey) -> bytes:
    """A structurally valid signature of the largest size the issuer key produces (for linting only)."""
    if isinstance(issuer_public, ec.EllipticCurvePublicKey):
        n = (issuer_public.curve.key_size + 7) // 8
        part = tlv(0x02, b"\x00" + b"\x80" * n)  # 0x80.. needs the leading zero: the longest INTEGER
        return tlv(0x30, part + part)
    return b"\x00" * ((issuer_public.key_size + 7) // 8)


def _time(value: datetime) -> bytes:
    """RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; always UTC, seconds, no fraction."""
    if value.year < 2050:
        return tlv(0x17, value.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return tlv(0x18, value.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def _extension(ext_oid: x509.ObjectIdentifier, value: x509.ExtensionType, critical: bool) -> bytes:
    return tlv(0x30, oid(ext_oid.dotted_string) + (_TRUE if critical else b"") + tlv(0x04, value.public_bytes()))


def _fixed_extensions(
    profile: Profile, issuer_key_id: bytes | None, ocsp_url: str | None, crl_url: str | None
) -> tuple[bytes, bytes]:
    """(extensions before the SKI, extensions after it) for a profile, issuing CA and URLs."""
    usage = {f: f in profile.key_usage for f in KEY_USAGE_FIELDS}
    before = _extension(ExtensionOID.BASIC_CONSTRAINTS,
                        x509.BasicConstraints(ca=profile.is_ca, path_length=profile.path_length), True)
    before += _extension(ExtensionOID.KEY_USAGE, x509.KeyUsage(encipher_only=False, decipher_only=False, **usage), True)
    after = b""
    if issuer_key_id is not None and profile.kind is not Kind.ROOT:
        after += _extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
                            x509.AuthorityKeyIdentifier(issuer_key_id, None, None), False)
    if profile.extended_key_usage:
        after += _extension(ExtensionOID.EXTENDED_KEY_USAGE, x509.ExtendedKeyUsage(list(profile.extended_key_usage)),
                            False)
    if ocsp_url is not None and profile.kind is not Kind.ROOT:
        access = x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))
        after += _extension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, x509.AuthorityInformationAccess([access]),
                            False)
    if crl_url is not None:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        after += _extension(ExtensionOID.CRL_DISTRIBUTION_POINTS, x509.CRLDistributionPoints([point]), False)
    if profile.ocsp_nocheck:
        after += _extension(ExtensionOID.OCSP_NO_CHECK, x509.OCSPNoCheck(), False)
    return before, after


def encode_tbs(
    *,
    profile: Profile,
    serial: int,
    signature_alg: bytes,
    issuer_name: bytes,
    not_before: datetime,
    not_after: datetime,
    subject: bytes,
    public_key: PublicKey,
    issuer_key_id: bytes | None,
    ocsp_url: str | None,
    crl_url: str | None,
    spki: bytes | None = None,
) -> bytes:
    """The DER TBSCertificate. ``subject`` is the encoded subject Name; ``issuer_name`` is the issuing CA's subject
    exactly as encoded in its certificate (for a root: ``subject``); ``spki``: ``public_key``'s
    SubjectPublicKeyInfo when already encoded."""
    head, tail = _extension_frame(profile, issuer_key_id, ocsp_url, crl_url)
    if spki is None:
        spki = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    body = (
        _VERSION_3
        + integer(serial)
        + signature_alg
        + issuer_name
        + _validity(not_before, not_after)
        + subject
        + spki
        + head
        + _key_identifier(spki)
        + tail
    )
    return tlv(0x30, body)


@functools.lru_cache(maxsize=256)
def _extension_frame(
    profile: Profile, issuer_key_id: bytes | None, ocsp_url: str | None, crl_url: str | None
) -> tuple[bytes, bytes]:
    """The extensions field around the 20 octets of the subject key identifier, whose size never changes:
    ([3] and SEQUENCE headers, the extensions before the SKI, the SKI's own framing), (the extensions after it)."""
    before, after = _fixed_extensions(profile, issuer_key_id, ocsp_url, crl_url)
    whole = tlv(0xA3, tlv(0x30, before + _SKI_PREFIX + bytes(20) + after))
    cut = len(whole) - len(after) - 20
    return whole[:cut], after


@functools.lru_cache(maxsize=64)  # consecutive issuances share their validity
def _validity(not_before: datetime, not_after: datetime) -> bytes:
    return tlv(0x30, _time(not_before) + _time(not_after))


_SKI_PREFIX = _extension(ExtensionOID.SUBJECT_KEY_IDENTIFIER, x509.SubjectKeyIdentifier(bytes(20)), False)[:-20]


def _key_identifier(spki: bytes) -> bytes:
    """The subject key identifier by RFC 5280 §4.2.1.2 method 1 (as ``SubjectKeyIdentifier.from_public_key``):
    the SHA-1 of the subjectPublicKey BIT STRING's value, from the SPKI encoding already at hand."""
    if len(spki) == 91 and spki.startswith(P256_SPKI_PREFIX):  # the usual key: its point starts at octet 26
        return hashlib.sha1(spki[26:]).digest()  # noqa: S324 - the RFC's key identifier method
    key_bits = content(children(spki)[1])[1:]  # after the BIT STRING's unused-bits octet
    return hashlib.sha1(key_bits).digest()  # noqa: S324 - the RFC's key identifier method


