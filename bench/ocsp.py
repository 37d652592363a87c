"""OCSP responder throughput against `openssl ocsp -index ... -port` on loopback, same load generator, same run.

Scenarios (one responder process each, the load generator in its own process):
  (a) pre-signed: POST and GET of a no-nonce request (our hot path serves stored bytes)
  (b) nonce: POST with a fresh random nonce per request (both sides sign live)
Targets (issue 4): (a) >= 1.5x the OpenSSL responder, (b) >= 0.5x.

Load generator: an asyncio (uvloop) client in its own process, the same code against both servers.
`openssl ocsp` answers HTTP/1.0 and hangs on persistent connections, so it always gets a new connection per
request; ours is measured with HTTP/1.1 keep-alive (the judged ratio) and with a new connection per request.
Run: .venv/bin/python bench/ocsp.py [--seconds 3] [--rounds 2] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # this file is named ocsp.py: never let it shadow the ocsp package

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509 import ocsp as x_ocsp  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

PASSPHRASE = "bench-ocsp-passphrase"
TARGETS = {"presigned": 1.5, "nonce": 0.5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, probe: bytes, path: str, timeout: float = 30) -> None:
    """Wait until a real OCSP request is answered (a bare connect-and-close probe would wedge the
    single-threaded OpenSSL responder, which then waits on the dead connection)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            check(port, probe, path)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no OCSP responder on port {port}") from None
            time.sleep(0.1)


