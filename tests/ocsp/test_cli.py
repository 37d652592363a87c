"""`pnc ocsp check`: local answers for our certificates, remote checks with --url, exit codes."""

from __future__ import annotations

import json

import pytest

from pki.cli.main import main
from tests.conftest import PASSPHRASE
from tests.ocsp.conftest import World
from tests.ocsp.server import self_signed_ca, write_pem


@pytest.fixture
def pnc(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PNC_PASSPHRASE", PASSPHRASE.decode())

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(world.dir / "db"), "ocsp", "check", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_local_check_of_our_certificates(world: World, pnc) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = pnc(str(world.files["good"]), "--json")
    result = json.loads(out)
    assert code == 0 and result["status"] == "good" and result["source"] == "local store"
    assert result["delegated"] is True and "OCSP Responder" in result["responder"]
    code, out, _ = pnc(str(world.files["revoked"]))
    assert code == 4
    assert "revoked" in out and "keyCompromise" in out


def test_remote_check_with_url(world: World, pnc) -> None:  # type: ignore[no-untyped-def]
    code, out, err = pnc(str(world.files["revoked"]), "--url", world.ocsp_url, "--json")
    result = json.loads(out)
    assert code == 4 and result["status"] == "revoked" and result["source"] == world.ocsp_url
    assert result["reason"] == "keyCompromise"
    code, out, err = pnc(str(world.files["good"]), "--issuer", str(world.files["issuer"]), "--url", world.ocsp_url)
    assert code == 0 and "good" in out and "from " + world.ocsp_url in err


def test_not_our_certificate_without_issuer(world: World, pnc, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stranger, _ = self_signed_ca("Someone Else")
    path = write_pem(tmp_path / "stranger.pem", stranger)
    code, _, err = pnc(str(path))
    assert code == 1 and "--issuer" in err
    code, _, err = pnc(str(tmp_path / "missing.pem"))
    assert code == 1 and "cannot read" in err
