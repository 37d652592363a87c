"""CSR parsing and the checks every CSR gets: readable, proof of possession, key allowed by the profile.

CSR extensions and attributes are never looked at beyond this module and never copied into a certificate
(Boulder/step-ca practice; OCPP A02.FR.x: the CSMS decides the certificate's content).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from pki._der import children
from pki.errors import BadCsr, PolicyRefused
from pki.ports import PublicKey
from pki.profiles import KeySpec, Profile

__all__ = ["load_csr", "read_csr", "CheckedCsr", "key_spec_of", "check_key", "describe_key"]

MAX_CSR_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class CheckedCsr:
    """A parsed CSR whose proof of possession verified, with its public key loaded once."""

    csr: x509.CertificateSigningRequest
    public_key: PublicKey
    der: bytes  # the CSR as parsed
    info: tuple[bytes, ...] = field(init=False)  # CertificationRequestInfo's fields as encoded (split once)

    def __post_init__(self) -> None:
        object.__setattr__(self, "info", tuple(children(children(self.der)[0])))

    @property
    def subject_der(self) -> bytes:
        """The requested subject Name as encoded."""
        return self.info[1]

    @property
    def spki(self) -> bytes | None:
        """The CSR's SubjectPublicKeyInfo when it is the one encoding of its key that issuance would write anyway
        (P-256, uncompressed point: what ``public_key.public_bytes(DER, SubjectPublicKeyInfo)`` returns, the key
        having been loaded from exactly these bytes), so the certificate can carry it without encoding it again.
        None for any other key or form."""
        spki = self.info[2]
        return spki if len(spki) == 91 and spki.startswith(P256_SPKI_PREFIX) and spki[26] == 4 else None


def load_csr(data: bytes) -> x509.CertificateSigningRequest:
    """Parse a CSR given as PEM, DER or base64 DER (line breaks tolerated) and check its self-signature
    (proof of possession, RFC 2986 §3). Raises ``BadCsr`` with the reason."""
    return read_csr(data).csr


def read_csr(data: bytes) -> CheckedCsr:
    """``load_csr``, also returning the public key it loaded to verify the signature."""
    if not data or not data.strip():
        raise BadCsr("CSR is empty")
    if len(data) > MAX_CSR_BYTES:
        raise BadCsr(f"CSR is {len(data)} bytes, more than the {MAX_CSR_BYTES} accepted")
    der = _to_der(data)
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError as exc:
        raise BadCsr(f"CSR is not a valid PKCS#10 structure ({exc})") from None
    try:
        public_key = csr.public_key()
    except (ValueError, x509.UnsupportedGeneralNameType) as exc:  # unsupported key type / curve
        raise BadCsr(f"CSR public key is not usable: {exc}") from None
    if type(public_key) is not _EC_PUBLIC and not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise BadCsr(f"CSR key type {type(public_key).__name__} is not supported (EC or RSA only)")
    if not _signature_valid(csr, public_key):
        raise BadCsr("CSR signature does not verify with its own public key (no proof of possession)")
    return CheckedCsr(csr, public_key, der)


# The concrete class of cryptography's EC public keys: an identity test first spares the ABC isinstance machinery
# (a few microseconds per request); isinstance still decides for anything else.
_EC_PUBLIC = type(ec.generate_private_key(ec.SECP256R1()).public_key())
# SEQUENCE { AlgorithmIdentifier { id-ecPublicKey, prime256v1 }, BIT STRING (66 octets: 0 unused bits, 04 X Y) }
P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
_ECDSA_SHA2: dict[x509.ObjectIdentifier, ec.ECDSA] = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: ec.ECDSA(hashes.SHA256()),
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: ec.ECDSA(hashes.SHA384()),
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: ec.ECDSA(hashes.SHA512()),
}


def _signature_valid(csr: x509.CertificateSigningRequest, public_key: PublicKey) -> bool:
    """ECDSA with SHA-2 (every ISO 15118 CSR) is verified with the key already loaded; anything else (RSA
    PKCS#1 v1.5 or PSS, other hashes) by cryptography's own check."""
    try:
        algorithm = _ECDSA_SHA2.get(csr.signature_algorithm_oid)
        if algorithm is None or (type(public_key) is not _EC_PUBLIC
                                 and not isinstance(public_key, ec.EllipticCurvePublicKey)):
            return csr.is_signature_valid
        try:
            public_key.verify(csr.signature, csr.tbs_certrequest_bytes, algorithm)
        except InvalidSignature:
            return False
        return True
    except Exception as exc:  # noqa: BLE001 - cryptography raises various errors on odd algorithms
        raise BadCsr(f"CSR signature cannot be checked: {exc}") from None


def _to_der(data: bytes) -> bytes:
    if data[:1] == b"\x30":  # raw DER: never strip, the signature may well end in a whitespace byte
        return data
    body = _pem_body(data)
    if body is not None:
        return _b64(body, "PEM CSR")
    return _b64(data.strip(), "CSR")


_BEGINS = (b"-----BEGIN CERTIFICATE REQUEST-----", b"-----BEGIN NEW CERTIFICATE REQUEST-----")
_ENDS = (b"-----END CERTIFICATE REQUEST-----", b"-----END NEW CERTIFICATE REQUEST-----")


def _pem_body(data: bytes) -> bytes | None:
    """The text between the first CSR BEGIN line and the END line after it (either may say NEW), else None."""
    start = _first(data, _BEGINS, 0)
    if start < 0:
        return None
    start += len(_BEGINS[0]) if data.startswith(_BEGINS[0], start) else len(_BEGINS[1])
    end = _first(data, _ENDS, start)
    return data[start:end] if end >= 0 else None


def _first(data: bytes, markers: tuple[bytes, bytes], start: int) -> int:
    """Where the earlier of two markers occurs from ``start`` (-1: neither); the second is only looked for before
    the first (usually no search at all: a PEM block starts with its marker)."""
    at = data.find(markers[0], start)
    other = data.find(markers[1], start, at if at >= 0 else len(data))
    return other if other >= 0 else at


_WHITESPACE = b" \t\r\n\x0b\x0c"
_URL_SAFE = bytes.maketrans(b"-_", b"+/")


def _b64(text: bytes, what: str) -> bytes:
    """Standard or URL-safe base64, whitespace and missing padding tolerated, nothing else."""
    compact = text.translate(None, _WHITESPACE)
    compact += b"=" * (-len(compact) % 4)
    if b"-" in compact or b"_" in compact:  # URL-safe alphabet
        if b"+" in compact or b"/" in compact:
            raise BadCsr(f"{what} is neither DER nor valid base64/PEM")
        compact = compact.translate(_URL_SAFE)
    try:
        return binascii.a2b_base64(compact, strict_mode=True)
    except (binascii.Error, ValueError):
        raise BadCsr(f"{what} is neither DER nor valid base64/PEM") from None


def key_spec_of(public_key: PublicKey) -> KeySpec | None:
    if type(public_key) is _EC_PUBLIC or isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": KeySpec.EC_P256, "secp384r1": KeySpec.EC_P384}.get(public_key.curve.name)
    if isinstance(public_key, rsa.RSAPublicKey):
        return {2048: KeySpec.RSA_2048, 3072: KeySpec.RSA_3072}.get(public_key.key_size)
    return None  # pragma: no cover


def describe_key(public_key: PublicKey) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}"
    return f"RSA-{public_key.key_size}"


def check_key(profile: Profile, public_key: PublicKey) -> KeySpec:
    """The key must be one the profile allows (ISO 15118-2 [V2G2-007]: P-256 only; OCPP A00.FR.4xx for
    stations: RSA >= 2048 or EC P-256/P-384)."""
    spec = key_spec_of(public_key)
    if spec is None and isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size >= 2048:
        if KeySpec.RSA_2048 in profile.keys:
            return KeySpec.RSA_3072 if public_key.key_size >= 3072 else KeySpec.RSA_2048
    if spec is None or spec not in profile.keys:
        allowed = ", ".join(profile.keys)
        rule = " (ISO 15118-2 [V2G2-007]: secp256r1 only)" if profile.iso15118 else ""
        raise PolicyRefused(f"key {describe_key(public_key)} is not allowed for profile {profile.name}; "
                            f"allowed: {allowed}{rule}")
    return spec
