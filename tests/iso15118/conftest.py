"""Fixtures for the ISO 15118 tests: the EXIficient peer (tests/peers) for cross-checks."""

from __future__ import annotations

import pytest

from tests.peers import exificient


@pytest.fixture(scope="session")
def exificient_peer() -> exificient.ExificientPeer:
    """The EXIficient jar through py4j, one JVM per test process.

    Skips only where Java or the peer set-up (``tests/peers/setup_peers.py``) is absent; a peer that is
    set up but fails to start is an error, not a skip.
    """
    why = exificient.reason()
    if why is not None:
        pytest.skip(why)
    return exificient.peer()
