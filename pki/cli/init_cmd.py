"""`pnc init`: create the store and the whole CA hierarchy, non-interactively, once."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pki.cli import exit_codes
from pki.cli.context import CONFIG_META_KEY, authority_config, open_store, read_passphrase, store_url, utc_now
from pki.cli.output import out
from pki.errors import AlreadyExists, KeyAccessError

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create the store and the CA hierarchy (refuses to overwrite)")
    p.add_argument("--config", type=Path, help="TOML file: organization, country, public_url, cas, [validity], [ca.*]")
    p.add_argument("--passphrase-file", default=argparse.SUPPRESS,
                   help="file holding the CA key passphrase (else env PNC_PASSPHRASE)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ca_store import SoftKeyStore
    from pki.authority import CertificateAuthority
    from pki.ceremony import build_hierarchy, load_config

    config = load_config(args.config)
    passphrase = read_passphrase(args)
    if not passphrase:
        raise KeyAccessError("a passphrase is required: set PNC_PASSPHRASE or pass --passphrase-file")
    store = open_store(args)
    if store.is_initialized():
        raise AlreadyExists(f"store at {store_url(args)} is already initialised; refusing to overwrite")
    store.migrate()
    settings: dict[str, Any] = {
        "public_url": config.public_url,
        "validity_days": {k: v.days for k, v in config.validity.items()},
        "organization": config.organization,
        "country": config.country,
    }
    keys = SoftKeyStore(store, passphrase)
    authority = CertificateAuthority(store, keys, utc_now, authority_config(settings))
    with store.transaction() as tx:
        keys.initialize(tx)
        cas = build_hierarchy(authority, tx, config, actor="cli:init")
        tx.set_meta(CONFIG_META_KEY, json.dumps(settings).encode())
        tx.set_meta("initialized", datetime.now(UTC).isoformat().encode())
    out(f"initialised {store_url(args)} with {len(cas)} CAs: {', '.join(c.name for c in cas)}")
    return exit_codes.OK
