"""Wiring for CLI commands: which store, which passphrase (the CLI's composition root)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pki.errors import KeyAccessError

__all__ = ["store_url", "read_passphrase", "services", "DEFAULT_DATA_DIR"]

DEFAULT_DATA_DIR = "var"


def store_url(args: argparse.Namespace, *, create: bool = False) -> str:
    """The store of the global options; ``create``: make the data directory (``init`` only)."""
    from ca_store import sqlite_url

    if getattr(args, "db_url", None):
        return str(args.db_url)
    return sqlite_url(Path(getattr(args, "data_dir", None) or DEFAULT_DATA_DIR), create=create)


def read_passphrase(args: argparse.Namespace) -> bytes | None:
    path = getattr(args, "passphrase_file", None)
    if path:
        try:
            return Path(path).read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise KeyAccessError(f"cannot read passphrase file {path}: {exc.strerror}") from None
    env = os.environ.get("PNC_PASSPHRASE")
    return env.encode() if env else None


def services(args: argparse.Namespace, *, need_keys: bool = False) -> Any:
    from ca_store.services import open_services

    return open_services(store_url(args), passphrase=read_passphrase(args), require_keys=need_keys)
