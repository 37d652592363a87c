"""The one error vocabulary of the PKI core.

Every adapter (CLI, HTTP, OCPP, ISO 15118, OCSP) translates these exactly once, at its edge, with its
own table. The core never knows about HTTP status codes or exit codes.

    PkiError                      base; ``code`` is a stable machine-readable string
    ├── InvalidInput              input that cannot be parsed or violates syntax
    │   ├── BadCsr                garbage/truncated CSR, bad proof of possession
    │   └── InvalidIdentifier     eMAID, PCID, EVSE-ID, SECC-ID syntax or check digit
    ├── PolicyRefused             understood, but not allowed (key type, subject rule, role, ...)
    │   ├── IssuerUnusable        the issuing CA is expired, not yet valid or revoked
    │   └── LintFailed            the to-be-signed certificate breaks a profile rule; nothing was signed
    ├── NotFound                  unknown CA, serial, profile, contract ...
    ├── AlreadyExists             init on an initialised store, duplicate name
    ├── AlreadyRevoked            revoking a revoked certificate
    ├── PathInvalid               certificate path validation failed (``reason`` says why)
    ├── KeyAccessError            CA key passphrase missing or wrong, key not available
    ├── StoreUnavailable          the database cannot be reached or is not initialised
    ├── IntegrityError            audit log chain broken
    └── SignerError               the signer failed (HSM, ...)
"""

from __future__ import annotations

__all__ = [
    "PkiError",
    "InvalidInput",
    "BadCsr",
    "InvalidIdentifier",
    "PolicyRefused",
    "IssuerUnusable",
    "LintFailed",
    "NotFound",
    "AlreadyExists",
    "AlreadyRevoked",
    "PathInvalid",
    "KeyAccessError",
    "StoreUnavailable",
    "IntegrityError",
    "SignerError",
]


class PkiError(Exception):
    """Base of all core errors. ``str(err)`` is a precise, human-readable message."""

    code = "pki_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PkiError):
    code = "invalid_input"


class BadCsr(InvalidInput):
    code = "bad_csr"


class InvalidIdentifier(InvalidInput):
    code = "invalid_identifier"


class PolicyRefused(PkiError):
    code = "policy_refused"


class IssuerUnusable(PolicyRefused):
    code = "issuer_unusable"


class LintFailed(PolicyRefused):
    code = "lint_failed"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("certificate lint failed, nothing was signed: " + "; ".join(problems))
        self.problems = problems


class NotFound(PkiError):
    code = "not_found"


class AlreadyExists(PkiError):
    code = "already_exists"


class AlreadyRevoked(PkiError):
    code = "already_revoked"


class PathInvalid(PkiError):
    code = "path_invalid"

    def __init__(self, reason: str, *, depth: int | None = None) -> None:
        where = f" (certificate {depth} of the path, leaf = 0)" if depth is not None else ""
        super().__init__(f"certificate path invalid: {reason}{where}")
        self.reason = reason
        self.depth = depth


class KeyAccessError(PkiError):
    code = "key_access"


class StoreUnavailable(PkiError):
    code = "store_unavailable"


class IntegrityError(PkiError):
    code = "integrity"


class SignerError(PkiError):
    code = "signer_error"
