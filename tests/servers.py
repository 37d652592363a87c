"""Real HTTP servers for tests: uvicorn on a loopback port, in a thread or as a child process.

    with serve_in_thread(app) as url: ...                         # this process, lifespan on
    with serve_command([python, "-m", "pki.cli.main", "serve", "--port", str(port)], port, env) as server:
        server.url, server.stop()                                 # any server command; stop() = exit code
    with serve_in_process("tests.ocsp.serve_factory:app", env) as url: ...   # uvicorn --factory
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn

__all__ = ["REPO", "free_port", "serve_in_thread", "ServerProcess", "serve_command", "serve_in_process"]

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """Run ``app`` with uvicorn (httptools, lifespan on) in a daemon thread; yields the base URL. The socket is
    bound here (port 0 unless ``port`` is given), so no other process can take the port in between."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", lifespan="on", http="httptools", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen[bytes]
    _log: IO[bytes]

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> int:
        """SIGTERM (uvicorn shuts down gracefully, lifespan included); the exit code, or kill after 10 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


@contextlib.contextmanager
def serve_command(argv: Sequence[str], port: int, env: Mapping[str, str]) -> Iterator[ServerProcess]:
    """Start ``argv`` (a server listening on 127.0.0.1:``port``) and wait until it answers any HTTP request:
    uvicorn binds its socket only after the lifespan startup has completed."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(list(argv), cwd=REPO, env={**os.environ, **env}, stdout=log,
                                stderr=subprocess.STDOUT)
        server = ServerProcess(f"http://127.0.0.1:{port}", proc, log)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server process exited with {proc.returncode}: {server.output()}")
                with contextlib.suppress(httpx.TransportError):
                    httpx.get(server.url + "/", timeout=1)
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server process did not start: {server.output()}")
                time.sleep(0.1)
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def serve_in_process(factory: str, env: Mapping[str, str]) -> Iterator[str]:
    """``python -m uvicorn --factory <factory>`` as a child process (a separate responder process)."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning"]
    with serve_command(argv, port, env) as server:
        yield server.url
