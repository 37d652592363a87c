"""Test helpers shared across the suite: CSRs and keys."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

__all__ = ["make_key", "make_csr", "name", "csr_pem"]


def make_key(kind: str = "p256") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:] or 2048))
    raise ValueError(kind)


def name(cn: str | None = None, o: str | None = None, c: str | None = None, dc: str | None = None) -> x509.Name:
    attrs = []
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if o is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if c is not None:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, c))
    if dc is not None:
        attrs.append(x509.NameAttribute(NameOID.DOMAIN_COMPONENT, dc))
    return x509.Name(attrs)


def make_csr(
    cn: str | None = None,
    *,
    o: str | None = None,
    c: str | None = None,
    dc: str | None = None,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    extensions: list[x509.ExtensionType] | None = None,
) -> x509.CertificateSigningRequest:
    key = key or make_key()
    builder = x509.CertificateSigningRequestBuilder().subject_name(name(cn, o, c, dc))
    for ext in extensions or []:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(key, hashes.SHA256())


def csr_pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)
