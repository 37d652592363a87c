"""The registration authority: turns requests (CSRs, renewals, revocations) into policy-approved
issuance calls. Holds no keys; decides what may be issued to whom.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from cryptography import x509

from pki.authority import CertificateAuthority, Issued, serial_hex
from pki.csr import check_key, read_csr
from pki.errors import NotFound, PolicyRefused
from pki.model import CertificateRecord, RevocationReason
from pki.policy import SubjectClaims, build_subject, claims_from_csr
from pki.ports import PublicKey
from pki.profiles import DEFAULT_ISSUER, Kind, Profile, get_profile

__all__ = ["RegistrationAuthority", "parse_serial"]

_HEX = re.compile(r"[0-9a-f]+")


def parse_serial(text: str) -> int:
    """A serial as operators write it: hex, optionally with ``0x`` or ``:`` separators."""
    cleaned = text.strip().lower().removeprefix("0x").replace(":", "")
    if not _HEX.fullmatch(cleaned):  # int(..., 16) alone would also take "-5", "+5" and "1_0"
        raise NotFound(f"{text!r} is not a serial number (hexadecimal expected)")
    return int(cleaned, 16)


class RegistrationAuthority:
    def __init__(self, ca: CertificateAuthority) -> None:
        self.ca = ca

    def default_issuer(self, profile: Profile) -> str:
        name = DEFAULT_ISSUER.get(profile.name)
        if name is None:
            raise PolicyRefused(f"profile {profile.name} has no default issuing CA; name one with --issuer")
        return name

    def issue_from_csr(
        self,
        csr_data: bytes,
        profile_name: str,
        *,
        requester: str,
        issuer: str | None = None,
        validity: timedelta | None = None,
        not_after: datetime | None = None,
        expected_cn: str | None = None,
        expected_organization: str | None = None,
    ) -> Issued:
        """CSR → certificate: proof of possession, key policy, subject rules; CSR extensions ignored."""
        profile = get_profile(profile_name)
        if profile.kind is Kind.ROOT:
            raise PolicyRefused("root certificates are created by `pnc init`, not from a CSR")
        checked = read_csr(csr_data)
        return self.issue_for_key(
            checked.public_key,
            profile,
            claims_from_csr(checked.csr, checked.subject_der),
            spki=checked.spki,
            requester=requester,
            issuer=issuer,
            validity=validity,
            not_after=not_after,
            expected_cn=expected_cn,
            expected_organization=expected_organization,
        )

    def issue_for_key(
        self,
        public_key: PublicKey,
        profile: Profile,
        claims: SubjectClaims,
        *,
        requester: str,
        issuer: str | None = None,
        validity: timedelta | None = None,
        not_after: datetime | None = None,
        expected_cn: str | None = None,
        expected_organization: str | None = None,
        replaces: int | None = None,
        action: str = "cert.issue",
        spki: bytes | None = None,
    ) -> Issued:
        """``spki``: the key's SubjectPublicKeyInfo when already encoded (``pki.csr.CheckedCsr.spki``)."""
        check_key(profile, public_key)
        issuer_name = issuer or self.default_issuer(profile)
        issuer_ca = self.ca.ca(issuer_name)
        subject = build_subject(
            profile,
            claims,
            self.ca.ca_subject(issuer_ca),
            expected_cn=expected_cn,
            expected_organization=expected_organization,
        )
        return self.ca.issue(
            profile=profile,
            subject=subject,
            public_key=public_key,
            issuer=issuer_name,
            requester=requester,
            validity=validity,
            not_after=not_after,
            replaces=replaces,
            action=action,
            spki=spki,
        )

    def _existing(self, serial: int) -> tuple[CertificateRecord, x509.Certificate, Profile]:
        record = self.ca.store.get_certificate(serial)
        if record is None:
            raise NotFound(f"no certificate with serial {serial_hex(serial)}")
        profile = get_profile(record.profile)
        if profile.is_ca:
            raise PolicyRefused(f"{serial_hex(serial)} is a CA certificate; CAs are renewed by a ceremony")
        if record.revoked:
            raise PolicyRefused(f"certificate {serial_hex(serial)} is revoked and cannot be renewed")
        return record, record.certificate, profile

    def renew(self, serial: int, *, requester: str, validity: timedelta | None = None) -> Issued:
        """Same subject and key, new serial and validity, from the same CA."""
        record, cert, profile = self._existing(serial)
        return self.ca.issue(
            profile=profile,
            subject=cert.subject,
            public_key=cert.public_key(),  # type: ignore[arg-type]
            issuer=record.issuer,
            requester=requester,
            validity=validity,
            replaces=serial,
            action="cert.renew",
        )

    def rekey(self, serial: int, csr_data: bytes, *, requester: str, validity: timedelta | None = None) -> Issued:
        """Same subject, new key from a CSR (proof of possession and key policy as for a new request)."""
        record, cert, profile = self._existing(serial)
        checked = read_csr(csr_data)
        public_key = checked.public_key
        check_key(profile, public_key)
        claims = claims_from_csr(checked.csr, checked.subject_der)
        old_cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        if claims.common_name is not None and claims.common_name != old_cn:
            raise PolicyRefused(f"re-key CSR has CN {claims.common_name!r}, the certificate has {old_cn!r}")
        if public_key.public_numbers() == cert.public_key().public_numbers():  # type: ignore[union-attr]
            raise PolicyRefused("re-key CSR carries the old key; use renew to keep the key")
        return self.ca.issue(
            profile=profile,
            subject=cert.subject,
            public_key=public_key,
            issuer=record.issuer,
            requester=requester,
            validity=validity,
            replaces=serial,
            action="cert.rekey",
        )

    def revoke(
        self, serial: int, reason: RevocationReason, *, requester: str, at: datetime | None = None
    ) -> CertificateRecord:
        return self.ca.revoke(serial, reason, requester, at=at)
