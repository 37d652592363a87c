"""`pnc contract ...` and `pnc trust ...` through the real CLI entry point on a real store."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from iso15118.contract.testing import installation_request, provision_vehicle
from pki.cli import exit_codes
from tests.conftest import PASSPHRASE
from tests.iso15118.contract_ev import foreign_pki, verify_response


@dataclass
class Cli:
    data_dir: Path
    passphrase_file: Path
    services: Any

    def __call__(self, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        from pki.cli.main import main

        stdout, stderr = io.StringIO(), io.StringIO()
        old_stdin = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(["--data-dir", str(self.data_dir), "--passphrase-file", str(self.passphrase_file),
                             *argv])
        finally:
            sys.stdin = old_stdin
        return code, stdout.getvalue(), stderr.getvalue()

    def json(self, *argv: str) -> Any:
        code, output, error = self(*argv, "--json")
        assert code == 0, error
        return json.loads(output)

    def root(self, name: str) -> Any:
        return self.services.authority.ca_certificate(self.services.authority.ca(name))


@pytest.fixture(scope="module")
def pnc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    from ca_store import sqlite_url
    from ca_store.services import initialize
    from ca_store.store import SqlStore

    base = tmp_path_factory.mktemp("contract-cli")
    services = initialize(sqlite_url(base / "data"), passphrase=PASSPHRASE)
    secret = base / "passphrase"
    secret.write_bytes(PASSPHRASE + b"\n")
    yield Cli(base / "data", secret, services)
    store = services.store
    assert isinstance(store, SqlStore)
    store.close()


def test_contract_add_list_show(pnc: Cli) -> None:
    added = pnc.json("contract", "add", "--emaid", "DE-8AA-001234567", "--pcid", "WMIPNC00000000001",
                     "--not-after", "2099-01-01")
    assert added["emaid"] == "DE8AA0012345670" and added["not_after"] == "2099-01-01T00:00:00Z"
    assert added["status"] == "active" and added["created_by"] == "cli"
    listed = pnc.json("contract", "list", "--pcid", "WMIPNC00000000001")
    assert [c["emaid"] for c in listed] == ["DE8AA0012345670"]
    assert pnc.json("contract", "show", "DE8AA001234567")["pcid"] == "WMIPNC00000000001"
    code, _, error = pnc("contract", "add", "--emaid", "DE8AA001234567", "--pcid", "WMIPNC00000000009")
    assert code == exit_codes.ALREADY_EXISTS and "already exists" in error
    code, _, error = pnc("contract", "add", "--emaid", "DE8AA0012345679", "--pcid", "WMIPNC00000000009")
    assert code == exit_codes.REFUSED and "check character" in error
    code, _, error = pnc("contract", "show", "DEPNC999999999")
    assert code == exit_codes.NOT_FOUND


def test_policy_switch(pnc: Cli) -> None:
    assert pnc.json("contract", "policy") == {"auto_provision": False, "provider_prefix": "DEPNC", "validity_days": 365}
    on = pnc.json("contract", "policy", "--auto-provision", "on", "--provider-prefix", "frxyz")
    assert on == {"auto_provision": True, "provider_prefix": "FRXYZ", "validity_days": 365}
    assert pnc.json("contract", "policy", "--auto-provision", "off")["auto_provision"] is False
    code, _, error = pnc("contract", "policy", "--provider-prefix", "TOOLONG")
    assert code == exit_codes.REFUSED and "prefix" in error


def test_trust_add_and_list(pnc: Cli, tmp_path: Path) -> None:
    oem = foreign_pki("VF3AAAAAAAAAAAAAA")
    bundle = tmp_path / "oem.pem"
    bundle.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in (oem.root, oem.sub1, oem.sub2)))
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(oem.leaf.public_bytes(Encoding.PEM) + oem.root.public_bytes(Encoding.PEM))
    code, _, error = pnc("trust", "add", "--kind", "oem", str(leaf))
    assert code == exit_codes.REFUSED and "not a CA" in error
    assert pnc.json("trust", "list") == []  # the root of the refused file was not stored either
    added = pnc.json("trust", "add", "--kind", "oem", str(bundle))
    assert [(t["root"], t["subject"].split(",")[-1]) for t in added] == [
        (True, "CN=Foreign OEM Root"), (False, "CN=Foreign OEM Sub-CA 1"), (False, "CN=Foreign OEM Sub-CA 2")]
    assert len(pnc.json("trust", "list", "--kind", "oem")) == 3 and pnc.json("trust", "list", "--kind", "mo") == []
    code, _, error = pnc("trust", "add", "--kind", "oem", str(tmp_path / "missing.pem"))
    assert code == exit_codes.USAGE


def test_answer_issues_and_refuses_like_the_service(pnc: Cli) -> None:
    vehicle = provision_vehicle(pnc.services.ra)
    session = os.urandom(8)
    request = base64.b64encode(installation_request(vehicle, [pnc.root("v2g-root")], session_id=session)).decode()
    code, output, _ = pnc("contract", "answer", "--exi-request", request, "--json")
    refused = json.loads(output)
    assert code == exit_codes.REFUSED and refused["responseCode"] == "FAILED_NoCertificateAvailable"
    pnc.json("contract", "add", "--emaid", "DEPNC00000CLI1", "--pcid", vehicle.pcid)
    code, output, _ = pnc("contract", "answer", "--exi-request", "-", "--action", "Install", stdin=request + "\n")
    assert code == 0
    fields = dict(line.split(":", 1) for line in output.splitlines())
    assert fields["responseCode"].strip() == "OK"
    received = verify_response(base64.b64decode(fields["exiResponse"].strip()), v2g_root=pnc.root("v2g-root"),
                               mo_root=pnc.root("mo-root"), recipient=vehicle.key, session_id=session)
    shown = pnc.json("contract", "show", received.emaid)
    assert [c["status"] for c in shown["certificates"]] == ["good"]
    revoked = pnc.json("contract", "revoke", received.emaid)
    assert revoked["status"] == "revoked" and len(revoked["revoked_certificates"]) == 1
    assert [c["status"] for c in pnc.json("contract", "show", received.emaid)["certificates"]] == ["revoked"]
    code, output, _ = pnc("contract", "answer", "--exi-request", request, "--json")
    assert code == exit_codes.REFUSED and json.loads(output)["responseCode"] == "FAILED_ContractCanceled"


@pytest.mark.parametrize("request_text, reason", [("***", "not_base64"), ("QUJDRA==", "not_exi"),
                                                  ("A" * 5604, "too_long")])
def test_answer_reports_unusable_requests(pnc: Cli, request_text: str, reason: str) -> None:
    code, output, _ = pnc("contract", "answer", "--exi-request", request_text, "--json")
    assert code == exit_codes.REFUSED and json.loads(output)["reason"] == reason
