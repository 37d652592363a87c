"""Certificate path validation by ISO 15118-2 rules, reusable by every adapter.

``validate_path`` builds the path leaf → sub-CAs → trust anchor and checks, in this order, with a precise
reason on the first failure: path building, at most two sub-CAs ([V2G2-009]: path length limited to
3), signatures, validity at the given instant, basicConstraints and pathLenConstraint (RFC 5280 §6.1.4),
keyUsage (keyCertSign on CAs, the leaf's required usages), ISO 15118 algorithms ([V2G2-006/007]),
the leaf's domain component (CPO/CPS/MO/OEM, checked by EVs and the provisioning service), and
revocation through an injected check (e.g. ``store_revocation_check`` for certificates we issued).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from pki.errors import PathInvalid
from pki.model import CertificateRecord

__all__ = ["ValidatedPath", "RevocationCheck", "validate_path", "store_revocation_check", "MAX_SUB_CAS"]

MAX_SUB_CAS = 2  # [V2G2-009]

# (certificate, its issuer) -> None if good, else a reason such as "revoked (keyCompromise) on 2026-..."
RevocationCheck = Callable[[x509.Certificate, x509.Certificate], str | None]


@dataclass(frozen=True, slots=True)
class ValidatedPath:
    certificates: tuple[x509.Certificate, ...]  # leaf first, trust anchor last

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def anchor(self) -> x509.Certificate:
        return self.certificates[-1]


def _ext_value(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _key_id(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bytes | None:
    value = _ext_value(cert, oid)
    if isinstance(value, x509.SubjectKeyIdentifier):
        return value.digest
    if isinstance(value, x509.AuthorityKeyIdentifier):
        return value.key_identifier
    return None


def _issued_by(cert: x509.Certificate, candidate: x509.Certificate) -> bool:
    if cert.issuer != candidate.subject:
        return False
    aki = _key_id(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    ski = _key_id(candidate, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    return aki is None or ski is None or aki == ski


def _find_issuer(cert: x509.Certificate, pool: Iterable[x509.Certificate]) -> x509.Certificate | None:
    for candidate in pool:
        if candidate is not cert and _issued_by(cert, candidate):
            return candidate
    return None


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def _build(
    leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]
) -> list[x509.Certificate]:
    """leaf, sub-CAs, anchor. Duplicates and a copy of the anchor among ``intermediates`` are harmless: the
    anchor is looked for first, and a certificate already in the path is never added again."""
    if leaf in anchors:
        raise PathInvalid(f"{_name(leaf)} is itself a trust anchor, not a leaf certificate", depth=0)
    path = [leaf]
    while True:
        current = path[-1]
        anchor = _find_issuer(current, anchors)
        if anchor is not None:
            path.append(anchor)
            return path
        if current.issuer == current.subject:
            raise PathInvalid(f"{_name(current)} is self-signed but not a trusted root", depth=len(path) - 1)
        nxt = _find_issuer(current, [c for c in intermediates if c not in path])
        if nxt is None:
            raise PathInvalid(
                f"no issuer found for {_name(current)} (issuer {current.issuer.rfc4514_string()}): "
                "the chain does not lead to a trusted root",
                depth=len(path) - 1,
            )
        path.append(nxt)
        if len(path) - 1 > MAX_SUB_CAS:  # every certificate after the leaf so far is a sub-CA
            raise PathInvalid(f"more than {MAX_SUB_CAS} sub-CAs between leaf and root ([V2G2-009])",
                              depth=len(path) - 1)


def _check_signature(cert: x509.Certificate, issuer: x509.Certificate, depth: int) -> None:
    try:
        cert.verify_directly_issued_by(issuer)
    except InvalidSignature:
        raise PathInvalid(f"signature of {_name(cert)} does not verify with {_name(issuer)}", depth=depth) from None
    except (ValueError, TypeError) as exc:
        raise PathInvalid(f"signature of {_name(cert)} cannot be checked: {exc}", depth=depth) from None


def _check_validity(cert: x509.Certificate, at: datetime, depth: int) -> None:
    if at < cert.not_valid_before_utc:
        raise PathInvalid(f"{_name(cert)} is not yet valid (notBefore {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ})",
                          depth=depth)
    if at > cert.not_valid_after_utc:
        raise PathInvalid(f"{_name(cert)} expired (notAfter {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ})",
                          depth=depth)


def _check_ca(cert: x509.Certificate, sub_cas_below: int, depth: int) -> None:
    bc = _ext_value(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if not isinstance(bc, x509.BasicConstraints) or not bc.ca:
        raise PathInvalid(f"{_name(cert)} issues certificates but is not a CA (basicConstraints cA)", depth=depth)
    if bc.path_length is not None and sub_cas_below > bc.path_length:
        raise PathInvalid(
            f"{_name(cert)} has pathLenConstraint {bc.path_length} but {sub_cas_below} sub-CA(s) follow it",
            depth=depth,
        )
    ku = _ext_value(cert, ExtensionOID.KEY_USAGE)
    if isinstance(ku, x509.KeyUsage) and not ku.key_cert_sign:
        raise PathInvalid(f"{_name(cert)} lacks keyUsage keyCertSign", depth=depth)


def _check_iso_algorithms(cert: x509.Certificate, depth: int) -> None:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise PathInvalid(f"{_name(cert)} does not have a secp256r1 key ([V2G2-007])", depth=depth)
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        raise PathInvalid(f"{_name(cert)} is not signed with ecdsa-with-SHA256 ([V2G2-006])", depth=depth)


def validate_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    *,
    at: datetime,
    leaf_dc: str | None = None,
    leaf_key_usage: Iterable[str] = ("digital_signature",),
    revocation: RevocationCheck | None = None,
    iso15118: bool = True,
) -> ValidatedPath:
    """Validate ``leaf`` up to one of ``anchors``; raise ``PathInvalid`` with the reason and depth."""
    if not anchors:
        raise PathInvalid("no trusted root configured")
    path = _build(leaf, intermediates, anchors)
    for depth, cert in enumerate(path):
        _check_validity(cert, at, depth)
        if iso15118:
            _check_iso_algorithms(cert, depth)
    for depth in range(len(path) - 1):
        _check_signature(path[depth], path[depth + 1], depth)
    for depth in range(1, len(path)):
        _check_ca(path[depth], sub_cas_below=max(0, depth - 1), depth=depth)
    bc = _ext_value(leaf, ExtensionOID.BASIC_CONSTRAINTS)
    if isinstance(bc, x509.BasicConstraints) and bc.ca:
        raise PathInvalid(f"{_name(leaf)} is a CA certificate, a leaf was expected", depth=0)
    ku = _ext_value(leaf, ExtensionOID.KEY_USAGE)
    for usage in leaf_key_usage:
        if not isinstance(ku, x509.KeyUsage) or not getattr(ku, usage):
            raise PathInvalid(f"{_name(leaf)} lacks keyUsage {usage}", depth=0)
    if leaf_dc is not None:
        dcs = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)]
        if dcs != [leaf_dc]:
            raise PathInvalid(f"{_name(leaf)} must carry DC={leaf_dc} (has {dcs or 'none'})", depth=0)
    if revocation is not None:
        for depth in range(len(path) - 1):
            reason = revocation(path[depth], path[depth + 1])
            if reason is not None:
                raise PathInvalid(f"{_name(path[depth])} is {reason}", depth=depth)
    return ValidatedPath(tuple(path))


class _CertificateLookup(Protocol):
    def get_certificate(self, serial: int) -> CertificateRecord | None: ...


def store_revocation_check(store: _CertificateLookup) -> RevocationCheck:
    """Revocation status from our store, for certificates we issued (others: no information here)."""

    def check(cert: x509.Certificate, issuer: x509.Certificate) -> str | None:
        record = store.get_certificate(cert.serial_number)
        if record is None or not record.revoked or record.der != cert.public_bytes(Encoding.DER):
            return None
        when = record.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if record.revoked_at else "?"
        return f"revoked ({record.revocation_reason}) since {when}"

    return check
