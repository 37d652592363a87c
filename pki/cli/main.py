"""`pnc` entry point: global options, command-group registration and the one error-to-exit-code edge."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pki import errors
from pki.cli import exit_codes
from pki.cli.args import UsageError

__all__ = ["main", "build_parser", "exit_code_for", "COMMAND_MODULES", "EXIT_CODES"]

# Command name -> the module that registers it (``register(subparsers)``). Only the module of the command
# being run is imported, so a cheap command never pays for FastAPI or the EXI grammars.
COMMAND_MODULES: dict[str, str] = {
    "init": "pki.cli.init_cmd",
    "ca": "pki.cli.ca_cmd",
    "cert": "pki.cli.cert_cmd",
    "crl": "pki.cli.crl_cmd",
    "audit": "pki.cli.audit_cmd",
    "serve": "pki.cli.serve_cmd",
    "exi": "iso15118.cli",
    "ocsp": "ocsp.cli",
    "client": "api.cli",
    "contract": "pki.cli.contract_cmd",
    "trust": "pki.cli.trust_cmd",
    "demo": "pki.cli.demo_cmd",
}


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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only`` set, just that command group is imported and registered."""
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
    names = [COMMAND_MODULES[only]] if only in COMMAND_MODULES else list(dict.fromkeys(COMMAND_MODULES.values()))
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that command group is not built yet
            raise
        module.register(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The first positional word (skipping global options and their values)."""
    takes_value = {"--data-dir", "--db-url", "--passphrase-file"}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in takes_value:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at interpreter exit
    except BrokenPipeError:  # the reader went away (`pnc cert list | head`): stop without a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exit_codes.FAILURE
    except errors.PkiError as exc:
        print(f"pnc: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except UsageError as exc:
        print(f"pnc: error: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        return exit_codes.FAILURE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
