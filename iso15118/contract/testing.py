"""The EV side of contract provisioning, for tests and the demo: an OEM provisioning certificate and key,
and signed CertificateInstallationReq / CertificateUpdateReq EXI messages as a vehicle sends them.

    ctx = pki.cli.contract_cmd.provisioning_for(services)            # composition over a ca_store Services
    vehicle = provision_vehicle(services.ra)                         # OEM provisioning cert under oem-sub2
    ctx.registry.add(pki.contracts.new_contract(emaid, vehicle.pcid, now=..., actor=...), actor=...)
    #   or: ctx.registry.set_policy(pki.contracts.ProvisioningPolicy(auto_provision=True), actor=..., at=...)
    exi = installation_request(vehicle, [v2g_root])                  # signed by the provisioning key
    result = answer(exi, ctx)                                        # the service side: result.exi, .emaid
    got = received_contract(result.exi, vehicle.key)                 # the EV unpacks: emaid, certificate, key
    exi = update_request(got.key, got.certificate, got.sub_cas, got.emaid, [v2g_root], session_id)

Checking a response the way an EV does is deliberately not here: the tests keep their own, independent
verifier (tests/iso15118/contract_ev.py). ``received_contract`` only unpacks an OK response (decode, decrypt
the contract key) so a demo can go on to CertificateUpdate and PnC authorization.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from iso15118.exi import ExiCodec, Grammar, default_codec
from iso15118.keywrap import decrypt_private_key
from iso15118.messages import (
    CertificateChain,
    CertificateInstallationReq,
    CertificateInstallationRes,
    CertificateUpdateReq,
    CertificateUpdateRes,
    ListOfRootCertificateIDs,
    MessageHeader,
    ResponseCode,
    V2GMessage,
    X509IssuerSerial,
)
from iso15118.xmldsig.signature import sign
from pki.policy import SubjectClaims
from pki.profiles import get_profile
from pki.registration import RegistrationAuthority

__all__ = ["Vehicle", "provision_vehicle", "new_pcid", "root_id", "installation_request", "update_request",
           "ReceivedContract", "received_contract"]

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Vehicle:
    pcid: str
    key: ec.EllipticCurvePrivateKey  # the OEM provisioning private key (stays in the car)
    certificate: x509.Certificate
    sub_cas: tuple[x509.Certificate, ...]  # OEM Sub-CA 2 first; the request carries only the leaf


def new_pcid(wmi: str = "WMI") -> str:
    """A random 17-character PCID (WMI + 14 alphanumerics; VDE-AR-E 2802-100-1 shape)."""
    return wmi + "".join(secrets.choice(_ALNUM) for _ in range(17 - len(wmi)))


def provision_vehicle(
    ra: RegistrationAuthority, *, pcid: str | None = None, issuer: str = "oem-sub2", requester: str = "oem-demo"
) -> Vehicle:
    """An OEM provisioning certificate (CN = PCID, DC = OEM) from our OEM Sub-CA 2 for a new P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    pcid = pcid or new_pcid()
    issued = ra.issue_for_key(key.public_key(), get_profile("oem-provisioning"), SubjectClaims(common_name=pcid),
                              requester=requester, issuer=issuer)
    return Vehicle(pcid, key, issued.certificate, issued.chain[:-1])


def root_id(cert: x509.Certificate, *, style: str = "rfc4514") -> X509IssuerSerial:
    """A RootCertificateID for ``cert`` as EV stacks write it: ``rfc4514`` or ``repr`` (SwitchEV sends
    ``str(cert.issuer)``, the repr of a cryptography Name)."""
    issuer = repr(cert.issuer) if style == "repr" else cert.issuer.rfc4514_string()
    return X509IssuerSerial(issuer_name=issuer, serial_number=cert.serial_number)


def _ids(roots: Sequence[x509.Certificate | X509IssuerSerial]) -> ListOfRootCertificateIDs:
    return ListOfRootCertificateIDs(
        root_certificate_ids=tuple(r if isinstance(r, X509IssuerSerial) else root_id(r) for r in roots))


def _encode(body: CertificateInstallationReq | CertificateUpdateReq, key: ec.EllipticCurvePrivateKey,
            session_id: bytes | None, codec: ExiCodec | None) -> bytes:
    codec = codec or default_codec()
    signature = sign(body.signed_elements(), key, codec=codec)
    header = MessageHeader(session_id=session_id if session_id is not None else os.urandom(8), signature=signature)
    return codec.encode(V2GMessage(header=header, body=body).to_tree(), Grammar.ISO2)


def installation_request(
    vehicle: Vehicle,
    roots: Sequence[x509.Certificate | X509IssuerSerial],
    *,
    session_id: bytes | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
    codec: ExiCodec | None = None,
) -> bytes:
    """A CertificateInstallationReq (Id id1) signed by the provisioning key (or ``key``, to test refusals)."""
    body = CertificateInstallationReq(
        id="id1", oem_provisioning_cert=vehicle.certificate.public_bytes(Encoding.DER),
        list_of_root_certificate_ids=_ids(roots))
    return _encode(body, key or vehicle.key, session_id, codec)


def update_request(
    contract_key: ec.EllipticCurvePrivateKey,
    contract_certificate: x509.Certificate,
    sub_cas: Sequence[x509.Certificate],
    emaid: str,
    roots: Sequence[x509.Certificate | X509IssuerSerial],
    *,
    session_id: bytes | None = None,
    codec: ExiCodec | None = None,
) -> bytes:
    """A CertificateUpdateReq (Id id1) with the old contract chain, signed by ``contract_key``."""
    chain = CertificateChain(
        certificate=contract_certificate.public_bytes(Encoding.DER),
        sub_certificates=tuple(c.public_bytes(Encoding.DER) for c in sub_cas))
    body = CertificateUpdateReq(id="id1", contract_signature_cert_chain=chain, emaid=emaid,
                                list_of_root_certificate_ids=_ids(roots))
    return _encode(body, contract_key, session_id, codec)


@dataclass(frozen=True, slots=True)
class ReceivedContract:
    emaid: str
    certificate: x509.Certificate
    sub_cas: tuple[x509.Certificate, ...]  # MO Sub-CA 2 first
    key: ec.EllipticCurvePrivateKey


def received_contract(
    exi: bytes, recipient: ec.EllipticCurvePrivateKey, *, codec: ExiCodec | None = None
) -> ReceivedContract:
    """Unpack an OK CertificateInstallationRes/UpdateRes with the key it was encrypted for (the OEM
    provisioning key, or the old contract key). No signature or chain check: see the tests' EV verifier."""
    codec = codec or default_codec()
    body = V2GMessage.from_tree(codec.decode(exi, Grammar.ISO2)).body
    if not isinstance(body, CertificateInstallationRes | CertificateUpdateRes):
        raise ValueError(f"not a CertificateInstallationRes/UpdateRes but {type(body).__name__}")
    if body.response_code is not ResponseCode.OK:
        raise ValueError(f"the response says {body.response_code.value}")
    certificate = x509.load_der_x509_certificate(body.contract_signature_cert_chain.certificate)
    subs = tuple(x509.load_der_x509_certificate(d) for d in body.contract_signature_cert_chain.sub_certificates)
    key = decrypt_private_key(body.contract_signature_encrypted_private_key.value, body.dh_public_key.value,
                              recipient, expected_public=certificate.public_key())  # type: ignore[arg-type]
    return ReceivedContract(body.emaid.value, certificate, subs, key)
