"""Every form a CSR arrives in reads to the same DER (pki.csr): PEM (also NEW, with text around it, CRLF),
DER, base64 with line breaks or missing padding, URL-safe base64; anything else is a BadCsr."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from pki._der import children, tlv
from pki.csr import CheckedCsr, load_csr, read_csr
from pki.errors import BadCsr


def _der() -> bytes:
    for _ in range(200):  # a CSR whose base64 holds both 62nd and 63rd alphabet characters
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DE*PNC*E1")])).sign(key, hashes.SHA256())
        der = csr.public_bytes(Encoding.DER)
        text = base64.b64encode(der)
        if b"+" in text and b"/" in text:
            return der
    raise AssertionError("no suitable CSR")  # pragma: no cover


DER = _der()
B64 = base64.b64encode(DER)
PEM = b"-----BEGIN CERTIFICATE REQUEST-----\n" + b"\n".join(B64[i:i + 64] for i in range(0, len(B64), 64)) + \
    b"\n-----END CERTIFICATE REQUEST-----\n"  # fmt: skip


@pytest.mark.parametrize("form", [
    DER, PEM, PEM.replace(b"\n", b"\r\n"), PEM.replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"),
    b"Certificate Request:\n  Data: ...\n" + PEM + b"trailing words", b"-----BEGIN PRIVATE KEY-----\n" + PEM,
    B64, B64.rstrip(b"="), b"\n".join(B64[i:i + 76] for i in range(0, len(B64), 76)) + b"\n",
    base64.urlsafe_b64encode(DER), base64.urlsafe_b64encode(DER).rstrip(b"="),
])  # fmt: skip
def test_every_form_reads_to_the_same_der(form: bytes) -> None:
    assert read_csr(form).der == DER
    assert load_csr(form).public_bytes(Encoding.DER) == DER


@pytest.mark.parametrize("bad", [
    b"", b"   \n", B64[:-8] + b"!!!!!!!!", B64.replace(b"+", b"-", 1),  # the last: mixed alphabets
    PEM.replace(b"-----END CERTIFICATE REQUEST-----", b""), b"-----BEGIN CERTIFICATE REQUEST-----\n%%%\n"
    b"-----END CERTIFICATE REQUEST-----", DER[:-10],
])  # fmt: skip
def test_anything_else_is_a_bad_csr(bad: bytes) -> None:
    with pytest.raises(BadCsr):
        read_csr(bad)


def _csr_for(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CS-1")])).sign(key, hashes.SHA256()).public_bytes(
        Encoding.DER)  # fmt: skip


def test_the_csr_spki_is_offered_only_where_it_is_the_encoding_issuance_writes() -> None:
    checked = read_csr(DER)
    assert checked.spki == checked.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    for key in (ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048)):
        assert read_csr(_csr_for(key)).spki is None
    # the same P-256 key, its point compressed in the CSR: the certificate must carry the uncompressed form
    point = read_csr(DER).public_key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    spki = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    tbs = children(DER)[0]
    fields = children(tbs)
    fields[2] = spki
    unsigned = tlv(0x30, b"".join(fields))
    assert x509.load_der_x509_csr(tlv(0x30, unsigned + b"".join(children(DER)[1:]))).public_key() is not None
    # (its signature no longer verifies, which read_csr checks first; the SPKI rule alone is what is tested)
    assert CheckedCsr(x509.load_der_x509_csr(DER), read_csr(DER).public_key,
                      tlv(0x30, unsigned + b"".join(children(DER)[1:]))).spki is None
