"""Wiring for CLI commands: which store, which passphrase, which configuration (the composition root)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pki.authority import AuthorityConfig, CertificateAuthority
from pki.errors import KeyAccessError, StoreUnavailable
from pki.model import KeyRecord
from pki.ports import KeyStore, PrivateKey, Store, StoreTx
from pki.registration import RegistrationAuthority

__all__ = ["Services", "utc_now", "store_url", "open_store", "read_passphrase", "services", "load_settings",
           "CONFIG_META_KEY"]

CONFIG_META_KEY = "config"
DEFAULT_DATA_DIR = "var"


def utc_now() -> datetime:
    return datetime.now(UTC)


def store_url(args: argparse.Namespace) -> str:
    from ca_store import sqlite_url

    if getattr(args, "db_url", None):
        return str(args.db_url)
    return sqlite_url(Path(getattr(args, "data_dir", None) or DEFAULT_DATA_DIR))


def open_store(args: argparse.Namespace) -> Any:
    from ca_store import open_store as _open

    return _open(store_url(args))


def read_passphrase(args: argparse.Namespace) -> bytes | None:
    path = getattr(args, "passphrase_file", None)
    if path:
        try:
            return Path(path).read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise KeyAccessError(f"cannot read passphrase file {path}: {exc.strerror}") from None
    env = os.environ.get("PNC_PASSPHRASE")
    return env.encode() if env else None


class _Locked:
    """Key store used when no passphrase was given: reading commands work, signing ones explain."""

    def create(self, tx: StoreTx, label: str, algorithm: str, created_at: datetime) -> PrivateKey:
        raise KeyAccessError("no passphrase: set PNC_PASSPHRASE or pass --passphrase-file")

    def load(self, label: str) -> PrivateKey:
        raise KeyAccessError("no passphrase: set PNC_PASSPHRASE or pass --passphrase-file")

    def record(self, label: str) -> KeyRecord | None:  # pragma: no cover
        return None


def load_settings(store: Store) -> dict[str, Any]:
    raw = store.get_meta(CONFIG_META_KEY)
    return dict(json.loads(raw)) if raw else {}


def authority_config(settings: dict[str, Any]) -> AuthorityConfig:
    public_url = os.environ.get("PNC_PUBLIC_URL") or settings.get("public_url") or AuthorityConfig.public_url
    validity = {k: timedelta(days=int(v)) for k, v in dict(settings.get("validity_days", {})).items()}
    return AuthorityConfig(public_url=str(public_url), validity=validity)


@dataclass
class Services:
    store: Store
    keys: KeyStore
    authority: CertificateAuthority
    ra: RegistrationAuthority


def services(args: argparse.Namespace, *, need_keys: bool = False) -> Services:
    from ca_store import SoftKeyStore

    store = open_store(args)
    if not store.is_initialized():
        raise StoreUnavailable(f"store at {store_url(args)} is not initialised: run `pnc init`")
    passphrase = read_passphrase(args)
    keys: KeyStore
    if passphrase is not None:
        keys = SoftKeyStore(store, passphrase)
    elif need_keys:
        raise KeyAccessError("no passphrase: set PNC_PASSPHRASE or pass --passphrase-file")
    else:
        keys = _Locked()
    authority = CertificateAuthority(store, keys, utc_now, authority_config(load_settings(store)))
    return Services(store, keys, authority, RegistrationAuthority(authority))
