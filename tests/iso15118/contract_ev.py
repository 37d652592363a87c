"""The EV side of contract provisioning for the tests, written independently of the producing code
(iso15118.contract, iso15118.xmldsig, iso15118.keywrap are not used here): only the EXI codec (checked
against the EXIficient jar elsewhere) and ``cryptography``.

``verify_response`` does what a vehicle does with a CertificateInstallationRes/UpdateRes (ISO 15118-2
[V2G2-818..823]; SwitchEV EVCC and RISE-V2G ``isResponseCodeOK``): SessionID, ResponseCode, CPS chain to
the V2G root with DC=CPS, the four signed references and the ECDSA signature, decryption of the contract key
with the recipient key, key <-> certificate match, eMAID = CN, contract chain to the MO root.

``foreign_pki`` builds an OEM hierarchy the service does not know (root, two sub-CAs, provisioning leaf).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

from iso15118.exi import Grammar, decode, encode

SIGNED = {"ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID"}


@dataclass
class Received:
    emaid: str
    certificate: x509.Certificate
    sub_cas: list[x509.Certificate]
    key: ec.EllipticCurvePrivateKey
    cps_leaf: x509.Certificate


def _cert(b64: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(b64))


def _chain_to(leaf: x509.Certificate, subs: list[x509.Certificate], root: x509.Certificate, at: datetime) -> None:
    path = [leaf, *subs, root]
    for child, parent in zip(path, path[1:], strict=False):
        assert child.issuer == parent.subject, (child.subject, parent.subject)
        child.verify_directly_issued_by(parent)
    for cert in path:
        assert cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _dc(cert: x509.Certificate) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)]


def _with_ids(body: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {v["Id"]: (k, v) for k, v in body.items() if isinstance(v, dict) and "Id" in v}


def verify_response(
    exi: bytes,
    *,
    v2g_root: x509.Certificate,
    mo_root: x509.Certificate,
    recipient: ec.EllipticCurvePrivateKey,
    session_id: bytes,
    kind: str = "CertificateInstallationRes",
    at: datetime | None = None,
) -> Received:
    at = at or datetime.now(UTC)
    message = decode(exi, Grammar.ISO2)["V2G_Message"]
    assert message["Header"]["SessionID"] == session_id.hex().upper()
    body = message["Body"][kind]
    assert body["ResponseCode"] == "OK", body["ResponseCode"]

    cps = body["SAProvisioningCertificateChain"]
    cps_leaf = _cert(cps["Certificate"])
    _chain_to(cps_leaf, [_cert(c) for c in cps["SubCertificates"]["Certificate"]], v2g_root, at)
    assert _dc(cps_leaf) == ["CPS"]

    signature = message["Header"]["Signature"]
    signed_info = signature["SignedInfo"]
    by_id = _with_ids(body)
    referenced = set()
    for ref in signed_info["Reference"]:
        name, content = by_id[ref["URI"].removeprefix("#")]
        referenced.add(name)
        fragment = encode({name: content}, Grammar.ISO2_FRAGMENT)
        assert hashlib.sha256(fragment).digest() == base64.b64decode(ref["DigestValue"]), name
        assert ref["DigestMethod"]["Algorithm"] == "http://www.w3.org/2001/04/xmlenc#sha256"
    assert referenced == SIGNED
    assert signed_info["SignatureMethod"]["Algorithm"] == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    raw = base64.b64decode(signature["SignatureValue"]["value"])
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    cps_key = cps_leaf.public_key()
    assert isinstance(cps_key, ec.EllipticCurvePublicKey)
    cps_key.verify(der, encode({"SignedInfo": signed_info}, Grammar.XMLDSIG_FRAGMENT), ec.ECDSA(hashes.SHA256()))

    chain = body["ContractSignatureCertChain"]
    contract = _cert(chain["Certificate"])
    subs = [_cert(c) for c in chain["SubCertificates"]["Certificate"]]
    _chain_to(contract, subs, mo_root, at)
    emaid = body["eMAID"]["value"]
    assert contract.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == emaid
    assert _dc(contract) == ["MO"]

    encrypted = base64.b64decode(body["ContractSignatureEncryptedPrivateKey"]["value"])
    dh = base64.b64decode(body["DHpublickey"]["value"])
    assert len(encrypted) == 48 and len(dh) == 65
    z = recipient.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), dh))
    aes_key = hashlib.sha256(b"\x00\x00\x00\x01" + z + b"\x01\x55\x56").digest()[:16]
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(encrypted[:16])).decryptor()
    scalar = int.from_bytes(decryptor.update(encrypted[16:]) + decryptor.finalize(), "big")
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    assert key.public_key() == contract.public_key()
    return Received(emaid, contract, subs, key, cps_leaf)


def response_code(exi: bytes, kind: str = "CertificateInstallationRes") -> tuple[str, str]:
    """(ResponseCode, SessionID hex) of any response, positive or negative."""
    message = decode(exi, Grammar.ISO2)["V2G_Message"]
    return message["Body"][kind]["ResponseCode"], message["Header"]["SessionID"]


# -- a foreign OEM PKI -----------------------------------------------------------------------------------------

@dataclass
class ForeignOem:
    root: x509.Certificate
    sub1: x509.Certificate
    sub2: x509.Certificate
    leaf: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey
    pcid: str


def _name(cn: str, dc: str = "OEM") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                      "Foreign Motors"), x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.DOMAIN_COMPONENT, dc)])


def _issue(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
           issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, path_length: int | None, start: datetime,
           end: datetime, key_agreement: bool = True) -> x509.Certificate:
    usage = dict(digital_signature=not ca, content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=key_agreement and not ca, key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                 decipher_only=False)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer != subject:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def foreign_pki(pcid: str, *, leaf_expired: bool = False, leaf_dc: str = "OEM",
                leaf_key_agreement: bool = True) -> ForeignOem:
    now = datetime.now(UTC)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    names = [_name("Foreign OEM Root"), _name("Foreign OEM Sub-CA 1"), _name("Foreign OEM Sub-CA 2"),
             _name(pcid, leaf_dc)]
    long = (now - timedelta(days=1), now + timedelta(days=3650))
    root = _issue(names[0], keys[0], names[0], keys[0], ca=True, path_length=None, start=long[0], end=long[1])
    sub1 = _issue(names[1], keys[1], names[0], keys[0], ca=True, path_length=1, start=long[0], end=long[1])
    sub2 = _issue(names[2], keys[2], names[1], keys[1], ca=True, path_length=0, start=long[0], end=long[1])
    leaf_end = now - timedelta(hours=1) if leaf_expired else long[1]
    leaf = _issue(names[3], keys[3], names[2], keys[2], ca=False, path_length=None, start=long[0], end=leaf_end,
                  key_agreement=leaf_key_agreement)
    return ForeignOem(root, sub1, sub2, leaf, keys[3], pcid)
