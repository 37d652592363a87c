"""Set up the independent EXI peer used by the cross-check tests and the EXI benchmark.

Run from the repository root (``make test`` does): ``.venv/bin/python tests/peers/setup_peers.py``.

The peer is the EXIficient 1.55 codec (``EXICodec.jar``) shipped inside SwitchEV's ``iso15118`` wheel
on PyPI, driven through py4j.  The ``iso15118`` package pins old pydantic/cryptography, so we never
install it: a separate virtualenv ``.venv-peer`` gets only ``py4j``, and the jar is extracted from the
wheel fetched with ``pip download --no-deps``.  The jar is never committed (its bundled licences are
its own; it is a test-only tool).

Idempotent: when ``.venv-peer/.peer-ready`` names the jar we have, it exits at once.  Without Java it
prints why and exits 0 (the Java-marked tests then skip with the same reason).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["PEER_VENV", "JAR", "WHEEL_SPEC", "main", "peer_python", "java_reason", "ready"]

ROOT = Path(__file__).resolve().parents[2]
PEER_VENV = ROOT / ".venv-peer"
JAR = PEER_VENV / "EXICodec.jar"
STAMP = PEER_VENV / ".peer-ready"
WHEEL_SPEC = "iso15118==0.31.2"
JAR_MEMBER = "iso15118/shared/EXICodec.jar"
# Fingerprint of the jar in iso15118 0.31.2 (12,867,023 bytes); a different jar only warns.
JAR_SHA256 = "fa12153a7aa2f625d424d1a3794a5c81e83747ae3ddb6fe1963569840ad126bc"


def peer_python() -> Path:
    return PEER_VENV / "bin" / "python"


def java_reason() -> str | None:
    """Why Java cannot be used, or None when `java -version` works."""
    java = shutil.which("java")
    if java is None:
        return "java not found on PATH (install a JRE >= 11 to run the EXIficient cross-check)"
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java -version failed: {exc}"
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ready() -> bool:
    """True when the peer venv, py4j and the jar are in place (cheap: no subprocess)."""
    if not (STAMP.is_file() and JAR.is_file() and peer_python().exists()):
        return False
    return STAMP.read_text().strip() == f"{JAR.stat().st_size}"


def _run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, timeout=600)


def _make_venv() -> None:
    py = peer_python()
    if not py.exists():
        _run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)])
    probe = subprocess.run([str(py), "-c", "import py4j"], capture_output=True)
    if probe.returncode != 0:
        _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "py4j"])


def _fetch_jar() -> None:
    with tempfile.TemporaryDirectory(prefix="peer-wheel-") as tmp:
        _run([str(peer_python()), "-m", "pip", "download", "-q", "--disable-pip-version-check",
              "--no-deps", "--only-binary=:all:", "-d", tmp, WHEEL_SPEC])
        wheels = sorted(Path(tmp).glob("iso15118-*.whl"))
        if not wheels:
            raise RuntimeError(f"pip download {WHEEL_SPEC} produced no wheel")
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(JAR_MEMBER) as src:
            part = JAR.with_suffix(".part")
            with part.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            part.replace(JAR)
    digest = _sha256(JAR)
    if digest != JAR_SHA256:
        print(f"warning: EXICodec.jar sha256 {digest} differs from the known 0.31.2 jar", flush=True)


def main() -> int:
    reason = java_reason()
    if reason is not None:
        print(f"setup_peers: skipped: {reason}")
        return 0
    if ready():
        print(f"setup_peers: EXIficient peer ready ({JAR.relative_to(ROOT)})")
        return 0
    try:
        _make_venv()
        if not JAR.is_file():
            _fetch_jar()
        STAMP.write_text(f"{JAR.stat().st_size}\n")
    except (OSError, subprocess.SubprocessError, RuntimeError, KeyError, zipfile.BadZipFile) as exc:
        print(f"setup_peers: failed: {exc!r} (Java cross-check tests will skip)")
        return 1
    print(f"setup_peers: EXIficient peer installed ({JAR.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
