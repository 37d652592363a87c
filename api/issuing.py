"""The API's issuance use cases (synchronous; route handlers run them in the thread pool).

Order of checks for every request, so that a refused request never reaches the signer or the store:
parse the CSR and verify its proof of possession (``pki.csr``), read the subject claims, authorise the
requester for that subject (``pki.requester``), then hand over to the RA, whose profile rules (key type,
subject, lint) run before anything is signed and stored.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.settings import EstLabel
from ca_store.services import Services
from pki.authority import Issued, serial_hex
from pki.csr import load_csr, read_csr
from pki.errors import InvalidInput, PolicyRefused
from pki.policy import claims_from_csr, claims_from_name
from pki.profiles import get_profile
from pki.requester import (
    NotAuthorized,
    Requester,
    authorize_secc_cn,
    authorize_station_certificate,
)

__all__ = [
    "enroll",
    "reenroll_with_certificate",
    "sign_station_certificate",
    "chain_without_root",
    "parse_forwarded_certificate",
]


def enroll(services: Services, requester: Requester, csr_data: bytes, label: EstLabel) -> Issued:
    """A SECC leaf (EST simpleenroll, OCPP V2GCertificate) for a CN the requester's operator IDs cover."""
    if label.profile is None:
        raise PolicyRefused(f"CA {label.issuer!r} offers no enrolment here (cacerts only)")
    checked = read_csr(csr_data)
    claims = claims_from_csr(checked.csr, checked.subject_der)
    authorize_secc_cn(requester, claims.common_name)
    return services.ra.issue_for_key(
        checked.public_key, get_profile(label.profile), claims, requester=requester.audit_name, issuer=label.issuer,
        spki=checked.spki,
    )


def sign_station_certificate(services: Services, requester: Requester, csr_data: bytes) -> Issued:
    """OCPP ChargingStationCertificate (A02/A03): O bound to the requester's CSO if configured."""
    organization = authorize_station_certificate(requester)
    return services.ra.issue_from_csr(
        csr_data, "charging-station", requester=requester.audit_name, expected_organization=organization
    )


def parse_forwarded_certificate(value: str) -> x509.Certificate:
    """The TLS client certificate a trusted proxy forwarded: URL-encoded PEM (nginx
    ``$ssl_client_escaped_cert``), plain PEM with spaces for newlines, or base64 DER."""
    text = unquote(value).strip()
    try:
        if "BEGIN CERTIFICATE" in text:
            body = text.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "")
            pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body.split()) + "\n-----END CERTIFICATE-----\n"
            return x509.load_pem_x509_certificate(pem.encode())
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error):
        raise InvalidInput("forwarded client certificate cannot be parsed") from None


def reenroll_with_certificate(
    services: Services, presented: x509.Certificate, csr_data: bytes, label: EstLabel
) -> Issued:
    """RFC 7030 §4.2.2 re-enrolment authenticated by the current certificate: it must be one we issued,
    unrevoked and valid; the CSR keeps its CN. Same key -> renewal, new key -> re-key (both record
    ``replaces``)."""
    serial = presented.serial_number
    record = services.store.get_certificate(serial)
    if record is None or record.der != presented.public_bytes(Encoding.DER):
        raise NotAuthorized("the client certificate was not issued by this PKI")
    if record.revoked:
        raise NotAuthorized(f"the client certificate {serial_hex(serial)} is revoked")
    now = services.clock()
    if not record.not_before <= now < record.not_after:
        raise NotAuthorized(f"the client certificate {serial_hex(serial)} is not valid now")
    if label.profile is None or record.profile != label.profile:
        raise NotAuthorized(f"a {record.profile} certificate cannot re-enrol under this CA label")
    csr = load_csr(csr_data)
    actor = f"tls-client:{serial_hex(serial)}"
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if csr.public_key().public_bytes(*spki) == presented.public_key().public_bytes(*spki):
        claims = claims_from_name(csr.subject)
        old_cn = presented.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        if claims.common_name is not None and claims.common_name != old_cn:
            raise PolicyRefused(f"re-enrolment CSR has CN {claims.common_name!r}, the certificate has {old_cn!r}")
        return services.ra.renew(serial, requester=actor)
    return services.ra.rekey(serial, csr_data, requester=actor)


def chain_without_root(issued: Issued) -> list[x509.Certificate]:
    """Leaf first, then the sub-CAs; the self-signed root is left out (OCPP CertificateSigned, A02.FR.x)."""
    return [issued.certificate] + [c for c in issued.chain if c.issuer != c.subject]