# -- the PKI and the two responders -------------------------------------------------------------------------
def build_pki(directory: Path, leaves: int) -> dict[str, object]:
    from ca_store import sqlite_url
    from ca_store.services import initialize
    from pki.model import RevocationReason
    from pki.profiles import get_profile

    svc = initialize(sqlite_url(directory / "db"), passphrase=PASSPHRASE.encode())
    issued = []
    for i in range(leaves):
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"DE*BEN*E{i:05d}")])).sign(key, hashes.SHA256())
        issued.append(svc.ra.issue_from_csr(csr.public_bytes(serialization.Encoding.PEM), "secc", requester="bench"))
    for leaf in issued[::10]:
        svc.ra.revoke(leaf.record.serial, RevocationReason.KEY_COMPROMISE, requester="bench")
    # OpenSSL's responder gets its own delegated responder certificate of the same profile and key type
    rkey = ec.generate_private_key(ec.SECP256R1())
    responder = svc.authority.issue(profile=get_profile("ocsp-responder"), public_key=rkey.public_key(),
                                    subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openssl responder")]),
                                    issuer="cpo-sub2", requester="bench")
    issuer = issued[0].chain[0]
    pem = serialization.Encoding.PEM
    (directory / "issuer.pem").write_bytes(issuer.public_bytes(pem))
    (directory / "rsigner.pem").write_bytes(responder.certificate.public_bytes(pem))
    (directory / "rkey.pem").write_bytes(rkey.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
    lines = []
    for rec in svc.store.list_certificates(issuer="cpo-sub2"):
        expiry = rec.not_after.strftime("%y%m%d%H%M%SZ")
        revoked = ""
        if rec.revoked_at is not None:
            revoked = rec.revoked_at.strftime("%y%m%d%H%M%SZ") + ",keyCompromise"
        subject = "/" + "/".join(a.rfc4514_string() for a in rec.certificate.subject)
        lines.append(f"{'R' if revoked else 'V'}\t{expiry}\t{revoked}\t{rec.serial:X}\tunknown\t{subject}\n")
    (directory / "index.txt").write_text("".join(lines))
    good = issued[1]
    return {"db": sqlite_url(directory / "db"), "cert": good.certificate, "issuer": issuer}


def serve_pnc(db_url: str, port: int) -> None:  # runs in a child process
    import logging

    import uvicorn

    from ca_store.services import open_services
    from ocsp.app import create_app

    logging.disable(logging.WARNING)
    app = create_app(open_services(db_url, passphrase=PASSPHRASE.encode()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, http="httptools",
                loop="uvloop" if _has("uvloop") else "asyncio", lifespan="on")


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def pnc_server(db_url: str, probe: bytes) -> Iterator[int]:
    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(target=serve_pnc, args=(db_url, port), daemon=True)
    proc.start()
    try:
        wait_ready(port, probe, "/ocsp")
        yield port
    finally:
        proc.terminate()
        proc.join(10)


@contextlib.contextmanager
def openssl_server(directory: Path, probe: bytes) -> Iterator[int]:
    port = free_port()
    cmd = ["openssl", "ocsp", "-index", str(directory / "index.txt"), "-port", str(port),
           "-CA", str(directory / "issuer.pem"), "-rsigner", str(directory / "rsigner.pem"),
           "-rkey", str(directory / "rkey.pem"), "-ndays", "4", "-ignore_err"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, probe, "/")
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


# -- requests and load generation ---------------------------------------------------------------------------
def requests_for(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bytes, bytes]:
    """(no-nonce request, nonce request whose last 16 bytes are the nonce)."""
    builder = x_ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
    plain = builder.build().public_bytes(serialization.Encoding.DER)
    nonce = builder.add_extension(x509.OCSPNonce(b"\x00" * 16), critical=False).build()
    return plain, nonce.public_bytes(serialization.Encoding.DER)


def check(port: int, body: bytes, path: str = "/ocsp") -> None:
    import httpx

    response = httpx.post(f"http://127.0.0.1:{port}{path}", content=body,
                          headers={"content-type": "application/ocsp-request"}, timeout=10)
    parsed = x_ocsp.load_der_ocsp_response(response.content)
    if parsed.certificate_status is not x_ocsp.OCSPCertStatus.GOOD:
        raise RuntimeError(f"unexpected answer from port {port}: {parsed.certificate_status}")


class _Conn(asyncio.Protocol):
    """One client connection: send a request, read the response (Content-Length framed), repeat; with
    ``keepalive`` False every request gets a new TCP connection (``Connection: close``)."""

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.transport.write(self.gen.request())

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        match = re.search(rb"(?i)content-length:\s*(\d+)", self.buf[:end])
        if match is None or len(self.buf) < end + 4 + int(match.group(1)):
            return
        if not self.buf.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            self.gen.errors += 1
        self.gen.done += 1
        self.buf.clear()
        if time.monotonic() >= self.gen.deadline:
            assert self.transport is not None
            self.transport.close()
        elif self.gen.keepalive:
            self.send()
        else:
            assert self.transport is not None
            self.transport.close()
            self.gen.reconnect()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.buf and time.monotonic() < self.gen.deadline:
            self.gen.errors += 1


class _Generator:
    def __init__(self, port: int, head: bytes, body: bytes | None, nonce: bool, keepalive: bool) -> None:
        self.port, self.head, self.body, self.nonce, self.keepalive = port, head, body, nonce, keepalive
        self.done = self.errors = 0
        self.deadline = 0.0
        self.loop = asyncio.get_running_loop()
        self.pending: set[asyncio.Task[object]] = set()

    def request(self) -> bytes:
        if self.body is None:
            return self.head
        if self.nonce:  # a fresh nonce per request: nothing can be cached
            return self.head + self.body[:-16] + os.urandom(16)
        return self.head + self.body

    def reconnect(self) -> None:
        task: asyncio.Task[object] = self.loop.create_task(
            self.loop.create_connection(lambda: _Conn(self), "127.0.0.1", self.port))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)


def _generate(port: int, path: str, body: bytes | None, nonce: bool, keepalive: bool, seconds: float,
              connections: int, queue: Any) -> None:  # runs in its own process
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    close = b"" if keepalive else b"Connection: close\r\n"
    if body is None:
        head = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path.encode(), close)
    else:
        head = (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n%s"
                b"Content-Length: %d\r\n\r\n" % (path.encode(), close, len(body)))

    async def run() -> tuple[float, int]:
        gen = _Generator(port, head, body, nonce, keepalive)
        gen.deadline = time.monotonic() + seconds
        start = time.monotonic()
        for _ in range(connections):
            gen.reconnect()
        await asyncio.sleep(seconds)
        rate = gen.done / (time.monotonic() - start)
        await asyncio.sleep(0.2)
        return rate, gen.errors

    queue.put(asyncio.run(run()))


