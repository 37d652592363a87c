"""Client for the EXIficient peer (tests/peers/exificient_peer.py), used from the project's venv.

One peer subprocess (and so one JVM) per process, started on first use and stopped at exit.
``available()`` says whether the peer can run here; ``reason()`` says why not (for skip messages).
"""

from __future__ import annotations

import atexit
import functools
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.peers import setup_peers

__all__ = ["ExificientPeer", "PeerFailure", "available", "reason", "peer", "FRAGMENT_ROOTS"]

PEER_SCRIPT = Path(__file__).with_name("exificient_peer.py")
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "iso15118" / "schemas"
# ISO-2 fragment roots the jar encodes natively (see the module docstring of exificient_peer.py).
FRAGMENT_ROOTS = frozenset({
    "CertificateInstallationReq", "AuthorizationReq", "MeteringReceiptReq",
    "ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID",
    "SalesTariff",
})


class PeerFailure(Exception):
    """The jar refused or failed a request (its message is kept)."""


class ExificientPeer:
    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [str(setup_peers.peer_python()), str(PEER_SCRIPT), str(setup_peers.JAR), str(SCHEMA_DIR)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1)
        self._lock = threading.Lock()
        hello = self._read()
        if not hello.get("ready"):
            self.close()
            raise PeerFailure(f"peer did not start: {hello}")
        self.version: float = hello["version"]

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise PeerFailure(f"peer exited (rc={self._proc.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def request(self, req: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(req) + "\n")
            self._proc.stdin.flush()
            reply = self._read()
        if not reply.get("ok"):
            raise PeerFailure(str(reply.get("error")))
        return reply

    def encode(self, tree: dict[str, Any], grammar: str, grammars: str = "shipped") -> bytes:
        """Encode with the jar; ``grammars="xsd"`` swaps in grammars EXIficient builds from the XSDs."""
        req = {"op": "encode", "grammar": grammar, "json": tree, "grammars": grammars}
        return bytes.fromhex(self.request(req)["hex"])

    def decode(self, data: bytes, grammar: str, grammars: str = "shipped") -> Any:
        req = {"op": "decode", "grammar": grammar, "hex": data.hex(), "grammars": grammars}
        return self.request(req)["json"]

    def time_encode(self, tree: dict[str, Any], grammar: str, n: int) -> float:
        """Seconds per jar encode through py4j (dict -> JSON -> jar -> bytes), timed in the peer."""
        reply = self.request({"op": "time", "what": "encode", "grammar": grammar, "json": tree, "n": n})
        return float(reply["seconds_per_call"])

    def time_decode(self, data: bytes, grammar: str, n: int) -> float:
        reply = self.request({"op": "time", "what": "decode", "grammar": grammar, "hex": data.hex(), "n": n})
        return float(reply["seconds_per_call"])

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


_java_reason = functools.cache(setup_peers.java_reason)
_peer: ExificientPeer | None = None
_start_error: str | None = None
_start_lock = threading.Lock()


def reason() -> str | None:
    """Why the peer is unusable here, or None."""
    if _start_error is not None:
        return _start_error
    why = _java_reason()
    if why is not None:
        return why
    if not setup_peers.ready():
        return ("EXIficient peer not set up: run `.venv/bin/python tests/peers/setup_peers.py` "
                "(needs Java and PyPI access)")
    return None


def available() -> bool:
    return reason() is None


def peer() -> ExificientPeer:
    """The process-wide peer, started on first call; raises PeerFailure when it cannot run."""
    global _peer, _start_error
    with _start_lock:
        if _peer is None:
            why = reason()
            if why is not None:
                raise PeerFailure(why)
            try:
                _peer = ExificientPeer()
            except (OSError, PeerFailure, ValueError) as exc:
                _start_error = f"EXIficient peer failed to start: {exc}"
                raise PeerFailure(_start_error) from exc
            atexit.register(_peer.close)
        return _peer
