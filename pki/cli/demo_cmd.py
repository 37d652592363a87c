"""`pnc demo`: a full Plug & Charge run on the embedded default, as the parties would do it.

1. Operator: ``pnc init`` builds the whole PKI in a fresh SQLite store; ``pnc client add`` creates a CSMS, an
   MO and an operator client; ``pnc serve`` starts the API and OCSP responder in one process.
2. CSMS: OAuth2 token, EST ``simpleenroll`` of the SECC certificate of a charging station and OCPP-shaped
   SignCertificate of its ChargingStationCertificate; OpenSSL verifies both chains.
3. OEM + MO: the vehicle's OEM provisioning certificate (PCID); the MO registers the contract (eMAID).
4. EV → station → CSMS → us: a signed EXI CertificateInstallationReq, answered through
   ``/v1/ocpp/get-15118-ev-certificate``; the EV side decrypts its contract key and checks it.
5. OCSP (``openssl ocsp`` as the client): good; the operator revokes; the very next answer is revoked.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pki.cli import exit_codes

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run a full Plug & Charge demo on a fresh embedded store")
    p.add_argument("--dir", type=Path, help="working directory (default: a new temporary directory)")
    p.add_argument("--port", type=int, default=0, help="port for `pnc serve` (default: a free one)")
    p.set_defaults(func=run)


class _Demo:
    def __init__(self, workdir: Path, port: int) -> None:
        self.dir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "PNC_DATA_DIR": str(workdir / "data"), "PNC_PASSPHRASE": "demo-passphrase",
                    "PNC_PUBLIC_URL": self.url}
        self.env.pop("PNC_DB_URL", None)
        self.started = time.perf_counter()

    def say(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.2f}s] {text}", flush=True)

    def pnc(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "pki.cli.main", *args], env=self.env, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pnc {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def write(self, name: str, data: bytes | str) -> str:
        path = self.dir / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    def openssl(self, *args: str) -> str:
        done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
        return (done.stdout + done.stderr).strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _csr(cn: str, org: str | None = None) -> tuple[Any, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs)).sign(key, hashes.SHA256())
    return key, csr.public_bytes(Encoding.DER)


def _wait_for(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pnc serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("pnc serve did not come up within 60 s")


def run(args: argparse.Namespace) -> int:
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="pnc-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    demo = _Demo(workdir, args.port or _free_port())
    server: subprocess.Popen[bytes] | None = None
    try:
        server = _operator(demo)
        _wait_for(demo.url, server)
        demo.say(f"pnc serve is up at {demo.url} (HTTP API + OCSP responder in one process)")
        _plug_and_charge(demo)
    except Exception as exc:  # noqa: BLE001 - the demo reports and fails
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr)
        return exit_codes.FAILURE
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    demo.say(f"done; everything is in {workdir}")
    return exit_codes.OK


def _operator(demo: _Demo) -> subprocess.Popen[bytes]:
    print(f"== 1. Operator: a fresh embedded store in {demo.dir}")
    demo.say(demo.pnc("init").strip())
    for line in demo.pnc("ca", "list").splitlines():
        print("           " + line)
    clients = {}
    for name, extra in (("csms", ["--role", "csms", "--evse-operator-id", "DE*PNC", "--organization", "PNC"]),
                        ("mo", ["--role", "mo"]), ("operator", ["--role", "operator"])):
        clients[name] = json.loads(demo.pnc("client", "add", f"demo-{name}", *extra, "--json"))
    demo.say("clients: CSMS (EVSE operator DE*PNC, CSO 'PNC'), MO, operator (ids and secrets shown once)")
    (demo.dir / "clients.json").write_text(json.dumps(clients, indent=2))
    return subprocess.Popen([sys.executable, "-m", "pki.cli.main", "serve", "--port", str(demo.port)],
                            env=demo.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _token(client: Any, demo: _Demo, name: str) -> dict[str, str]:
    creds = json.loads((demo.dir / "clients.json").read_text())[name]
    r = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": creds["client_id"],
                                          "client_secret": creds["client_secret"]})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _plug_and_charge(demo: _Demo) -> None:
    import httpx
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    from iso15118.contract.testing import Vehicle, installation_request, received_contract
    from pki.identifiers import emaid_check_digit

    with httpx.Client(base_url=demo.url, timeout=30) as http:
        print("\n== 2. CSMS: station certificates")
        csms = _token(http, demo, "csms")
        _, secc_csr = _csr("DE*PNC*E0001*1", "PNC")
        t = time.perf_counter()
        r = http.post("/.well-known/est/simpleenroll", headers={**csms, "Content-Type": "application/pkcs10"},
                      content=base64.encodebytes(secc_csr))
        r.raise_for_status()
        p7 = demo.write("secc.p7", b"-----BEGIN PKCS7-----\n" + r.content.strip() + b"\n-----END PKCS7-----\n")
        secc_pem = demo.write("secc.pem", demo.openssl("pkcs7", "-in", p7, "-print_certs"))
        chain = demo.write("cpo-chain.pem", demo.pnc("ca", "export", "cpo-sub2", "--chain"))
        v2g_root = demo.write("v2g-root.pem", demo.pnc("ca", "export", "v2g-root"))
        demo.say(f"EST simpleenroll -> SECC leaf in {1000 * (time.perf_counter() - t):.0f} ms; openssl verify: "
                 + demo.openssl("verify", "-CAfile", v2g_root, "-untrusted", chain, secc_pem).split(": ")[-1])
        _, cs_csr = _csr("CS-DEMO-0001", "PNC")
        r = http.post("/v1/ocpp/sign-certificate", headers=csms, json={
            "csr": x509.load_der_x509_csr(cs_csr).public_bytes(Encoding.PEM).decode(),
            "certificateType": "ChargingStationCertificate"})
        r.raise_for_status()
        station = x509.load_pem_x509_certificates(r.json()["certificateChain"].encode())
        demo.say(f"SignCertificate -> station certificate {station[0].subject.rfc4514_string()}")

        print("\n== 3. OEM and MO: the vehicle and its contract")
        ev_key = ec.generate_private_key(ec.SECP256R1())
        pcid = "WMIPNCDEMO0000001"
        csr_der = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, pcid)])).sign(ev_key, hashes.SHA256()
        ).public_bytes(Encoding.PEM)
        issued = json.loads(demo.pnc("cert", "issue", "--profile", "oem-provisioning", "--csr",
                                     demo.write("ev.csr", csr_der), "--json"))
        oem_cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
        subs = tuple(x509.load_pem_x509_certificates(issued["chain"].encode())[:-1])
        vehicle = Vehicle(pcid, ev_key, oem_cert, subs)
        demo.say(f"OEM provisioning certificate for PCID {pcid} (key stays in the car)")
        mo = _token(http, demo, "mo")
        emaid = "DEPNCC00000042" + emaid_check_digit("DEPNCC00000042")
        r = http.post("/v1/contracts", headers=mo, json={"emaid": emaid, "pcid": pcid})
        r.raise_for_status()
        demo.say(f"MO registered contract {emaid} for {pcid}")

        print("\n== 4. EV -> station -> CSMS -> pnc: CertificateInstallation")
        root = x509.load_pem_x509_certificate(Path(v2g_root).read_bytes())
        session_id = os.urandom(8)
        exi = installation_request(vehicle, [root], session_id=session_id)
        t = time.perf_counter()
        r = http.post("/v1/ocpp/get-15118-ev-certificate", headers=csms, json={
            "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "action": "Install",
            "exiRequest": base64.b64encode(exi).decode()})
        r.raise_for_status()
        answer = r.json()
        elapsed = 1000 * (time.perf_counter() - t)
        if answer["status"] != "Accepted":
            raise RuntimeError(f"Get15118EVCertificate: {answer}")
        res = base64.b64decode(answer["exiResponse"])
        demo.say(f"Get15118EVCertificate: {len(exi)} B EXI request -> {len(res)} B signed EXI response "
                 f"({len(answer['exiResponse'])} base64 chars) in {elapsed:.0f} ms")
        got = received_contract(res, ev_key)
        demo.say(f"EV decrypted its contract key; certificate CN={got.emaid}, key matches: "
                 f"{got.key.public_key() == got.certificate.public_key()}")
        contract_pem = demo.write("contract.pem", got.certificate.public_bytes(Encoding.PEM))
        mo_root = demo.write("mo-root.pem", demo.pnc("ca", "export", "mo-root"))
        mo_subs = demo.write("mo-subs.pem", b"".join(c.public_bytes(Encoding.PEM) for c in got.sub_cas))
        demo.say("openssl verify contract -> MO root: "
                 + demo.openssl("verify", "-CAfile", mo_root, "-untrusted", mo_subs, contract_pem).split(": ")[-1])

        print("\n== 5. OCSP: status of the contract certificate")
        issuer = demo.write("mo-sub2.pem", got.sub_cas[0].public_bytes(Encoding.PEM))
        mo_chain = demo.write("mo-chain.pem", demo.pnc("ca", "export", "mo-sub2", "--chain"))

        def ocsp() -> str:
            out = demo.openssl("ocsp", "-issuer", issuer, "-cert", contract_pem, "-url", demo.url + "/ocsp",
                               "-CAfile", mo_chain)
            return " ".join(line.strip() for line in out.splitlines() if "contract.pem" in line or "Reason" in line
                            or "verify" in line.lower())

        demo.say("openssl ocsp: " + ocsp())
        ops = _token(http, demo, "operator")
        serial = format(got.certificate.serial_number, "X")
        r = http.post(f"/v1/certificates/{serial}/revoke", headers=ops, json={"reason": "keyCompromise"})
        r.raise_for_status()
        demo.say(f"operator revoked {serial[:16]}... (keyCompromise)")
        demo.say("openssl ocsp: " + ocsp())
        verified = demo.pnc("audit", "verify").strip()
        demo.say(verified)
    _print_tree(demo)


def _print_tree(demo: _Demo) -> None:
    from ca_store import sqlite_url
    from ca_store.services import open_services
    from pki.cli.tree import render_tree

    print("\n== The store now holds")
    svc = open_services(sqlite_url(demo.dir / "data"), passphrase=None)
    ca_names = {c.serial: c.name for c in svc.store.list_cas()}
    for line in render_tree(svc.store.list_certificates(), ca_names):
        print("   " + line if line else "")
