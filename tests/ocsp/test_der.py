"""The hand-written response encoding (ocsp.der) against pyca's builder and parser."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp as x_ocsp

from ocsp.model import CertId, CertState, Status
from ocsp.signing import HASHES, Signer, sign_response, sign_single
from pki.model import RevocationReason
from tests.ocsp.server import self_signed_ca

NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
STATES = [CertState(Status.GOOD), CertState(Status.UNKNOWN),
          *(CertState(Status.REVOKED, NOW - timedelta(days=3), reason) for reason in RevocationReason),
          CertState(Status.REVOKED, extended=True)]


@pytest.mark.parametrize("state", STATES, ids=lambda s: f"{s.status}-{s.reason}-{s.extended}")
@pytest.mark.parametrize("alg", sorted(HASHES))
def test_tbs_is_byte_identical_to_pycas_builder(state: CertState, alg: str) -> None:
    ca, key = self_signed_ca("DER CA")
    signer = Signer("der", key, ca, delegated=False)
    cid = CertId(alg, os.urandom(HASHES[alg].digest_size), os.urandom(HASHES[alg].digest_size), 0xF00DCAFE << 100)
    this_update = NOW - timedelta(hours=1)  # producedAt (NOW) differs from thisUpdate
    ours = x_ocsp.load_der_ocsp_response(sign_single(signer, cid, state, this_update, NOW + timedelta(days=4), None,
                                                     NOW))
    revoked_at, reason = None, None
    if state.status is Status.REVOKED:
        revoked_at = datetime(1970, 1, 1, tzinfo=UTC) if state.extended else state.revoked_at
        reason = x509.ReasonFlags.certificate_hold if state.extended else (
            state.reason.flag if state.reason is not None and state.reason.code != 0 else None)
    builder = x_ocsp.OCSPResponseBuilder().add_response_by_hash(
        cid.name_hash, cid.key_hash, cid.serial, HASHES[alg],
        {Status.GOOD: x_ocsp.OCSPCertStatus.GOOD, Status.UNKNOWN: x_ocsp.OCSPCertStatus.UNKNOWN,
         Status.REVOKED: x_ocsp.OCSPCertStatus.REVOKED}[state.status],
        this_update, NOW + timedelta(days=4), revoked_at, reason).responder_id(x_ocsp.OCSPResponderEncoding.HASH, ca)
    if state.extended:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.48.1.9"), b"\x05\x00"), critical=False)
    theirs = builder.sign(key, hashes.SHA256())
    # producedAt: pyca always writes the current time; compare everything else byte for byte
    assert ours.tbs_response_bytes.replace(b"20260504030201Z", b"") == \
        theirs.tbs_response_bytes.replace(theirs.produced_at_utc.strftime("%Y%m%d%H%M%SZ").encode(), b"")
    key.public_key().verify(ours.signature, ours.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))


def test_many_singles_nonce_and_embedded_certificate() -> None:
    ca, ca_key = self_signed_ca("DER CA")
    responder, responder_key = self_signed_ca("DER responder")  # embedding only; not checked here
    signer = Signer("der", responder_key, responder, delegated=True)
    singles = [(CertId("sha256", b"\x01" * 32, b"\x02" * 32, n), STATES[n % len(STATES)], NOW,
                NOW + timedelta(hours=1)) for n in range(1, 101)]
    nonce = os.urandom(128)
    parsed = x_ocsp.load_der_ocsp_response(sign_response(signer, singles, NOW, nonce))
    assert [s.serial_number for s in parsed.responses] == list(range(1, 101))
    assert parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert parsed.certificates == [responder]
    assert parsed.responder_key_hash == signer.responder_key_hash
    del ca, ca_key
