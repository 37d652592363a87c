"""The README's main job: `pnc demo` runs the whole Plug & Charge flow and every step checks out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_pnc_demo_runs_end_to_end(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pki.cli.main", "demo", "--dir", str(tmp_path / "demo")],
                          capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "EST simpleenroll -> SECC leaf" in out and "openssl verify: OK" in out
    assert "SignCertificate -> station certificate C=DE,O=PNC,CN=CS-DEMO-0001" in out
    assert "key matches: True" in out
    assert "openssl verify contract -> MO root: OK" in out
    assert "contract.pem: good" in out and "revoked Reason: keyCompromise" in out
    assert out.count("Response verify OK") == 2
    assert "audit log OK" in out
    assert "REVOKED (keyCompromise)" in out
