"""The public ISO 15118-2 EXI golden vectors (tests/vectors/exi/public.json; provenance in its README.md),
read once per test process and shared by the codec, CLI, message and XMLDSig tests.

``VECTORS`` is the shared list (for parametrisation: do not mutate its entries); ``vector(name)`` and
``vectors(grammar)`` return deep copies a test may change.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from cryptography import x509

__all__ = ["VECTOR_FILE", "VECTORS", "vector", "vectors", "exi", "risev2g_cert"]

VECTOR_FILE = Path(__file__).resolve().parents[1] / "vectors" / "exi" / "public.json"
_CORPUS: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = _CORPUS["vectors"]
_BY_NAME: dict[str, dict[str, Any]] = {v["name"]: v for v in VECTORS}


def vector(name: str) -> dict[str, Any]:
    """The entry ``name`` (``grammar``, ``hex``, ``json``, ...); a deep copy."""
    return copy.deepcopy(_BY_NAME[name])


def vectors(grammar: str) -> list[dict[str, Any]]:
    """Every entry of one grammar (``iso2``, ``iso2-fragment``, ...), in file order; deep copies."""
    return [copy.deepcopy(v) for v in VECTORS if v["grammar"] == grammar]


def exi(name: str) -> bytes:
    """The EXI stream of the entry ``name``."""
    return bytes.fromhex(_BY_NAME[name]["hex"])


def risev2g_cert(name: str) -> x509.Certificate:
    """A certificate of the RISE-V2G test PKI shipped with the vectors (``cpsLeafCert``, ``contractCert``, ...)."""
    pem: str = _CORPUS["certificates"]["risev2g"]["pem"][name]
    return x509.load_pem_x509_certificate(pem.encode("ascii"))
