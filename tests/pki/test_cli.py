"""The operator CLI end to end (real processes, real SQLite file): happy paths and every bad input of
issue 2, each with a clear message, a non-zero documented exit code and nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.cli import exit_codes
from tests.helpers import csr_pem, make_csr, make_key

PNC = [sys.executable, "-m", "pki.cli.main"]


class Cli:
    def __init__(self, data_dir: Path, passphrase: str = "s3cret-pass") -> None:
        self.env = {**os.environ, "PNC_DATA_DIR": str(data_dir), "PNC_PASSPHRASE": passphrase}
        self.env.pop("PNC_DB_URL", None)
        self.dir = data_dir

    def __call__(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
                 ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*PNC, *args], input=stdin, capture_output=True, env={**self.env, **(env or {})},
                              check=False, timeout=120)

    def json(self, *args: str) -> object:
        r = self(*args, "--json")
        assert r.returncode == 0, r.stderr.decode()
        return json.loads(r.stdout)

    def state(self) -> tuple[int, int]:
        certs = self.json("cert", "list")
        entries = self.json("audit", "list")
        assert isinstance(certs, list) and isinstance(entries, list)
        return len(certs), len(entries)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    c = Cli(tmp_path_factory.mktemp("cli") / "data")
    r = c("init")
    assert r.returncode == 0, r.stderr.decode()
    yield c


def _write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def test_init_refuses_to_overwrite(cli: Cli) -> None:
    before = cli.state()
    r = cli("init")
    assert r.returncode == exit_codes.ALREADY_EXISTS
    assert b"already initialised; refusing to overwrite" in r.stderr
    assert cli.state() == before


def test_init_needs_a_passphrase(tmp_path: Path) -> None:
    c = Cli(tmp_path / "d")
    r = c("init", env={"PNC_PASSPHRASE": ""})
    assert r.returncode == exit_codes.BAD_PASSPHRASE and b"passphrase is required" in r.stderr


def test_init_with_config_and_passphrase_file(tmp_path: Path) -> None:
    config = tmp_path / "pki.toml"
    config.write_text('organization = "Acme CPO"\ncountry = "NL"\npublic_url = "https://pki.acme.test"\n'
                      'cas = ["v2g-root", "cpo-sub2"]\n[validity]\nsecc = 60\n[ca.v2g-root]\ncn = "Acme V2G Root"\n')
    (tmp_path / "pw").write_text("from-file\n")
    c = Cli(tmp_path / "d", passphrase="")
    r = c("--passphrase-file", str(tmp_path / "pw"), "init", "--config", str(config))
    assert r.returncode == 0, r.stderr
    cas = c.json("ca", "list")
    assert isinstance(cas, list)
    assert [(x["name"], x["issuer"]) for x in cas] == [("v2g-root", None), ("cpo-sub2", "v2g-root")]
    assert "CN=Acme V2G Root" in cas[0]["subject"] and "C=NL" in cas[0]["subject"]
    csr = _write(tmp_path, "c.csr", csr_pem(make_csr("NL*ACM*E1")))
    issued = subprocess.run([*PNC, "--passphrase-file", str(tmp_path / "pw"), "cert", "issue", "--profile", "secc",
                             "--csr", csr, "--json"], capture_output=True, env=c.env, check=True)
    cert = x509.load_pem_x509_certificate(json.loads(issued.stdout)["certificate"].encode())
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 60
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == "https://pki.acme.test/ocsp"


def test_bad_config_is_refused_and_nothing_created(tmp_path: Path) -> None:
    config = tmp_path / "pki.toml"
    config.write_text('cas = ["cpo-sub2"]\n')
    c = Cli(tmp_path / "d")
    r = c("init", "--config", str(config))
    assert r.returncode == exit_codes.REFUSED and b"cpo-sub2 needs one of" in r.stderr
    r = c("ca", "list")
    assert r.returncode == exit_codes.STORE_UNAVAILABLE and b"not initialised" in r.stderr


def test_ca_list_json_fields(cli: Cli) -> None:
    cas = cli.json("ca", "list")
    assert isinstance(cas, list) and len(cas) == 13
    assert set(cas[0]) == {"name", "profile", "subject", "serial", "not_before", "not_after", "issuer"}


def test_ca_export_chain_order_and_der(cli: Cli) -> None:
    r = cli("ca", "export", "cpo-sub2", "--chain")
    certs = x509.load_pem_x509_certificates(r.stdout)
    assert [c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value for c in certs] == [
        "CPO Sub-CA 2", "CPO Sub-CA 1", "V2G Root CA"]
    der = cli("ca", "export", "v2g-root", "--format", "der").stdout
    assert x509.load_der_x509_certificate(der) == certs[-1]
    assert cli("ca", "export", "nope").returncode == exit_codes.NOT_FOUND


def test_issue_show_renew_rekey_revoke_crl(cli: Cli, tmp_path: Path) -> None:
    key = make_key()
    csr = _write(tmp_path, "c.csr", csr_pem(make_csr("DE83DUIEN83QGZD", key=key)))
    issued = cli.json("cert", "issue", "--profile", "contract", "--csr", csr)
    assert isinstance(issued, dict) and set(issued) == {"serial", "certificate", "chain"}
    serial = issued["serial"]
    shown = cli.json("cert", "show", serial)
    assert shown["status"] == "good" and shown["profile"] == "contract"  # type: ignore[index]
    renewed = cli.json("cert", "renew", serial)
    old = x509.load_pem_x509_certificate(issued["certificate"].encode())
    new = x509.load_pem_x509_certificate(renewed["certificate"].encode())  # type: ignore[index]
    assert new.subject == old.subject and new.public_key() == old.public_key()
    assert new.serial_number != old.serial_number
    new_csr = _write(tmp_path, "n.csr", csr_pem(make_csr("DE83DUIEN83QGZD")))
    rekeyed = cli.json("cert", "renew", serial, "--csr", new_csr)
    rk = x509.load_pem_x509_certificate(rekeyed["certificate"].encode())  # type: ignore[index]
    assert rk.subject == old.subject and rk.public_key() != old.public_key()
    assert cli.json("cert", "show", rekeyed["serial"])["replaces"] == serial  # type: ignore[index]
    revoked = cli.json("cert", "revoke", serial, "--reason", "keyCompromise")
    assert revoked["status"] == "revoked" and revoked["revocation_reason"] == "keyCompromise"  # type: ignore[index]
    again = cli("cert", "revoke", serial, "--reason", "keyCompromise")
    assert again.returncode == exit_codes.REFUSED and b"already revoked" in again.stderr
    crl_pem = cli("crl", "mo-sub2").stdout
    crl_path = _write(tmp_path, "crl.pem", crl_pem)
    text = subprocess.run(["openssl", "crl", "-in", crl_path, "-noout", "-text"], capture_output=True, text=True,
                          check=True).stdout
    assert serial.upper() in text.replace(":", "").upper()
    assert "Key Compromise" in text and "X509v3 CRL Number" in text and "Authority Key Identifier" in text
    ca_pem = _write(tmp_path, "ca.pem", cli("ca", "export", "mo-sub2").stdout)
    ok = subprocess.run(["openssl", "crl", "-in", crl_path, "-CAfile", ca_pem, "-noout"], capture_output=True,
                        text=True, check=False)
    assert "verify OK" in ok.stdout + ok.stderr
    der = cli("crl", "mo-sub2", "--format", "der").stdout
    assert x509.load_der_x509_crl(der).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    renew_revoked = cli("cert", "renew", serial)
    assert renew_revoked.returncode == exit_codes.REFUSED and b"revoked" in renew_revoked.stderr


def test_audit_verify(cli: Cli) -> None:
    r = cli.json("audit", "verify")
    assert r["ok"] is True and r["entries"] >= 26  # type: ignore[index]  # 13 key.create + 13 ca.create at least


def _bad_signature_csr() -> bytes:
    der = bytearray(make_csr("DE*ICE*E45B*78C").public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return bytes(der)


BAD_CSRS = {
    "garbage": (b"\x00\xff this is not a CSR at all!", "neither DER nor valid base64"),
    "truncated": (csr_pem(make_csr("DE*ICE*E45B*78C"))[:200] + b"\n-----END CERTIFICATE REQUEST-----\n",
                  "not a valid PKCS#10"),
    "bad-signature": (_bad_signature_csr(), "does not verify with its own public key"),
    "empty": (b"", "CSR is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSRS))
def test_bad_csr_is_refused_and_nothing_written(cli: Cli, tmp_path: Path, case: str) -> None:
    data, message = BAD_CSRS[case]
    before = cli.state()
    r = cli("cert", "issue", "--profile", "secc", "--csr", _write(tmp_path, "x.csr", data))
    assert r.returncode == exit_codes.REFUSED, r.stderr
    assert message in r.stderr.decode()
    assert cli.state() == before


REFUSED = {
    "rsa-for-iso": ("secc", make_csr("DE*ICE*E45B*78C", key=make_key("rsa2048")), "not allowed for profile secc"),
    "p384-for-iso": ("contract", make_csr("DE83DUIEN83QGZD", key=make_key("p384")), "secp256r1 only"),
    "bad-emaid-check-digit": ("contract", make_csr("DE83DUIEN83QGZX"), "check character 'X' is wrong"),
    "bad-emaid-syntax": ("contract", make_csr("D383DUIEN83QGZ"), "eMAID 'D383DUIEN83QGZ'"),
    "bad-pcid": ("oem-provisioning", make_csr("TOO-SHORT"), "PCID 'TOO-SHORT'"),
    "bad-evse-id": ("secc", make_csr("not an evse"), "SECC-ID 'not an evse'"),
    "wrong-dc": ("secc", make_csr("DE*ICE*E45B*78C", dc="CPS"), "DC 'CPS' is wrong for profile secc"),
    "no-cn": ("secc", make_csr(None, o="x"), "CN is required"),
    "station-ec-p521-not-allowed": ("charging-station", make_csr("CS-1", key=make_key("p384")), None),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_policy_refusals(cli: Cli, tmp_path: Path, case: str) -> None:
    profile, csr, message = REFUSED[case]
    before = cli.state()
    r = cli("cert", "issue", "--profile", profile, "--csr", _write(tmp_path, "x.csr", csr_pem(csr)))
    if message is None:  # P-384 IS allowed for stations (OCPP A00.FR.4xx): control case
        assert r.returncode == 0, r.stderr
        return
    assert r.returncode == exit_codes.REFUSED, r.stderr
    assert message in r.stderr.decode()
    assert cli.state() == before


def test_certificate_over_800_bytes_fails_lint_and_signs_nothing(cli: Cli, tmp_path: Path) -> None:
    before = cli.state()
    csr = make_csr("DE-ICE-S-" + "A" * 44 + "-2", o="O" * 64)
    url = "https://" + "very-long-host-name." * 12 + "example/pki"
    r = cli("cert", "issue", "--profile", "secc", "--csr", _write(tmp_path, "x.csr", csr_pem(csr)),
            env={"PNC_PUBLIC_URL": url})
    assert r.returncode == exit_codes.REFUSED, r.stderr
    assert "lint failed, nothing was signed" in r.stderr.decode() and "ISO 15118-2 allows 800" in r.stderr.decode()
    assert cli.state() == before


def test_wrong_passphrase(cli: Cli, tmp_path: Path) -> None:
    before = cli.state()
    csr = _write(tmp_path, "x.csr", csr_pem(make_csr("DE*ICE*E45B*78C")))
    r = cli("cert", "issue", "--profile", "secc", "--csr", csr, env={"PNC_PASSPHRASE": "wrong"})
    assert r.returncode == exit_codes.BAD_PASSPHRASE and b"wrong passphrase" in r.stderr
    assert cli.state() == before


def test_missing_passphrase_for_signing(cli: Cli, tmp_path: Path) -> None:
    csr = _write(tmp_path, "x.csr", csr_pem(make_csr("DE*ICE*E45B*78C")))
    r = cli("cert", "issue", "--profile", "secc", "--csr", csr, env={"PNC_PASSPHRASE": ""})
    assert r.returncode == exit_codes.BAD_PASSPHRASE and b"no passphrase" in r.stderr


def test_unreachable_database(cli: Cli) -> None:
    r = subprocess.run([*PNC, "--db-url", "postgresql+psycopg://nobody@127.0.0.1:1/none", "ca", "list"],
                       capture_output=True, env=cli.env, check=False, timeout=60)
    assert r.returncode == exit_codes.STORE_UNAVAILABLE, r.stderr
    assert b"127.0.0.1:1" in r.stderr and b"Traceback" not in r.stderr


def test_unknown_things(cli: Cli, tmp_path: Path) -> None:
    csr = _write(tmp_path, "x.csr", csr_pem(make_csr("DE*ICE*E45B*78C")))
    r = cli("cert", "issue", "--profile", "nope", "--csr", csr)
    assert r.returncode == exit_codes.NOT_FOUND and b"unknown profile 'nope'" in r.stderr
    r = cli("cert", "issue", "--profile", "secc", "--csr", csr, "--issuer", "mo-sub2")
    assert r.returncode == exit_codes.REFUSED and b"may not issue secc" in r.stderr
    assert cli("cert", "show", "ABCDEF").returncode == exit_codes.NOT_FOUND
    assert cli("cert", "show", "xyz").returncode == exit_codes.NOT_FOUND
    r = cli("cert", "revoke", "ABCDEF", "--reason", "bogus")
    assert r.returncode == exit_codes.USAGE and b"unknown revocation reason" in r.stderr
    r = cli("cert", "issue", "--profile", "secc", "--csr", str(tmp_path / "missing.csr"))
    assert r.returncode == exit_codes.USAGE and b"cannot read" in r.stderr


@pytest.mark.parametrize("args", [
    ("cert", "issue", "--profile", "secc", "--csr", "CSR", "--days", "0"),
    ("cert", "issue", "--profile", "secc", "--csr", "CSR", "--days", "99999999999"),
    ("cert", "renew", "ABCDEF", "--days", "-3"),
    ("cert", "list", "--limit", "-1"),
    ("contract", "list", "--limit", "0"),
    ("contract", "policy", "--validity-days", "99999999999"),
])
def test_numbers_out_of_range_are_usage_errors(cli: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    before = cli.state()
    csr = _write(tmp_path, "x.csr", csr_pem(make_csr("DE*ICE*E45B*78C")))
    r = cli(*[csr if a == "CSR" else a for a in args])
    assert r.returncode == exit_codes.USAGE, r.stderr
    assert b"must be a whole number from 1 to" in r.stderr and b"Traceback" not in r.stderr
    assert cli.state() == before


@pytest.mark.parametrize("serial", ["1_0", "+5", "0x", "12 34"])
def test_malformed_serials(cli: Cli, serial: str) -> None:
    r = cli("cert", "show", serial)
    assert r.returncode == exit_codes.NOT_FOUND and b"is not a serial number" in r.stderr


BAD_CONFIGS = {
    "validity not a table": ("validity = 5", "[validity] must be a table"),
    "ca not a table": ('ca = "x"', "[ca] must be a table"),
    "cas a string": ('cas = "v2g-root"', "`cas` must be a list of CA names"),
    "cas twice": ('cas = ["v2g-root", "v2g-root"]', "names a CA more than once"),
    "days not a number": ('cas = ["v2g-root"]\n[ca.v2g-root]\ndays = "abc"', "days must be a whole number"),
    "days huge": ('cas = ["v2g-root"]\n[ca.v2g-root]\ndays = 99999999999', "days must be a whole number"),
    "days zero": ("[validity]\nsecc = 0", "[validity] secc must be a whole number of days from 1 to 365"),
    "country": ('country = "Germany"', "country 'Germany' must be a 2-letter"),
    "empty cn": ('cas = ["v2g-root"]\n[ca.v2g-root]\ncn = ""', "cn must have 1..64 characters"),
    "public url": ("public_url = 5", "public_url must be an http:// or https:// URL"),
    "public url scheme": ('public_url = "ftp://pki.example"', "an http:// or https:// URL with a host is required"),
    "unknown ca key": ('cas = ["v2g-root"]\n[ca.v2g-root]\nbogus = 1', "unknown keys ['bogus']"),
    "crl flag": ('cas = ["v2g-root"]\n[ca.v2g-root]\ncrl_distribution = "no"', "crl_distribution must be true"),
    "not toml": ("cas = [", "pki.toml"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_values_are_refused_before_anything_is_created(tmp_path: Path, case: str) -> None:
    text, message = BAD_CONFIGS[case]
    (tmp_path / "pki.toml").write_text(text + "\n")
    c = Cli(tmp_path / "d")
    r = c("init", "--config", str(tmp_path / "pki.toml"))
    assert r.returncode == exit_codes.REFUSED, r.stderr
    assert message in r.stderr.decode() and b"Traceback" not in r.stderr
    assert not (tmp_path / "d").exists()


def test_unreadable_config_is_a_usage_error(tmp_path: Path) -> None:
    r = Cli(tmp_path / "d")("init", "--config", str(tmp_path / "missing.toml"))
    assert r.returncode == exit_codes.USAGE and b"cannot read" in r.stderr
    assert not (tmp_path / "d").exists()


def test_a_missing_data_directory_is_reported_not_created(tmp_path: Path) -> None:
    c = Cli(tmp_path / "typo" / "data")
    for args in (("ca", "list"), ("cert", "list"), ("audit", "verify")):
        r = c(*args)
        assert r.returncode == exit_codes.STORE_UNAVAILABLE and b"not initialised" in r.stderr
    assert not (tmp_path / "typo").exists()


def test_a_closed_output_pipe_ends_quietly(cli: Cli) -> None:
    proc = subprocess.Popen([*PNC, "audit", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written (`pnc audit list | head -0`)
    with proc.stderr:
        stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == exit_codes.FAILURE
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr, stderr


def test_a_bad_public_url_never_reaches_a_certificate(cli: Cli, tmp_path: Path) -> None:
    before = cli.state()
    csr = _write(tmp_path, "x.csr", csr_pem(make_csr("DE*ICE*E45B*78C")))
    for url in ("not a url", "http://", "https://pki.example/a b"):
        r = cli("cert", "issue", "--profile", "secc", "--csr", csr, env={"PNC_PUBLIC_URL": url})
        assert r.returncode == exit_codes.REFUSED and b"PNC_PUBLIC_URL" in r.stderr, (url, r.stderr)
    assert cli.state() == before


def test_init_where_the_data_directory_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    r = Cli(tmp_path / "file" / "data")("init")
    assert r.returncode == exit_codes.STORE_UNAVAILABLE and b"cannot create the data directory" in r.stderr
    assert b"Traceback" not in r.stderr


def test_audit_verify_exits_8_on_a_tampered_log(tmp_path: Path) -> None:
    import sqlite3

    c = Cli(tmp_path / "d")
    assert c("init").returncode == 0
    db = sqlite3.connect(tmp_path / "d" / "pnc.sqlite3", isolation_level=None)
    try:  # what someone with write access to the file could do
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    finally:
        db.close()
    r = c("audit", "verify")
    assert r.returncode == exit_codes.INTEGRITY and b"entry 3 (" in r.stderr and b"was altered" in r.stderr