def measure(port: int, path: str, body: bytes | None, nonce: bool, keepalive: bool, args: argparse.Namespace) -> float:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_generate,
                       args=(port, path, body, nonce, keepalive, args.seconds, args.connections, queue))
    proc.start()
    rate, errors = queue.get(timeout=args.seconds + 60)
    proc.join()
    if errors:
        raise RuntimeError(f"{errors} failed requests against port {port}")
    return float(rate)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--leaves", type=int, default=200)
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        print("bench/ocsp.py: openssl CLI not found; nothing to compare against", file=sys.stderr)
        return 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pnc-ocsp-bench-") as tmp:
        work = Path(tmp)
        pki = build_pki(work, args.leaves)
        plain, with_nonce = requests_for(pki["cert"], pki["issuer"])  # type: ignore[arg-type]
        get_path = "/ocsp/" + quote(base64.b64encode(plain).decode(), safe="")
        # name, target kind, our path, OpenSSL's path, body (None = GET), fresh nonce per request
        scenarios = [
            ("pre-signed POST", "presigned", "/ocsp", "/", plain, False),
            ("pre-signed GET", "presigned", get_path, get_path[len("/ocsp"):], None, False),
            ("nonce POST (live signing)", "nonce", "/ocsp", "/", with_nonce, True),
        ]
        theirs: dict[str, float] = {}
        mine: dict[str, tuple[float, float]] = {}
        with pnc_server(str(pki["db"]), plain) as pnc_port:
            time.sleep(1.0)  # let the start-up pre-signing cycle finish
            for _round in range(args.rounds):  # interleaved, best of each: the machine may be shared
                for name, _, path, o_path, body, nonce in scenarios:
                    # a fresh OpenSSL responder per run: it can wedge on a connection left open at the end
                    with openssl_server(work, plain) as port:
                        theirs[name] = max(theirs.get(name, 0.0), measure(port, o_path, body, nonce, False, args))
                    kept = measure(pnc_port, path, body, nonce, True, args)
                    fresh = measure(pnc_port, path, body, nonce, False, args)
                    best = mine.get(name, (0.0, 0.0))
                    mine[name] = (max(best[0], kept), max(best[1], fresh))
    print(f"OCSP responder throughput, {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} CPUs, one responder "
          f"process each, one load generator ({args.connections} connections, {args.seconds:.0f} s per run, "
          f"best of {args.rounds} interleaved rounds).")
    print("openssl ocsp speaks HTTP/1.0 and hangs on persistent connections: it gets a new connection per request;")
    print("ours is measured with HTTP/1.1 keep-alive (judged) and with a new connection per request.")
    print(f"{'scenario':27} {'openssl':>8} {'pnc keep-alive':>14} {'ratio':>6} {'target':>7}   "
          f"{'pnc new-conn':>12} {'ratio':>6}")
    ok = True
    for name, kind, *_ in scenarios:
        ref, (kept, fresh) = theirs[name], mine[name]
        target = TARGETS[kind]
        ok &= kept / ref >= target
        verdict = "ok  " if kept / ref >= target else "MISS"
        print(f"{name:27} {ref:8.0f} {kept:14.0f} {kept / ref:5.2f}x {target:5.1f}x {verdict}"
              f" {fresh:12.0f} {fresh / ref:5.2f}x")
    print(f"(total {time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
