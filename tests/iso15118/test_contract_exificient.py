"""Our CertificateInstallationRes/UpdateRes, positive and negative, as the EXIficient jar sees them: the jar
decodes them to the same JSON as our codec, re-encodes that JSON to the same bytes, and encodes the four
signed fragments to the bytes we digested. Skips only without Java / the peer set-up."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

from iso15118.contract import CpsLeafSigner, ProvisioningContext, answer
from iso15118.contract.testing import installation_request, provision_vehicle, update_request
from iso15118.exi import Grammar, decode
from pki.contracts import new_contract
from pki.validation import store_revocation_check
from tests.iso15118.contract_ev import verify_response
from tests.peers.exificient import ExificientPeer

SIGNED = ("ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID")


def _same_for_the_jar(peer: ExificientPeer, exi: bytes) -> dict[str, Any]:
    ours = decode(exi, Grammar.ISO2)
    assert peer.decode(exi, "iso2") == ours
    assert peer.encode(ours, "iso2") == exi
    return ours


def test_responses_decode_alike_in_the_jar(exificient_peer: ExificientPeer, pki_services: Any) -> None:
    from ca_store.contracts import SqlContractRegistry
    from ca_store.trust import SqlTrustStore

    s = pki_services
    registry = SqlContractRegistry(s.store)
    ctx = ProvisioningContext(registry, SqlTrustStore(s.store), s.ra, CpsLeafSigner(s.store, s.keys, s.ra, s.clock),
                              s.clock, revocation=store_revocation_check(s.store))
    v2g_root = s.authority.ca_certificate(s.authority.ca("v2g-root"))
    mo_root = s.authority.ca_certificate(s.authority.ca("mo-root"))
    vehicle = provision_vehicle(s.ra)

    refused = answer(installation_request(vehicle, [v2g_root]), ctx)
    tree = _same_for_the_jar(exificient_peer, refused.exi)
    assert tree["V2G_Message"]["Body"]["CertificateInstallationRes"]["ResponseCode"] == "FAILED_NoCertificateAvailable"

    registry.add(new_contract("DEPNC000000042", vehicle.pcid, now=s.clock(), actor="mo"), actor="mo")
    session = os.urandom(8)
    installed = answer(installation_request(vehicle, [v2g_root], session_id=session), ctx)
    assert installed.ok
    tree = _same_for_the_jar(exificient_peer, installed.exi)
    body = tree["V2G_Message"]["Body"]["CertificateInstallationRes"]
    references = tree["V2G_Message"]["Header"]["Signature"]["SignedInfo"]["Reference"]
    digests = {r["URI"]: r["DigestValue"] for r in references}
    for name in SIGNED:
        fragment = exificient_peer.encode({name: body[name]}, "iso2-fragment")
        assert base64.b64encode(hashlib.sha256(fragment).digest()).decode() == digests["#" + body[name]["Id"]]
    old = verify_response(installed.exi, v2g_root=v2g_root, mo_root=mo_root, recipient=vehicle.key,
                          session_id=session)

    updated = answer(update_request(old.key, old.certificate, old.sub_cas, old.emaid, [v2g_root]), ctx)
    assert updated.ok
    _same_for_the_jar(exificient_peer, updated.exi)
