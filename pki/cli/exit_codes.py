"""Exit codes of `pnc`, documented in README.md. Stable: scripts rely on them."""

from __future__ import annotations

__all__ = [
    "OK",
    "FAILURE",
    "USAGE",
    "NOT_FOUND",
    "REFUSED",
    "STORE_UNAVAILABLE",
    "BAD_PASSPHRASE",
    "ALREADY_EXISTS",
    "INTEGRITY",
]

OK = 0  # success
FAILURE = 1  # an unexpected error (details in the message)
USAGE = 2  # bad command line (argparse) or unreadable input file
NOT_FOUND = 3  # no such CA, certificate, contract, ...
REFUSED = 4  # the request was understood and refused by policy/lint/validation (bad CSR, identifier, ...)
STORE_UNAVAILABLE = 5  # the database cannot be reached or is not initialised
BAD_PASSPHRASE = 6  # the CA key passphrase is missing or wrong
ALREADY_EXISTS = 7  # init on an initialised store, duplicate names
INTEGRITY = 8  # audit log verification failed
