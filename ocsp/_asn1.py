"""Everything ``cryptography`` cannot do for OCSP, with asn1crypto (the only module importing it).

* Parse requests with several CertIDs or with a CertID hash OID pyca does not know (pyca refuses both).
* Build a response with several SingleResponses (pyca builds exactly one).
* Read a response's ResponseData for the client (all SingleResponses).

Parsing is strict (``strict=True`` rejects trailing data, as pyca does) and every field is touched
(asn1crypto decodes lazily), so any malformation surfaces here as ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from asn1crypto import core
from asn1crypto import ocsp as a_ocsp
from asn1crypto import x509 as a_x509

from ocsp.model import CertId, CertState, Status

__all__ = ["parse_request", "build_response", "HASH_OIDS", "REASON_NAMES"]

HASH_OIDS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
# RFC 5280 §5.3.1 CRLReason code -> asn1crypto name
REASON_NAMES = {0: "unspecified", 1: "key_compromise", 2: "ca_compromise", 3: "affiliation_changed",
                4: "superseded", 5: "cessation_of_operation", 6: "certificate_hold", 9: "privilege_withdrawn",
                10: "aa_compromise"}
_NONCE_OID = "1.3.6.1.5.5.7.48.1.2"
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


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


def _single(cert_id: CertId, state: CertState, this_update: datetime, next_update: datetime) -> a_ocsp.SingleResponse:
    if cert_id.raw is None:
        raise ValueError("multi-CertID responses echo the parsed CertID")
    if state.status is Status.GOOD:
        status = a_ocsp.CertStatus(name="good", value=core.Null())
    elif state.status is Status.UNKNOWN:
        status = a_ocsp.CertStatus(name="unknown", value=core.Null())
    else:
        info: dict[str, object] = {"revocation_time": (state.revoked_at or _EPOCH).replace(microsecond=0)}
        if state.reason is not None and state.reason.code != 0:
            info["revocation_reason"] = REASON_NAMES[state.reason.code]
        status = a_ocsp.CertStatus(name="revoked", value=a_ocsp.RevokedInfo(info))
    return a_ocsp.SingleResponse({
        "cert_id": a_ocsp.CertId.load(cert_id.raw),
        "cert_status": status,
        "this_update": this_update.replace(microsecond=0),
        "next_update": next_update.replace(microsecond=0),
    })


def build_response(
    singles: Sequence[tuple[CertId, CertState, datetime, datetime]],
    *,
    responder_key_hash: bytes,
    produced_at: datetime,
    certs_der: Sequence[bytes],
    nonce: bytes | None,
    sign: Callable[[bytes], tuple[bytes, str]],
) -> bytes:
    """A signed successful BasicOCSPResponse with one SingleResponse per entry of ``singles`` (RFC 6960
    §4.2.1). ``sign(tbs) -> (signature, asn1crypto signature algorithm name)``."""
    extensions = []
    if nonce is not None:  # RFC 9654 §2.1: echo the request's nonce
        extensions.append({"extn_id": "nonce", "critical": False, "extn_value": nonce})
    if any(state.extended for _, state, _, _ in singles):  # RFC 6960 §4.4.8 extended revoke definition
        extensions.append({"extn_id": "extended_revoke", "critical": False, "extn_value": core.Null()})
    data: dict[str, object] = {
        "responder_id": a_ocsp.ResponderId(name="by_key", value=responder_key_hash),
        "produced_at": produced_at.replace(microsecond=0),
        "responses": [_single(*entry) for entry in singles],
    }
    if extensions:
        data["response_extensions"] = extensions
    tbs = a_ocsp.ResponseData(data)
    signature, algorithm = sign(tbs.dump())
    basic = a_ocsp.BasicOCSPResponse({
        "tbs_response_data": tbs,
        "signature_algorithm": {"algorithm": algorithm},
        "signature": signature,
        "certs": [a_x509.Certificate.load(der) for der in certs_der] or None,
    })
    if not certs_der:
        del basic["certs"]
    response = a_ocsp.OCSPResponse({
        "response_status": "successful",
        "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
    })
    return bytes(response.dump())
