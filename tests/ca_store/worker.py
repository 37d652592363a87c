"""A separate OS process that issues certificates into a store: ``python -m tests.ca_store.worker URL TAG N GO``.

Prints ``ready`` once connected, waits until the file GO exists (so both workers start together), then
commits N transactions of one certificate plus its audit entry, and prints the serials it wrote.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ca_store import open_store
from pki.model import AuditEvent

from .records import NOW, certificate


def main(url: str, tag: str, count: int, go: Path) -> None:
    store = open_store(url)
    store.get_ca("root")  # connect (and fail) before reporting ready
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.001)
    serials = []
    for i in range(count):
        cert = certificate(requester=tag)
        with store.transaction() as tx:
            tx.add_certificate(cert)
            tx.audit(AuditEvent("cert.issue", f"cert:{cert.serial:x}", tag, NOW, {"n": str(i)}))
        serials.append(cert.serial)
    store.close()
    print(" ".join(f"{s:x}" for s in serials), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
