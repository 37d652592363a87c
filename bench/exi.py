"""EXI encode/decode time per message kind: our pure-Python codec beside the EXIficient jar through py4j.

    .venv/bin/python bench/exi.py [--n N]

Kinds (issue 5): SessionSetupReq (EVerest vector, 21 B); a signed CertificateInstallationReq built from the
RISE-V2G test PKI's OEM provisioning certificate (Signature header with one Reference, two
RootCertificateIDs); the signed CertificateInstallationRes of the RISE-V2G signature test data (the largest
public full CertificateInstallationRes stream, 3.6 KB). Ours: ``iso15118.exi.encode/decode`` on the
JSON-convention tree, best of 3 rounds of N calls. Jar: the path SwitchEV's stack takes (tree -> JSON ->
``EXICodec.encode`` through py4j -> bytes; bytes -> ``decode`` -> JSON -> tree), timed inside the peer
process (tests/peers/exificient_peer.py, "time" op) in the same run. Ratio = jar time / our time;
target >= 20x for every kind. Without Java the jar column is skipped with the reason.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402

from iso15118.exi import Grammar, decode, encode  # noqa: E402
from tests.peers import exificient  # noqa: E402

__all__ = ["main"]

TARGET = 20.0
VECTORS = ROOT / "tests" / "vectors" / "exi" / "public.json"
C14N = "http://www.w3.org/TR/canonical-exi/"


def _vectors() -> dict[str, Any]:
    data = json.loads(VECTORS.read_text())
    return {"by_name": {v["name"]: v for v in data["vectors"]}, "pem": data["certificates"]["risev2g"]["pem"]}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _certificate_installation_req(pem: dict[str, str]) -> dict[str, Any]:
    """A signed CertificateInstallationReq as an EV sends it ([V2G2-782]; pnc-facts §2)."""
    oem = x509.load_pem_x509_certificate(pem["oemProvCert"].encode())
    roots = [x509.load_pem_x509_certificate(pem[k].encode()) for k in ("v2gRootCACert", "moSubCA1Cert")]
    signed_info = {
        "CanonicalizationMethod": {"Algorithm": C14N},
        "SignatureMethod": {"Algorithm": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
        "Reference": [{"URI": "#id1", "Transforms": {"Transform": [{"Algorithm": C14N}]},
                       "DigestMethod": {"Algorithm": "http://www.w3.org/2001/04/xmlenc#sha256"},
                       "DigestValue": _b64(bytes(range(32)))}],
    }
    return {"V2G_Message": {
        "Header": {"SessionID": "D3765E2A1842AF1B",
                   "Signature": {"SignedInfo": signed_info, "SignatureValue": {"value": _b64(bytes(64))}}},
        "Body": {"CertificateInstallationReq": {
            "Id": "id1",
            "OEMProvisioningCert": _b64(oem.public_bytes(Encoding.DER)),
            "ListOfRootCertificateIDs": {"RootCertificateID": [
                {"X509IssuerName": c.issuer.rfc4514_string(), "X509SerialNumber": c.serial_number}
                for c in roots]},
        }},
    }}


def _ours(op: str, tree: dict[str, Any], data: bytes) -> Callable[[], object]:
    if op == "encode":
        return lambda: encode(tree, Grammar.ISO2)
    return lambda: decode(data, Grammar.ISO2)


def _best(fn: Callable[[], object], n: int) -> float:
    """Best mean seconds per call over 3 rounds of n calls (the machine is shared)."""
    fn()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="calls per round for our codec")
    parser.add_argument("--jar-n", type=int, default=20, help="calls timed in the jar peer per kind/op")
    args = parser.parse_args(argv)

    vec = _vectors()
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("SessionSetupReq", vec["by_name"]["everest.SessionSetupReq"]["json"]),
        ("CertificateInstallationReq", _certificate_installation_req(vec["pem"])),
        ("CertificateInstallationRes", vec["by_name"]["risev2g.cert_install_res.document_derived"]["json"]),
    ]
    why = exificient.reason()
    peer = None
    if why is None:
        try:
            peer = exificient.peer()
        except exificient.PeerFailure as exc:
            why = str(exc)

    print(f"EXI codec: ours (pure Python) vs EXIficient {peer.version if peer else '-'} jar via py4j "
          f"(target jar/ours >= {TARGET:.0f}x)")
    if why:
        print(f"jar skipped: {why}")
    header = f"{'kind':28} {'bytes':>6} {'op':6} {'ours µs':>10} {'jar ms':>9} {'ratio':>8}  verdict"
    print(header)
    print("-" * len(header))
    worst = float("inf")
    for name, tree in kinds:
        data = encode(tree, Grammar.ISO2)
        assert decode(data, Grammar.ISO2) == tree, name
        if peer is not None:
            assert peer.encode(tree, "iso2") == data, f"{name}: jar bytes differ"
        for op in ("encode", "decode"):
            ours = _best(_ours(op, tree, data), args.n)
            if peer is None:
                print(f"{name:28} {len(data):6} {op:6} {ours * 1e6:10.1f} {'-':>9} {'-':>8}")
                continue
            if op == "encode":
                jar = peer.time_encode(tree, "iso2", args.jar_n)
            else:
                jar = peer.time_decode(data, "iso2", args.jar_n)
            ratio = jar / ours
            worst = min(worst, ratio)
            verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
            print(f"{name:28} {len(data):6} {op:6} {ours * 1e6:10.1f} {jar * 1e3:9.2f} {ratio:7.0f}x  {verdict}")
    if peer is not None:
        print(f"worst ratio {worst:.0f}x ({'meets' if worst >= TARGET else 'misses'} the {TARGET:.0f}x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
