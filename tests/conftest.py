"""Suite-wide fixtures: a fully initialised PKI on a real SQLite file.

``pki_services`` is per test (fresh store, ~1 s to build); ``shared_pki`` is one per test session for
read-mostly tests. Both return ``ca_store.services.Services`` (store, keys, authority, ra, clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

PASSPHRASE = b"correct horse battery staple"


def _build(directory: Path):  # type: ignore[no-untyped-def]
    from ca_store import sqlite_url
    from ca_store.services import initialize

    return initialize(sqlite_url(directory), passphrase=PASSPHRASE)


@pytest.fixture
def pki_services(tmp_path: Path):  # type: ignore[no-untyped-def]
    return _build(tmp_path / "pki")


@pytest.fixture(scope="session")
def shared_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    yield _build(tmp_path_factory.mktemp("shared-pki"))
