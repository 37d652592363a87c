from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from tests.pki.lint_builders import Chain, make_chain


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


# -- the lint tests' chains (tests/pki/lint_builders.py) --------------------------------------------------

@pytest.fixture
def v2g() -> Chain:
    """A fresh V2G root and CPO Sub-CA 2 per test: a new issuer key id, so no memo entry is shared between tests."""
    return make_chain("v2g-root", "cpo-sub2", "Test CPO", "V2G")


@pytest.fixture
def cso() -> Chain:
    return make_chain("cso-root", "cso-sub", "Test CSO", None)


@pytest.fixture(scope="module")
def rsa_keys() -> dict[int, rsa.RSAPrivateKey]:
    return {size: rsa.generate_private_key(public_exponent=65537, key_size=size) for size in (1024, 2048)}
