"""`openssl ocsp` as an independent client and verifier against the real responder on loopback."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.x509 import ocsp as x_ocsp

from ocsp.request import encode_get_path
from pki.model import RevocationReason
from tests.ocsp.conftest import World
from tests.ocsp.server import self_signed_ca, write_pem

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


def openssl_ocsp(world: World, *args: str, url: str | None = None, issuer: Path | None = None,
                 ca: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ["openssl", "ocsp", "-issuer", str(issuer or world.files["issuer"]),
           "-CAfile", str(ca or world.files["root"]), "-verify_other", str(world.files["untrusted"]),
           "-url", url or world.ocsp_url, "-timeout", "10", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)


def _revocation_time(stdout: str) -> datetime:
    match = re.search(r"Revocation Time: (.+ GMT)", stdout)
    assert match, stdout
    return datetime.strptime(match.group(1), "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)


@pytest.mark.parametrize("nonce", ["-nonce", "-no_nonce"])
def test_good(world: World, nonce: str) -> None:
    run = openssl_ocsp(world, "-cert", str(world.files["good"]), nonce)
    assert run.returncode == 0, run.stderr
    assert "Response verify OK" in run.stderr
    assert f"{world.files['good']}: good" in run.stdout
    assert "WARNING" not in run.stdout + run.stderr  # the nonce was echoed (openssl warns otherwise)


@pytest.mark.parametrize("nonce", ["-nonce", "-no_nonce"])
def test_revoked_with_reason_and_exact_time(world: World, nonce: str) -> None:
    run = openssl_ocsp(world, "-cert", str(world.files["revoked"]), nonce)
    assert run.returncode == 0, run.stderr
    assert "Response verify OK" in run.stderr
    assert f"{world.files['revoked']}: revoked" in run.stdout
    assert "Reason: keyCompromise" in run.stdout
    record = world.svc.store.get_certificate(world.revoked.record.serial)  # type: ignore[attr-defined]
    assert _revocation_time(run.stdout) == record.revoked_at


@pytest.mark.parametrize("nonce", ["-nonce", "-no_nonce"])
def test_never_issued_serial_is_unknown(world: World, nonce: str) -> None:
    run = openssl_ocsp(world, "-serial", "0x1234567890ABCDEF", nonce)
    assert run.returncode == 0, run.stderr
    assert "Response verify OK" in run.stderr
    assert "0x1234567890ABCDEF: unknown" in run.stdout


@pytest.mark.parametrize("digest", ["-sha1", "-sha256", "-sha384", "-sha512"])
def test_certid_hash_algorithms(world: World, digest: str) -> None:
    run = openssl_ocsp(world, digest, "-cert", str(world.files["good"]), "-cert", str(world.files["revoked"]),
                       "-no_nonce")
    assert run.returncode == 0, run.stderr
    assert "Response verify OK" in run.stderr
    assert f"{world.files['good']}: good" in run.stdout
    assert f"{world.files['revoked']}: revoked" in run.stdout


def test_several_certids_in_one_request_with_nonce(world: World) -> None:
    run = openssl_ocsp(world, "-cert", str(world.files["good"]), "-cert", str(world.files["revoked"]),
                       "-serial", "0x42", "-nonce")
    assert run.returncode == 0, run.stderr
    assert "Response verify OK" in run.stderr
    assert f"{world.files['good']}: good" in run.stdout
    assert f"{world.files['revoked']}: revoked" in run.stdout
    assert "0x42: unknown" in run.stdout
    assert "WARNING" not in run.stdout + run.stderr


def test_revocation_visible_on_the_very_next_request(world: World) -> None:
    leaf = world.new_leaf("fresh")
    assert "fresh.pem: good" in openssl_ocsp(world, "-cert", str(world.dir / "fresh.pem"), "-no_nonce").stdout
    world.svc.ra.revoke(leaf.record.serial, RevocationReason.SUPERSEDED, requester="test")
    run = openssl_ocsp(world, "-cert", str(world.dir / "fresh.pem"), "-no_nonce")
    assert "fresh.pem: revoked" in run.stdout, run.stdout
    assert "Reason: superseded" in run.stdout
    assert "Response verify OK" in run.stderr


def test_unknown_issuer_is_unauthorized(world: World, tmp_path: Path) -> None:
    stranger, _ = self_signed_ca("Stranger CA")  # not one of our CAs
    issuer = write_pem(tmp_path / "stranger.pem", stranger)
    run = openssl_ocsp(world, "-serial", "0x99", "-no_nonce", issuer=issuer)
    assert "Responder Error: unauthorized (6)" in run.stdout + run.stderr


def test_post_get_and_encoded_get_return_identical_bytes(world: World, tmp_path: Path) -> None:
    req = tmp_path / "req.der"
    made = subprocess.run(["openssl", "ocsp", "-issuer", str(world.files["issuer"]), "-sha256", "-cert",
                           str(world.files["good"]), "-no_nonce", "-reqout", str(req)],
                          capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    der = req.read_bytes()
    import base64

    raw_b64 = base64.b64encode(der).decode()
    with httpx.Client(timeout=10) as http:
        post = http.post(world.ocsp_url, content=der, headers={"content-type": "application/ocsp-request"})
        raw_get = http.get(world.ocsp_url + "/" + raw_b64)
        enc_get = http.get(world.ocsp_url + "/" + encode_get_path(der))
        slash_get = http.get(world.ocsp_url + "//" + encode_get_path(der))
        space_get = http.get(world.ocsp_url + "/" + raw_b64.replace("+", "%20"))
    bodies = {r.content for r in (post, raw_get, enc_get, slash_get, space_get)}
    assert len(bodies) == 1
    assert all(r.status_code == 200 for r in (post, raw_get, enc_get, slash_get, space_get))
    response = x_ocsp.load_der_ocsp_response(post.content)
    assert response.certificate_status is x_ocsp.OCSPCertStatus.GOOD
    # and openssl verifies the very bytes served over GET
    resp_file = tmp_path / "resp.der"
    resp_file.write_bytes(enc_get.content)
    check = subprocess.run(["openssl", "ocsp", "-respin", str(resp_file), "-issuer", str(world.files["issuer"]),
                            "-CAfile", str(world.files["root"]), "-verify_other", str(world.files["untrusted"]),
                            "-sha256", "-cert", str(world.files["good"])],
                           capture_output=True, text=True, check=False)
    assert "Response verify OK" in check.stderr and f"{world.files['good']}: good" in check.stdout


def test_crl_download_lists_the_revoked_certificate(world: World, tmp_path: Path) -> None:
    with httpx.Client(timeout=10) as http:
        response = http.get(world.url + "/crl/cpo-sub2.crl")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pkix-crl"
        again = http.get(world.url + "/crl/cpo-sub2.crl", headers={"if-none-match": response.headers["etag"]})
        assert again.status_code == 304
        assert http.get(world.url + "/crl/nope.crl").status_code == 404
    crl = tmp_path / "crl.der"
    crl.write_bytes(response.content)
    ca_file = write_pem(tmp_path / "ca.pem", world.ca_cert("cpo-sub2"))
    run = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(ca_file),
                          "-noout", "-text"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "verify OK" in run.stderr + run.stdout
    assert format(world.revoked.record.serial, "X") in run.stdout.replace(":", "").upper()  # type: ignore[attr-defined]
