"""Answering CertificateInstallationReq and CertificateUpdateReq (ISO 15118-2 §8.4.3.x; pnc-facts §1-2).

``answer(exi, ctx)`` decodes the request and dispatches on its body (``action``, when given, must match it);
Install and Update check, in this order, and refuse the first failure with the ResponseCode the EV should see:

  Install: OEM provisioning certificate (DER, CN = PCID) -> FAILED_CertChainError; its validity ->
           FAILED_CertificateExpired; path to a trusted OEM root (our OEM CAs + ``pnc trust add --kind oem``),
           DC=OEM, keyUsage digitalSignature + keyAgreement -> FAILED_CertChainError; revocation ->
           FAILED_CertificateRevoked; the header signature over CertificateInstallationReq with the
           provisioning key -> FAILED_SignatureError; the contract of the PCID -> FAILED_ContractCanceled (only
           cancelled/expired ones) or FAILED_NoCertificateAvailable (none, auto-provisioning off); a CPS leaf
           chaining to a V2G root in ListOfRootCertificateIDs -> FAILED_NoCertificateAvailable; only then is a
           contract minted (auto-provisioning on).
  Update:  old contract chain (DER; eMAID = its CN) -> FAILED_CertChainError; validity ->
           FAILED_CertificateExpired; path to an MO or V2G root, keyUsage digitalSignature + keyAgreement ->
           FAILED_CertChainError; the signature with the old contract key -> FAILED_SignatureError; the
           contract -> FAILED_NoCertificateAvailable (unknown) / FAILED_ContractCanceled; revocation of the old
           chain -> FAILED_CertificateRevoked; the V2G root as above.

Only after every check passed is a contract certificate issued (MO Sub-CA 2, key generated here), linked to
the contract, its key encrypted for the OEM provisioning key (Install) or the old contract key (Update), the
four elements signed by the CPS leaf and the response self-checked. A refused request issues and stores
nothing. The package does not know SQL or HTTP: the registry, trust store, RA and CPS signer are injected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from iso15118.contract.cps import CpsSigner, SigningIdentity
from iso15118.contract.errors import Action, Answer
from iso15118.contract.request import (
    ParsedRequest,
    Refusal,
    chain_certificates,
    check_path,
    check_revocation,
    check_signature,
    common_name,
    load_certificate,
    parse_request,
)
from iso15118.contract.response import ContractMaterial, build_response, negative_response
from iso15118.exi import ExiCodec, default_codec
from iso15118.messages import CertificateInstallationReq, CertificateUpdateReq, ListOfRootCertificateIDs, ResponseCode
from pki.contracts import (
    Contract,
    ContractRegistry,
    Selection,
    canonical_emaid,
    mint_emaid,
    new_contract,
    select_contract,
)
from pki.errors import AlreadyExists, InvalidIdentifier
from pki.identifiers import validate_pcid
from pki.model import RevocationReason
from pki.policy import SubjectClaims
from pki.profiles import get_profile
from pki.registration import RegistrationAuthority
from pki.trust import TrustKind, TrustStore, match_root
from pki.validation import RevocationCheck

__all__ = ["ProvisioningContext", "answer"]

_MINT_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class _Anchors:
    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...]


@dataclass
class ProvisioningContext:
    """Everything provisioning needs, injected by the composition root (API, CLI, demo)."""

    registry: ContractRegistry
    trust: TrustStore
    ra: RegistrationAuthority
    signer: CpsSigner
    clock: Callable[[], datetime]
    revocation: RevocationCheck | None = None  # e.g. pki.validation.store_revocation_check(store)
    contract_issuer: str = "mo-sub2"
    codec: ExiCodec = field(default_factory=default_codec)
    _local: dict[str, tuple[x509.Certificate, ...]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _own_cas(self) -> dict[str, tuple[x509.Certificate, ...]]:
        """Our own CA certificates by profile (read once: CAs are only created by `pnc init`)."""
        with self._lock:
            if self._local is None:
                local: dict[str, list[x509.Certificate]] = {}
                authority = self.ra.ca
                for ca in authority.store.list_cas():
                    local.setdefault(ca.profile, []).append(authority.ca_certificate(ca))
                self._local = {k: tuple(v) for k, v in local.items()}
            return self._local

    def anchors(self, *kinds: TrustKind) -> _Anchors:
        own = self._own_cas()
        roots: list[x509.Certificate] = []
        subs: list[x509.Certificate] = []
        for kind in kinds:
            prefix = kind.value
            roots.extend(own.get(f"{prefix}-root", ()))
            subs.extend(own.get(f"{prefix}-sub1", ()) + own.get(f"{prefix}-sub2", ()))
            for cert in self.trust.certificates(kind):
                (roots if cert.issuer == cert.subject else subs).append(cert)
        return _Anchors(tuple(roots), tuple(subs))


def answer(exi: bytes, ctx: ProvisioningContext, *, action: Action | None = None, requester: str = "cps") -> Answer:
    """The response to a CertificateInstallationReq or CertificateUpdateReq (detected from the EXI body)."""
    request = parse_request(exi, ctx.codec, action=action)
    return _run(request, ctx, requester, _install if request.action is Action.INSTALL else _update)


@dataclass(frozen=True, slots=True)
class _Checked:
    contract: Contract
    recipient: ec.EllipticCurvePublicKey  # the key the contract key is encrypted for
    identity: SigningIdentity
    pcid: str | None


def _run(
    request: ParsedRequest,
    ctx: ProvisioningContext,
    requester: str,
    check: Callable[[ParsedRequest, ProvisioningContext, datetime, str], _Checked],
) -> Answer:
    now = ctx.clock()
    try:
        checked = check(request, ctx, now, requester)
    except Refusal as refusal:
        emaid = refusal.emaid
        if emaid is None and isinstance(request.body, CertificateUpdateReq):
            emaid = request.body.emaid  # the EV named its contract: echo it in the FAILED_* response
        exi = negative_response(request.action, request.session_id, refusal.code, ctx.codec, emaid=emaid)
        return Answer(exi, request.action, refusal.code, request.session_id, refusal.emaid, refusal.message)
    contract = checked.contract
    key = ec.generate_private_key(ec.SECP256R1())
    issued = ctx.ra.issue_for_key(
        key.public_key(), get_profile("contract"), SubjectClaims(common_name=contract.emaid),
        requester=requester, issuer=ctx.contract_issuer, not_after=contract.not_after,
    )
    serial = issued.certificate.serial_number
    try:
        ctx.registry.record_certificate(contract.emaid, serial, actor=requester, at=now)
        material = ContractMaterial(contract.emaid, issued.certificate, issued.chain[:-1], key)
        exi = build_response(request.action, request.session_id, checked.identity, material, checked.recipient,
                             ctx.codec)
    except BaseException:
        # Nothing reaches the EV, so the certificate must not stay valid (RFC 5280 §5.3.1 superseded).
        try:
            ctx.ra.revoke(serial, RevocationReason.SUPERSEDED, requester=requester)
        except Exception:  # noqa: BLE001 - report the original failure, not this one
            pass
        raise
    return Answer(exi, request.action, ResponseCode.OK, request.session_id, contract.emaid, "", serial, checked.pcid)


def _identity(ctx: ProvisioningContext, ids: ListOfRootCertificateIDs) -> SigningIdentity:
    identities: Sequence[SigningIdentity] = ctx.signer.identities()
    for identity in identities:
        for root_id in ids.root_certificate_ids:
            if match_root(root_id.issuer_name, root_id.serial_number, [identity.root]) is not None:
                return identity
    ours = ", ".join(i.root.subject.rfc4514_string() for i in identities) or "none"
    raise Refusal(ResponseCode.FAILED_NoCertificateAvailable,
                  f"none of the EV's {len(ids.root_certificate_ids)} root certificate IDs names a V2G root our "
                  f"CPS chains to ({ours})")


def _install(request: ParsedRequest, ctx: ProvisioningContext, now: datetime, requester: str) -> _Checked:
    body = request.body
    assert isinstance(body, CertificateInstallationReq)
    oem = load_certificate(body.oem_provisioning_cert, "OEMProvisioningCert")
    try:
        pcid = validate_pcid(common_name(oem))
    except InvalidIdentifier as exc:
        raise Refusal(ResponseCode.FAILED_CertChainError, f"OEM provisioning certificate CN: {exc.message}") from None
    anchors = ctx.anchors(TrustKind.OEM)
    # The provisioning service checks DC=OEM on the OEM provisioning certificate (RISE-V2G verifyDomainComponent).
    path = check_path(oem, anchors.intermediates, anchors.roots, at=now, what="OEM provisioning certificate",
                      leaf_dc="OEM")
    check_revocation(path, ctx.revocation, "OEM provisioning chain: certificate")
    check_signature(request, oem, ctx.codec, "OEM provisioning key")
    contract = _contract_for_pcid(ctx, pcid, now)
    identity = _identity(ctx, body.list_of_root_certificate_ids)
    if contract is None:  # minted only once every check passed: a refused request stores nothing
        contract = _mint_contract(ctx, pcid, now, requester)
    return _Checked(contract, oem.public_key(), identity, pcid)  # type: ignore[arg-type]


def _contract_for_pcid(ctx: ProvisioningContext, pcid: str, now: datetime) -> Contract | None:
    """The vehicle's active contract, or None when auto-provisioning will mint one; refuses otherwise."""
    selection, contract = select_contract(ctx.registry.for_pcid(pcid), now)
    if selection is Selection.FOUND and contract is not None:
        return contract
    if selection is Selection.CANCELED and contract is not None:
        raise Refusal(ResponseCode.FAILED_ContractCanceled,
                      f"the contract {contract.emaid} of PCID {pcid} is cancelled or expired", emaid=contract.emaid)
    if not ctx.registry.policy().auto_provision:
        raise Refusal(ResponseCode.FAILED_NoCertificateAvailable,
                      f"no contract for PCID {pcid} (auto-provisioning is off)")
    return None


