"""Composition helper: everything a process (CLI, HTTP API, OCSP responder, bridge) needs to act as the CA.

``open_services(url, passphrase=...)`` wires the SQL store, the key store, the authority and the RA with a
real UTC clock. Apps receive the ``Services`` object; tests build one on a temporary SQLite file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pki.authority import AuthorityConfig, CertificateAuthority
from pki.errors import AlreadyExists, KeyAccessError, StoreUnavailable
from pki.ports import KeyStore, PrivateKey, Store, StoreTx
from pki.registration import RegistrationAuthority

if TYPE_CHECKING:
    from pki.ceremony import HierarchyConfig

__all__ = ["Services", "open_services", "initialize", "utc_now", "authority_config", "load_settings", "CONFIG_META_KEY",
           "LockedKeyStore"]

CONFIG_META_KEY = "config"
DEFAULT_PUBLIC_URL = "http://localhost:8080"


def utc_now() -> datetime:
    return datetime.now(UTC)


class LockedKeyStore:
    """Key store used when no passphrase was given: reading works, signing explains what is missing."""

    def create(self, tx: StoreTx, label: str, algorithm: str, created_at: datetime) -> PrivateKey:
        raise KeyAccessError("no passphrase: set PNC_PASSPHRASE or pass --passphrase-file")

    def load(self, label: str) -> PrivateKey:
        raise KeyAccessError("no passphrase: set PNC_PASSPHRASE or pass --passphrase-file")


def load_settings(store: Store) -> dict[str, Any]:
    raw = store.get_meta(CONFIG_META_KEY)
    return dict(json.loads(raw)) if raw else {}


def authority_config(settings: dict[str, Any], public_url: str | None = None) -> AuthorityConfig:
    url = public_url or os.environ.get("PNC_PUBLIC_URL") or settings.get("public_url") or DEFAULT_PUBLIC_URL
    validity = {k: timedelta(days=int(v)) for k, v in dict(settings.get("validity_days", {})).items()}
    return AuthorityConfig(public_url=str(url), validity=validity)


@dataclass
class Services:
    store: Store
    keys: KeyStore
    authority: CertificateAuthority
    ra: RegistrationAuthority
    clock: Callable[[], datetime]


def open_services(
    url: str,
    *,
    passphrase: bytes | None,
    public_url: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    require_keys: bool = False,
) -> Services:
    from ca_store.keys import SoftKeyStore
    from ca_store.store import open_store

    store = open_store(url)
    try:
        if not store.is_initialized():
            raise StoreUnavailable(f"store at {store.url} is not initialised: run `pnc init`")
        keys: KeyStore
        if passphrase:
            keys = SoftKeyStore(store, passphrase)
        elif require_keys:
            raise KeyAccessError("no passphrase: set PNC_PASSPHRASE or pass --passphrase-file")
        else:
            keys = LockedKeyStore()
        authority = CertificateAuthority(store, keys, clock, authority_config(load_settings(store), public_url))
    except BaseException:
        store.close()  # no pooled connection outlives a refused open
        raise
    return Services(store, keys, authority, RegistrationAuthority(authority), clock)


def initialize(
    url: str,
    *,
    passphrase: bytes,
    config: HierarchyConfig | None = None,
    clock: Callable[[], datetime] = utc_now,
    actor: str = "init",
) -> Services:
    """Create the schema and the whole hierarchy of ``config`` (a ``pki.ceremony.HierarchyConfig``; None =
    defaults) in one transaction. Refuses an initialised store. Returns ready services."""
    from ca_store.keys import SoftKeyStore
    from ca_store.store import open_store
    from pki.ceremony import build_hierarchy, load_config

    if not passphrase:
        raise KeyAccessError("a passphrase is required: set PNC_PASSPHRASE or pass --passphrase-file")
    config = config if config is not None else load_config(None)
    settings: dict[str, Any] = {
        "public_url": config.public_url,
        "validity_days": {k: v.days for k, v in config.validity.items()},
        "organization": config.organization,
        "country": config.country,
    }
    store = open_store(url)
    try:
        if store.is_initialized():
            raise AlreadyExists(f"store at {store.url} is already initialised; refusing to overwrite")
        store.migrate()
        keys = SoftKeyStore(store, passphrase)
        authority = CertificateAuthority(store, keys, clock, authority_config(settings))
        with store.transaction() as tx:
            keys.initialize(tx)
            build_hierarchy(authority, tx, config, actor=actor)
            tx.set_meta(CONFIG_META_KEY, json.dumps(settings).encode())
            tx.set_meta("initialized", clock().isoformat().encode())
    except BaseException:
        store.close()
        raise
    return Services(store, keys, authority, RegistrationAuthority(authority), clock)
