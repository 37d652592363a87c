"""Serial numbers: 159 random bits, at least 64 significant, never repeated, and never shared with a forked child."""

from __future__ import annotations

import os

from pki.authority import new_serial


def test_serials_fit_rfc5280_and_are_long_enough() -> None:
    draws = [new_serial() for _ in range(2000)]  # several pool refills
    assert all(64 <= serial.bit_length() <= 159 for serial in draws)
    assert len(set(draws)) == len(draws)
    assert max(draws).bit_length() == 159  # the top bit is used: all 159 bits are random


def test_a_forked_child_does_not_reuse_the_parents_pool() -> None:
    new_serial()  # the pool now holds draws the child would inherit
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next draw and leave at once
        os.close(read)
        os.write(write, new_serial().to_bytes(20, "big"))
        os._exit(0)
    os.close(write)
    child = int.from_bytes(os.read(read, 20), "big")
    os.close(read)
    os.waitpid(pid, 0)
    parent_next = [new_serial() for _ in range(64)]
    assert child not in parent_next
