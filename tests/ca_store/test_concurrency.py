"""Two real OS processes issuing into one store at once: nothing lost, no serial shared, one audit chain."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from ca_store import SqlStore
from pki.audit import verify_chain

from .records import certificate, event, seed_ca

PER_WORKER = 200
REPO = Path(__file__).resolve().parents[2]


def test_two_processes_issue_concurrently(store: SqlStore, tmp_path: Path) -> None:
    with store.transaction() as tx:
        seed_ca(tx)  # (writes no audit entry)
    go = tmp_path / "go"
    url = store.target.display  # no password in these test URLs
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.ca_store.worker", url, tag, str(PER_WORKER), str(go)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for tag in ("worker-a", "worker-b")
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line.strip() == "ready", worker.stderr.read() if worker.stderr else line
        go.touch()
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    written = [{int(s, 16) for s in out.split()} for out, _ in outputs]
    assert [len(w) for w in written] == [PER_WORKER, PER_WORKER]
    assert not written[0] & written[1]

    stored = store.list_certificates(profile="secc")
    assert {c.serial for c in stored} == written[0] | written[1]  # all 400 present
    assert len(stored) == 2 * PER_WORKER
    entries = list(store.audit_entries())
    assert verify_chain(entries) == 2 * PER_WORKER
    actors = [e.event.actor for e in entries]
    assert actors.count("worker-a") == actors.count("worker-b") == PER_WORKER
    for tag in ("worker-a", "worker-b"):  # each worker's entries in its own commit order
        assert [e.event.details["n"] for e in entries if e.event.actor == tag] == [str(i) for i in range(PER_WORKER)]
    # How often the writers took turns (SQLite's busy handler lets a waiting writer sleep, so fewer turns).
    switches = sum(1 for a, b in zip(actors, actors[1:], strict=False) if a != b)
    print(f"{store.dialect}: the two workers' entries interleave {switches} times")



def test_threads_share_one_store(store: SqlStore) -> None:
    """API workers are threads: connections move between them through the store's idle list."""
    with store.transaction() as tx:
        seed_ca(tx)
    errors: list[BaseException] = []

    def issue(tag: str) -> None:
        try:
            for _ in range(25):
                cert = certificate(requester=tag)
                with store.transaction() as tx:
                    tx.add_certificate(cert)
                    tx.audit(event(target=f"cert:{cert.serial:x}"))
                assert store.get_certificate(cert.serial) == cert
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.list_certificates(profile="secc")) == 150
    assert verify_chain(store.audit_entries()) == 150