def _mint_contract(ctx: ProvisioningContext, pcid: str, now: datetime, requester: str) -> Contract:
    policy = ctx.registry.policy()
    for _attempt in range(_MINT_ATTEMPTS):
        minted = new_contract(mint_emaid(policy.provider_prefix), pcid, now=now, actor=requester,
                              not_after=now + policy.contract_validity)
        try:
            return ctx.registry.add(minted, actor=requester)
        except AlreadyExists:
            continue  # 36^9 instances: a collision is rare; draw again
    raise AlreadyExists(f"could not mint a unique eMAID with prefix {policy.provider_prefix}")  # pragma: no cover


def _update(request: ParsedRequest, ctx: ProvisioningContext, now: datetime, requester: str) -> _Checked:
    body = request.body
    assert isinstance(body, CertificateUpdateReq)
    leaf, subs = chain_certificates(body.contract_signature_cert_chain, "old contract certificate")
    try:
        emaid = canonical_emaid(body.emaid)
        cn = canonical_emaid(common_name(leaf))
    except InvalidIdentifier as exc:
        raise Refusal(ResponseCode.FAILED_CertChainError, f"eMAID: {exc.message}") from None
    if cn != emaid:
        raise Refusal(ResponseCode.FAILED_CertChainError,
                      f"eMAID {body.emaid!r} of the request is not the old contract certificate's CN {cn!r}")
    anchors = ctx.anchors(TrustKind.MO, TrustKind.V2G)
    path = check_path(leaf, [*subs, *anchors.intermediates], anchors.roots, at=now, what="old contract certificate")
    check_signature(request, leaf, ctx.codec, "old contract key")
    contract = ctx.registry.get(emaid)
    if contract is None:
        raise Refusal(ResponseCode.FAILED_NoCertificateAvailable, f"no contract with eMAID {emaid}", emaid=emaid)
    if not contract.is_active(now):
        raise Refusal(ResponseCode.FAILED_ContractCanceled, f"contract {emaid} is cancelled or expired", emaid=emaid)
    check_revocation(path, ctx.revocation, "old contract chain: certificate")
    identity = _identity(ctx, body.list_of_root_certificate_ids)
    return _Checked(contract, leaf.public_key(), identity, contract.pcid)  # type: ignore[arg-type]

