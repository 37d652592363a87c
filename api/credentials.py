"""Client credentials: random ids and secrets, and the secret's KDF hash.

Secrets are 256-bit random (``secrets.token_urlsafe``), shown once and stored only as an scrypt hash
(RFC 7914; memory-hard, so a stolen clients table cannot be brute-forced cheaply even if an operator
replaces a secret with a weaker one). The hash string carries its own parameters and salt:
``scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>``. Verification compares in constant time and runs the
KDF even for an unknown client id, so response timing does not reveal which ids exist.
"""

from __future__ import annotations

import base64
import hmac
import secrets

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = ["new_client_id", "new_secret", "hash_secret", "verify_secret", "DUMMY_HASH"]

_LOG2_N, _R, _P = 14, 8, 1  # 16 MiB, ~50 ms per check: fine for a token endpoint, costly for guessing
_SALT_BYTES = 16
_HASH_BYTES = 32


def new_client_id() -> str:
    return "pnc-" + secrets.token_hex(8)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _derive(secret: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_HASH_BYTES, n=1 << log2_n, r=r, p=p).derive(secret.encode())


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(secret, salt, _LOG2_N, _R, _P)
    return f"scrypt${_LOG2_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


# Verified against when the client id is unknown (same cost as a real check; never matches a secret).
DUMMY_HASH = f"scrypt${_LOG2_N}${_R}${_P}${_b64(bytes(_SALT_BYTES))}${_b64(bytes(_HASH_BYTES))}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or not 10 <= int(log2_n) <= 20:
            return False
        expected = base64.b64decode(digest)
        actual = _derive(secret, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
