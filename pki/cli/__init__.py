"""The `pnc` command line: a composition root.

Each command group lives in its own module with a ``register(subparsers)`` function; handlers take the
parsed ``argparse.Namespace`` and return an exit code (see ``pki.cli.exit_codes``). Only this package
(and the other composition roots) may wire ``pki`` to ``ca_store``, HTTP servers and the EXI codec.
"""

__all__: list[str] = []
