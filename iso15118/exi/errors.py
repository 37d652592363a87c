"""The codec's one error family (ExiError); nothing else ever leaves the codec."""

from __future__ import annotations

__all__ = ["ExiError", "ExiEncodeError", "ExiDecodeError", "SchemaError"]


class ExiError(Exception):
    """Base class of every error the EXI codec raises."""


class ExiEncodeError(ExiError):
    """The tree is not schema-valid for the grammar; ``path`` names the offending element or attribute."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


class ExiDecodeError(ExiError):
    """The stream is malformed: ``bit_offset`` is where decoding failed, ``expected`` what was expected there."""

    def __init__(self, bit_offset: int, expected: str, detail: str = "") -> None:
        message = f"at bit {bit_offset}: expected {expected}"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.bit_offset = bit_offset
        self.expected = expected
        self.detail = detail


class SchemaError(ExiError):
    """The vendored XSDs use a construct the grammar compiler does not support (a build-time failure)."""
