"""Everything ``cryptography`` cannot do for OCSP, with asn1crypto (the only module importing it).

* Parse requests with several CertIDs or with a CertID hash OID pyca does not know (pyca refuses both).
  (Responses, with one or many SingleResponses, are encoded by ``ocsp.der``.)

Parsing is strict (``strict=True`` rejects trailing data, as pyca does) and every field is touched
(asn1crypto decodes lazily), so any malformation surfaces here as ``ValueError``.
"""

from __future__ import annotations

from asn1crypto import ocsp as a_ocsp

from ocsp.model import CertId

__all__ = ["parse_request", "HASH_OIDS"]

HASH_OIDS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_NONCE_OID = "1.3.6.1.5.5.7.48.1.2"


def parse_request(data: bytes) -> tuple[list[CertId], bytes | None]:
    """All CertIDs and the nonce (inner OCTET STRING value, RFC 9654 §2.1) of a DER OCSPRequest.
    Raises ``ValueError`` for anything malformed."""
    try:
        request = a_ocsp.OCSPRequest.load(data, strict=True)
        tbs = request["tbs_request"]
        if tbs["version"].native not in (None, "v1"):
            raise ValueError("unsupported OCSPRequest version")
        tbs["requestor_name"].native  # noqa: B018 - force the lazy parser over every field
        cert_ids: list[CertId] = []
        for req in tbs["request_list"]:
            cid = req["req_cert"]
            oid = cid["hash_algorithm"]["algorithm"].dotted
            cid["hash_algorithm"]["parameters"].native  # noqa: B018
            serial = cid["serial_number"].native
            if not isinstance(serial, int):
                raise ValueError("serial is not an INTEGER")
            req["single_request_extensions"].native  # noqa: B018
            cert_ids.append(CertId(HASH_OIDS.get(oid, oid), bytes(cid["issuer_name_hash"].native),
                                   bytes(cid["issuer_key_hash"].native), serial, cid.dump()))
        nonce: bytes | None = None
        for ext in tbs["request_extensions"]:
            ext["critical"].native  # noqa: B018
            if ext["extn_id"].dotted == _NONCE_OID:  # other request extensions are ignored (RFC 6960 §4.4)
                if nonce is not None:
                    raise ValueError("duplicate nonce extension")
                nonce = bytes(ext["extn_value"].parsed.native)
        request["optional_signature"].native  # noqa: B018
    except ValueError:
        raise
    except Exception as exc:  # asn1crypto raises TypeError/KeyError/OverflowError/... on odd input
        raise ValueError(f"malformed OCSP request: {type(exc).__name__}: {exc}") from None
    if not cert_ids:
        raise ValueError("OCSP request without a CertID")
    return cert_ids, nonce
