"""`pnc` entry point: global options, command-group registration and the one error-to-exit-code edge."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pki import errors
from pki.cli import exit_codes

__all__ = ["main", "build_parser", "exit_code_for", "COMMAND_MODULES", "EXIT_CODES"]

# Every command group registers itself; add new groups here (each module: register(subparsers) -> None).
COMMAND_MODULES: tuple[str, ...] = (
    "pki.cli.init_cmd",
    "pki.cli.ca_cmd",
    "pki.cli.cert_cmd",
    "pki.cli.crl_cmd",
    "pki.cli.audit_cmd",
    "pki.cli.serve_cmd",
    "iso15118.cli",
    "ocsp.cli",
    "api.cli",
    "pki.cli.contract_cmd",
    "pki.cli.trust_cmd",
)


# The CLI's one translation table: core error class -> exit code (most specific class wins).
EXIT_CODES: dict[type[errors.PkiError], int] = {
    errors.InvalidInput: exit_codes.REFUSED,
    errors.PolicyRefused: exit_codes.REFUSED,
    errors.PathInvalid: exit_codes.REFUSED,
    errors.AlreadyRevoked: exit_codes.REFUSED,
    errors.NotFound: exit_codes.NOT_FOUND,
    errors.AlreadyExists: exit_codes.ALREADY_EXISTS,
    errors.KeyAccessError: exit_codes.BAD_PASSPHRASE,
    errors.StoreUnavailable: exit_codes.STORE_UNAVAILABLE,
    errors.IntegrityError: exit_codes.INTEGRITY,
}


def exit_code_for(exc: errors.PkiError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return exit_codes.FAILURE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pnc", description="Plug & Charge PKI and ISO 15118 certificate service")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data-dir",
        default=os.environ.get("PNC_DATA_DIR"),
        help="data directory of the embedded SQLite store (env PNC_DATA_DIR; default ./var)",
    )
    where.add_argument(
        "--db-url",
        default=os.environ.get("PNC_DB_URL"),
        help="SQLAlchemy database URL, e.g. postgresql+psycopg://host/db (env PNC_DB_URL)",
    )
    parser.add_argument(
        "--passphrase-file",
        default=None,
        help="file holding the CA key passphrase (else env PNC_PASSPHRASE)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that command group is not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except errors.PkiError as exc:
        print(f"pnc: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        return exit_codes.FAILURE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
