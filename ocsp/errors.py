"""The one error type of the ``ocsp`` package.

It derives from ``pki.errors.PkiError`` so the CLI edge (``pki.cli.main``) translates it like every core
error; the HTTP edge (``ocsp.app``) never lets it escape: a request always gets an OCSPResponse.
"""

from __future__ import annotations

from pki.errors import PkiError

__all__ = ["OcspError"]


class OcspError(PkiError):
    """Responder set-up failed, a notification could not be delivered, or the client could not obtain or
    verify a response. ``str(err)`` says which and why."""

    code = "ocsp_error"
