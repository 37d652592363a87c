from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding


def openssl_verify(
    tmp: Path, leaf: x509.Certificate, chain: list[x509.Certificate]
) -> subprocess.CompletedProcess[str]:
    """`openssl verify -CAfile ROOT -untrusted SUBS LEAF` with ``chain`` = issuing CA first, root last."""
    root, subs = chain[-1], chain[:-1]
    (tmp / "root.pem").write_bytes(root.public_bytes(Encoding.PEM))
    (tmp / "leaf.pem").write_bytes(leaf.public_bytes(Encoding.PEM))
    args = ["openssl", "verify", "-x509_strict", "-CAfile", str(tmp / "root.pem")]
    if subs:
        (tmp / "subs.pem").write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in subs))
        args += ["-untrusted", str(tmp / "subs.pem")]
    return subprocess.run([*args, str(tmp / "leaf.pem")], capture_output=True, text=True, check=False)
