"""The CPS leaf signer: the key and certificate that sign CertificateInstallationRes/UpdateRes.

ISO 15118-2 (pnc-facts §2): the four signed elements of the response are signed by the CPS leaf, which the
EV validates up to a V2G root it holds, and whose subject must carry DC=CPS. Here the CPS leaf key is the
service key ``svc:cps-leaf`` in the key store; its certificate (profile ``cps-leaf``, 2-3 months) is issued
by CPS Sub-CA 2 on first use and re-issued for the same key when less than ``rotate_before`` of its
validity is left, so a response is never signed by a certificate about to expire. Uses only the
Services-level ports (store, key store, RA, clock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pki.errors import AlreadyExists, KeyAccessError
from pki.policy import SubjectClaims
from pki.ports import KeyStore, Store
from pki.profiles import get_profile
from pki.registration import RegistrationAuthority

__all__ = ["SigningIdentity", "CpsSigner", "CpsLeafSigner", "CPS_KEY_LABEL"]

CPS_KEY_LABEL = "svc:cps-leaf"


@dataclass(frozen=True, slots=True)
class SigningIdentity:
    """A CPS leaf ready to sign: its key, certificate, sub-CAs (Sub-CA 2 first, as SubCertificates lists
    them) and the V2G root it chains to (never sent; matched against ListOfRootCertificateIDs)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    sub_cas: tuple[x509.Certificate, ...]
    root: x509.Certificate


class CpsSigner(Protocol):
    def identities(self) -> Sequence[SigningIdentity]:
        """The usable CPS leafs, preferred first (one per V2G root served)."""
        ...


class CpsLeafSigner:
    """``CpsSigner`` over the store: one CPS leaf under ``issuer``, created on first use, rotated early."""

    def __init__(
        self,
        store: Store,
        keys: KeyStore,
        ra: RegistrationAuthority,
        clock: Callable[[], datetime],
        *,
        issuer: str = "cps-sub2",
        common_name: str = "CPS Leaf",
        rotate_before: timedelta = timedelta(days=30),
        recheck: timedelta = timedelta(minutes=1),
    ) -> None:
        self.store, self.keys, self.ra, self.clock = store, keys, ra, clock
        self.issuer = issuer
        self.common_name = common_name
        self.rotate_before = rotate_before
        self.recheck = recheck  # re-read the store this often (a revoked CPS leaf is replaced within it)
        self._cached: tuple[SigningIdentity, datetime] | None = None  # identity, time to look again
        self._lock = threading.Lock()

    def identities(self) -> Sequence[SigningIdentity]:
        return (self.current(),)

    def current(self) -> SigningIdentity:
        now = self.clock()
        with self._lock:
            if self._cached is not None and now < self._cached[1]:
                return self._cached[0]
            identity = self._load_or_issue(now)
            rotate_at = identity.certificate.not_valid_after_utc - self._margin(identity.certificate)
            self._cached = (identity, min(rotate_at, now + self.recheck))
            return identity

    def _key(self, now: datetime) -> ec.EllipticCurvePrivateKey:
        if self.store.get_key(CPS_KEY_LABEL) is None:
            try:
                with self.store.transaction() as tx:
                    self.keys.create(tx, CPS_KEY_LABEL, "EC-P256", now)
            except AlreadyExists:
                pass  # another process created it first: use that one
        key = self.keys.load(CPS_KEY_LABEL)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise KeyAccessError(f"service key {CPS_KEY_LABEL!r} is not a P-256 key ([V2G2-007])")
        return key

    def _margin(self, cert: x509.Certificate) -> timedelta:
        # Never more than a third of the lifetime, or a short-lived CPS leaf would be re-issued at once.
        return min(self.rotate_before, (cert.not_valid_after_utc - cert.not_valid_before_utc) / 3)

    def _usable(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, now: datetime) -> bool:
        return (
            cert.public_key() == key.public_key()
            and cert.not_valid_before_utc <= now
            and now < cert.not_valid_after_utc - self._margin(cert)
        )

    def _load_or_issue(self, now: datetime) -> SigningIdentity:
        key = self._key(now)
        current = None
        for record in self.store.list_certificates(issuer=self.issuer, profile="cps-leaf", revoked=False, limit=20):
            cert = record.certificate
            if self._usable(cert, key, now):
                current = cert
                break
        if current is None:
            issued = self.ra.issue_for_key(
                key.public_key(), get_profile("cps-leaf"), SubjectClaims(common_name=self.common_name),
                requester=CPS_KEY_LABEL, issuer=self.issuer,
            )
            current = issued.certificate
        authority = self.ra.ca
        chain = [authority.ca_certificate(ca) for ca in authority.chain(self.issuer)]  # issuer first, root last
        return SigningIdentity(key=key, certificate=current, sub_cas=tuple(chain[:-1]), root=chain[-1])
