"""Argument types and input files of CLI commands: what cannot be read or parsed is a usage error (exit 2,
README "Exit codes"), raised as ``UsageError`` and translated once in ``pki.cli.main``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pki.model import RevocationReason

__all__ = ["UsageError", "read_input", "positive_int", "days", "revocation_reason", "MAX_DAYS"]

MAX_DAYS = 100 * 366  # above every profile's maximum; keeps date arithmetic far from datetime's limits


class UsageError(Exception):
    """A bad command line or an unreadable input file."""


def read_input(path: str | Path) -> bytes:
    """The bytes of a file, or of stdin for ``-``."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _bounded_int(text: str, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= high:
        raise argparse.ArgumentTypeError(f"{what} must be a whole number from 1 to {high}, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type of counts such as ``--limit``."""
    return _bounded_int(text, 2**31 - 1, "count")


def days(text: str) -> int:
    """argparse type of ``--days`` options."""
    return _bounded_int(text, MAX_DAYS, "days")


def revocation_reason(text: str) -> RevocationReason:
    """argparse type of ``--reason``: an RFC 5280 reason name (any case or separators) or its code."""
    from pki.model import RevocationReason  # here: `pnc` starts without cryptography's x509 module

    try:
        return RevocationReason.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
