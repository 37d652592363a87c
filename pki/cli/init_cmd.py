"""`pnc init`: create the store and the whole CA hierarchy, non-interactively, once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pki.cli import exit_codes
from pki.cli.args import UsageError, read_input
from pki.cli.context import read_passphrase, store_url
from pki.cli.output import out
from pki.errors import KeyAccessError

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create the store and the CA hierarchy (refuses to overwrite)")
    p.add_argument("--config", type=Path, help="TOML file: organization, country, public_url, cas, [validity], [ca.*]")
    p.add_argument("--passphrase-file", default=argparse.SUPPRESS,
                   help="file holding the CA key passphrase (else env PNC_PASSPHRASE)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ca_store.services import initialize
    from pki.ceremony import load_config, parse_config

    if args.config is None:
        config = load_config(None)
    else:
        try:
            text = read_input(args.config).decode()
        except UnicodeDecodeError:
            raise UsageError(f"{args.config} is not UTF-8 text (TOML)") from None
        config = parse_config(text, str(args.config))
    passphrase = read_passphrase(args)
    if not passphrase:
        raise KeyAccessError("a passphrase is required: set PNC_PASSPHRASE or pass --passphrase-file")
    url = store_url(args, create=True)
    svc = initialize(url, passphrase=passphrase, config=config, actor="cli:init")
    names = [c.name for c in svc.store.list_cas()]
    out(f"initialised {url} with {len(names)} CAs: {', '.join(names)}")
    return exit_codes.OK
