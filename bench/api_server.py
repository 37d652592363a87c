"""Shared by the HTTP benchmarks (http_enroll.py, contract.py): a fresh store with one CSMS client, ``pnc serve api``
in its own process (exactly as an operator runs it), and keep-alive clients that send a list of bodies.

    with tempfile.TemporaryDirectory() as tmp:
        bench = BenchStore.create(Path(tmp))                 # initialised store, client "bench" (csms, DE*ICE)
        with bench.api_server() as (base_url, token): ...    # child process, /health answered, token fetched
            elapsed, latencies = drive(base_url, {"Authorization": f"Bearer {token}"}, bodies, 4, post, ok)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

__all__ = ["ROOT", "PASSPHRASE", "BenchStore", "free_port", "drive", "drive_raw"]

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "bench passphrase, not a secret"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BenchStore:
    data_dir: Path
    services: Any  # ca_store.services.Services, opened in this process
    client: dict[str, Any]  # `pnc client add --json` output: client_id, client_secret, ...

    @classmethod
    def create(cls, directory: Path) -> BenchStore:
        from ca_store import sqlite_url
        from ca_store.services import initialize
        from pki.cli.main import main as pnc

        data_dir = directory / "pki"
        services = initialize(sqlite_url(data_dir), passphrase=PASSPHRASE.encode())
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            pnc(["--data-dir", str(data_dir), "client", "add", "bench", "--role", "csms",
                 "--evse-operator-id", "DE*ICE", "--json"])
        return cls(data_dir, services, json.loads(out.getvalue()))

    @contextlib.contextmanager
    def api_server(self) -> Iterator[tuple[str, str]]:
        """``pnc serve api`` on a free loopback port; yields (base URL, bearer token of the bench client)."""
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PNC_DATA_DIR": str(self.data_dir), "PNC_PASSPHRASE": PASSPHRASE}
        env.pop("PNC_DB_URL", None)
        server = subprocess.Popen([sys.executable, "-m", "pki.cli.main", "serve", "api", "--port", str(port)],
                                  env=env, cwd=ROOT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.1)
            token = httpx.post(f"{base_url}/oauth/token", json={
                "client_id": self.client["client_id"], "client_secret": self.client["client_secret"],
                "grant_type": "client_credentials"}).json()["access_token"]
            yield base_url, token
        finally:
            server.terminate()
            server.wait(timeout=10)


def _run(worker: Callable[[], None], concurrency: int, failures: list[str]) -> float:
    """Run ``worker`` in ``concurrency`` threads; elapsed seconds. Any failure recorded ends the benchmark."""
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return elapsed


def drive(base_url: str, headers: dict[str, str], bodies: Sequence[T], concurrency: int,
          send: Callable[[httpx.Client, T], httpx.Response],
          ok: Callable[[httpx.Response], bool]) -> tuple[float, list[float]]:
    """Send every body once, from ``concurrency`` keep-alive clients in threads; (elapsed seconds, latency of
    each request). Any response ``ok`` refuses ends the benchmark."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = list(bodies)

    def worker() -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                started = time.perf_counter()
                response = send(client, body)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not ok(response):
                        failures.append(f"{response.status_code} {response.text[:200]}")

    return _run(worker, concurrency, failures), latencies


def drive_raw(base_url: str, headers: dict[str, str], path: str, bodies: Sequence[bytes], concurrency: int) -> float:
    """POST every body once to ``path`` from ``concurrency`` keep-alive HTTP/1.1 connections in threads, written
    and read with plain sockets (a load generator that costs little next to the server it measures: httpx costs
    about 1 ms of CPU per request on this machine, more than the server's own work); elapsed seconds. Any answer
    other than 200 ends the benchmark."""
    host, port = base_url.removeprefix("http://").split(":")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    queue = list(bodies)
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        with socket.create_connection((host, int(port))) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending = b""
            while True:
                with lock:
                    if not queue or failures:
                        return
                    body = queue.pop()
                sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                             .encode() + body)
                while b"\r\n\r\n" not in pending:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("server closed the connection")
                    pending += chunk
                status_head, _, pending = pending.partition(b"\r\n\r\n")
                lines = status_head.split(b"\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in lines[1:]
                              if line.lower().startswith(b"content-length:"))
                while len(pending) < length:
                    pending += sock.recv(65536)
                answer, pending = pending[:length], pending[length:]
                if lines[0].split(b" ", 2)[1] != b"200":
                    with lock:
                        failures.append(f"{lines[0].decode()} {answer[:200]!r}")

    return _run(worker, concurrency, failures)
