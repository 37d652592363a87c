"""The URLs we put into certificates answer: AIA OCSP (every non-root certificate) and CRL DP (per CA)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
from cryptography import x509

from ocsp.app import create_app
from ocsp.client import OcspClient, cert_id_for, ocsp_url_of
from ocsp.settings import OcspSettings
from pki.model import RevocationReason
from tests.conftest import PASSPHRASE
from tests.helpers import csr_pem, make_csr
from tests.ocsp.server import write_pem
from tests.servers import free_port, serve_in_thread


def _crl_url(cert: x509.Certificate) -> str:
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    name = points[0].full_name
    assert name is not None
    return str(name[0].value)


def test_aia_and_crl_dp_urls_of_issued_certificates_answer(tmp_path: Path) -> None:
    from ca_store import sqlite_url
    from ca_store.services import initialize
    from pki.ceremony import load_config

    port = free_port()
    config = tmp_path / "pki.toml"
    config.write_text(f'public_url = "http://127.0.0.1:{port}"\n[ca.cpo-sub2]\ncrl_distribution = true\n')
    svc = initialize(sqlite_url(tmp_path / "db"), passphrase=PASSPHRASE, config=load_config(config))
    app = create_app(svc, settings=OcspSettings())
    with serve_in_thread(app, port), httpx.Client(timeout=10) as http:
        leaf = svc.ra.issue_from_csr(csr_pem(make_csr("DE*URL*E0001")), "secc", requester="test")
        issuer = leaf.chain[0]
        aia = ocsp_url_of(leaf.certificate)
        assert aia == f"http://127.0.0.1:{port}/ocsp"
        crl_url = _crl_url(leaf.certificate)
        assert crl_url == f"http://127.0.0.1:{port}/crl/cpo-sub2.crl"
        assert not any(isinstance(e.value, x509.CRLDistributionPoints) for e in issuer.extensions)  # cpo-sub1: off

        client = OcspClient(None, allowed_hosts=["127.0.0.1"], http=http, issuers=[issuer])
        der = client.status_for_certificate(leaf.certificate, issuer)  # URL taken from the AIA
        assert client.fetches == 1
        assert client.verified(cert_id_for(leaf.certificate, issuer), der).status.value == "good"

        crl = x509.load_der_x509_crl(http.get(crl_url).content)
        assert crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
        assert crl.get_revoked_certificate_by_serial_number(leaf.record.serial) is None
        svc.ra.revoke(leaf.record.serial, RevocationReason.PRIVILEGE_WITHDRAWN, requester="test")
        crl = x509.load_der_x509_crl(http.get(crl_url).content)
        entry = crl.get_revoked_certificate_by_serial_number(leaf.record.serial)
        assert entry is not None
        assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is \
            x509.ReasonFlags.privilege_withdrawn

        if shutil.which("openssl"):
            leaf_pem = write_pem(tmp_path / "leaf.pem", leaf.certificate)
            chain = leaf.chain
            issuer_pem = write_pem(tmp_path / "issuer.pem", issuer)
            root_pem = write_pem(tmp_path / "root.pem", chain[-1])
            others = write_pem(tmp_path / "others.pem", *chain[:-1])
            run = subprocess.run(["openssl", "ocsp", "-issuer", str(issuer_pem), "-cert", str(leaf_pem), "-url", aia,
                                  "-CAfile", str(root_pem), "-verify_other", str(others)],
                                 capture_output=True, text=True, check=False, timeout=30)
            assert "Response verify OK" in run.stderr and "leaf.pem: revoked" in run.stdout, run.stdout + run.stderr
            # OpenSSL 3.0 prints "(UNKNOWN)" for reason codes 9 and 10 (its name table stops at removeFromCRL)
            assert "Reason: (UNKNOWN)" in run.stdout or "Reason: privilegeWithdrawn" in run.stdout
        fresh = OcspClient(None, allowed_hosts=["127.0.0.1"], http=http, issuers=[issuer])
        verified = fresh.verified(cert_id_for(leaf.certificate, issuer), fresh.status_for_certificate(leaf.certificate,
                                                                                                     issuer))
        assert verified.reason is RevocationReason.PRIVILEGE_WITHDRAWN
