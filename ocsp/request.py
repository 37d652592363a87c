"""Request decoding: DER OCSPRequest -> ``ParsedRequest``, and the GET path -> DER.

The fast path is pyca's Rust parser (~1.5 µs); it refuses requests with several CertIDs
(``NotImplementedError``) and CertID hash OIDs it does not know (``UnsupportedAlgorithm``), which then go
through asn1crypto (``ocsp._asn1``). Every failure becomes ``MalformedRequest`` (RFC 6960 §4.2.1
malformedRequest).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_to_bytes

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509 import ocsp as x_ocsp
from cryptography.x509.oid import OCSPExtensionOID

from ocsp import _asn1
from ocsp.model import CertId, ParsedRequest

__all__ = ["MalformedRequest", "parse_request", "decode_get_path", "encode_get_path"]


class MalformedRequest(ValueError):
    """The request is not a well-formed OCSPRequest we accept (answered with malformedRequest)."""


def parse_request(data: bytes, *, max_cert_ids: int = 128, max_nonce: int = 128) -> ParsedRequest:
    if not data:
        raise MalformedRequest("empty request")
    try:
        req = x_ocsp.load_der_ocsp_request(data)
        cert_id = CertId(req.hash_algorithm.name, req.issuer_name_hash, req.issuer_key_hash, req.serial_number)
        nonce: bytes | None = None
        for ext in req.extensions:
            if ext.oid == OCSPExtensionOID.NONCE:
                nonce = ext.value.nonce if isinstance(ext.value, x509.OCSPNonce) else None
        parsed = ParsedRequest((cert_id,), nonce)
    except (NotImplementedError, UnsupportedAlgorithm):  # several CertIDs, or a hash OID pyca does not know
        try:
            ids, nonce = _asn1.parse_request(data)
        except ValueError as exc:
            raise MalformedRequest(str(exc)) from None
        parsed = ParsedRequest(tuple(ids), nonce)
    except (ValueError, TypeError) as exc:  # pyca: truncated, trailing data, bad extension, duplicate OIDs
        raise MalformedRequest(str(exc)) from None
    if len(parsed.cert_ids) > max_cert_ids:
        raise MalformedRequest(f"{len(parsed.cert_ids)} CertIDs in one request (limit {max_cert_ids})")
    if parsed.nonce is not None and not 1 <= len(parsed.nonce) <= max_nonce:
        raise MalformedRequest(f"nonce of {len(parsed.nonce)} octets (RFC 9654 §2.1: 1..{max_nonce})")
    if any(c.serial < 0 for c in parsed.cert_ids):
        raise MalformedRequest("negative serial number")
    return parsed


def decode_get_path(raw: bytes, *, limit: int = 16384) -> bytes:
    """The DER of a GET request from the URL path after ``/ocsp/`` (RFC 6960 Appendix A.1:
    ``{url}/{url-encoding of base-64 encoding of the DER encoding of the OCSPRequest}``).

    Tolerated like Boulder's responder: percent-encoding, ``+`` turned into a space by a form decoder,
    leading or doubled slashes, missing padding, the URL-safe alphabet."""
    if len(raw) > limit * 2:
        raise MalformedRequest("GET path longer than the request size limit")
    try:
        text = unquote_to_bytes(raw).decode("ascii")
    except UnicodeDecodeError:
        raise MalformedRequest("GET path is not ASCII") from None
    text = text.replace(" ", "+").replace("-", "+").replace("_", "/")
    for candidate in (text, text.lstrip("/")):
        stripped = candidate.rstrip("=")
        try:
            der = base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if der[:1] == b"\x30":
            if len(der) > limit:
                raise MalformedRequest("request larger than the size limit")
            return der
    raise MalformedRequest("GET path is not base64 of a DER OCSPRequest")


def encode_get_path(der: bytes) -> str:
    """The path segment a client appends to the responder URL (standard base64, percent-encoded)."""
    from urllib.parse import quote

    return quote(base64.b64encode(der).decode("ascii"), safe="")
