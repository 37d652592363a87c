"""Certificate profiles as data: one table a reviewer can read top to bottom.

Sources (see ../shared/docs/pnc-facts.md §1 and reference/iso15118.md §1.3): ISO 15118-2:2014 Annex F
and [V2G2-006..010] (X.509 v3, P-256, ecdsa-with-SHA256, <= 800 bytes DER, path length <= 2 sub-CAs),
the SwitchEV / RISE-V2G / EVerest test PKIs (DN order CN, O, C, DC; key usages; DC values), Hubject
(V2G root 40 years; SECC leaf DC=CPO, CN=SECC-ID), OCPP 2.0.1 A00.FR.4xx/5xx (station certificate: O = the
CSO, CN = the station identity), RFC 6960 §4.2.2.2 (delegated OCSP responder: id-kp-OCSPSigning,
id-pkix-ocsp-nocheck).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from pki.errors import NotFound, PolicyRefused

__all__ = [
    "Kind",
    "KeySpec",
    "SubjectRule",
    "Profile",
    "PROFILES",
    "get_profile",
    "with_validity",
    "ISO15118_MAX_DER",
    "DEFAULT_ISSUER",
    "KEY_USAGE_FIELDS",
]

ISO15118_MAX_DER = 800  # [V2G2-010] / certificateType maxLength 800 in V2G_CI_MsgDataTypes.xsd


class Kind(enum.StrEnum):
    ROOT = "root"
    SUB_CA = "sub-ca"
    LEAF = "leaf"


class KeySpec(enum.StrEnum):
    """Key algorithms; the value is the key store's algorithm name."""

    EC_P256 = "EC-P256"
    EC_P384 = "EC-P384"
    RSA_2048 = "RSA-2048"
    RSA_3072 = "RSA-3072"


class SubjectRule(enum.StrEnum):
    """How the subject CN is checked (see ``pki.policy``)."""

    CA_NAME = "ca-name"  # free text CA name
    SECC = "secc"  # SECC-ID or EVSE-ID (Hubject 3.7: CN = SECC-ID)
    CPS = "cps"  # free text
    EMAID = "emaid"  # ISO 15118-2 Annex H eMAID
    PCID = "pcid"  # VDE-AR-E 2802-100-1 PCID
    OCSP = "ocsp"  # free text
    STATION = "station"  # OCPP charging station identity


ISO_KEYS = (KeySpec.EC_P256,)  # [V2G2-007] secp256r1 only
STATION_KEYS = (KeySpec.EC_P256, KeySpec.EC_P384, KeySpec.RSA_2048, KeySpec.RSA_3072)  # OCPP A00.FR.4xx

# The keyUsage bits a profile may set (RFC 5280 §4.2.1.3), as attribute names of cryptography's x509.KeyUsage;
# encipherOnly/decipherOnly are never used.
KEY_USAGE_FIELDS = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign",
)  # fmt: skip
CA_USAGE = frozenset({"key_cert_sign", "crl_sign"})
YEAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    kind: Kind
    iso15118: bool  # ISO 15118-2 rules: P-256 only, ecdsa-with-SHA256, DN order CN,O,C,DC, no EKU, <= 800 B
    issuers: tuple[str, ...]  # profiles whose CAs may sign this profile (empty for roots)
    key_usage: frozenset[str]  # attribute names of cryptography's x509.KeyUsage that are set
    keys: tuple[KeySpec, ...]
    default_validity: timedelta
    max_validity: timedelta
    subject_rule: SubjectRule
    domain_component: str | None = None  # DC forced into the subject (ISO 15118), None = no DC
    path_length: int | None = None  # basicConstraints pathLenConstraint for CAs; None = absent
    extended_key_usage: tuple[ObjectIdentifier, ...] = ()
    ocsp_nocheck: bool = False
    description: str = ""

    def __hash__(self) -> int:  # profiles key several caches: the name is enough (equal profiles, equal names)
        return hash(self.name)

    @property
    def is_ca(self) -> bool:
        return self.kind is not Kind.LEAF

    @property
    def max_der_size(self) -> int | None:
        return ISO15118_MAX_DER if self.iso15118 else None


def _ca(
    name: str,
    kind: Kind,
    issuers: tuple[str, ...],
    dc: str | None,
    path_length: int | None,
    validity: timedelta,
    max_validity: timedelta,
    description: str,
    *,
    iso: bool = True,
) -> Profile:
    return Profile(
        name=name,
        kind=kind,
        iso15118=iso,
        issuers=issuers,
        key_usage=CA_USAGE,
        keys=ISO_KEYS if iso else (KeySpec.EC_P256, KeySpec.EC_P384),
        default_validity=validity,
        max_validity=max_validity,
        subject_rule=SubjectRule.CA_NAME,
        domain_component=dc,
        path_length=path_length,
        description=description,
    )


_ALL_CAS = (
    "v2g-root", "cpo-sub1", "cpo-sub2", "cps-sub1", "cps-sub2", "mo-root", "mo-sub1", "mo-sub2",
    "oem-root", "oem-sub1", "oem-sub2", "cso-root", "cso-sub",
)  # fmt: skip

_TABLE: tuple[Profile, ...] = (
    # --- V2G PKI (charge point operator side) -----------------------------------------------------------
    _ca("v2g-root", Kind.ROOT, (), "V2G", None, 40 * YEAR, 40 * YEAR, "V2G Root CA (Hubject: 40 years)"),
    _ca("cpo-sub1", Kind.SUB_CA, ("v2g-root",), "V2G", 1, 4 * YEAR, 4 * YEAR, "CPO Sub-CA 1"),
    _ca("cpo-sub2", Kind.SUB_CA, ("cpo-sub1", "v2g-root"), "V2G", 0, 2 * YEAR, 2 * YEAR, "CPO Sub-CA 2 (1-2 y)"),
    Profile(
        name="secc",
        kind=Kind.LEAF,
        iso15118=True,
        issuers=("cpo-sub2",),
        key_usage=frozenset({"digital_signature", "key_agreement"}),
        keys=ISO_KEYS,
        default_validity=timedelta(days=90),
        max_validity=YEAR,
        subject_rule=SubjectRule.SECC,
        domain_component="CPO",  # EVs check DC=CPO (RISE-V2G verifyDomainComponent)
        description="SECC leaf: TLS server certificate of the charging station (ISO: 2-3 months)",
    ),
    # --- certificate provisioning service (signs CertificateInstallation/UpdateRes) --------------------
    _ca("cps-sub1", Kind.SUB_CA, ("v2g-root",), "CPS", 1, 4 * YEAR, 4 * YEAR, "CPS Sub-CA 1"),
    _ca("cps-sub2", Kind.SUB_CA, ("cps-sub1", "v2g-root"), "CPS", 0, 2 * YEAR, 2 * YEAR, "CPS Sub-CA 2"),
    Profile(
        name="cps-leaf",
        kind=Kind.LEAF,
        iso15118=True,
        issuers=("cps-sub2",),
        key_usage=frozenset({"digital_signature"}),
        keys=ISO_KEYS,
        default_validity=timedelta(days=90),
        max_validity=YEAR,
        subject_rule=SubjectRule.CPS,
        domain_component="CPS",  # EVs check DC=CPS
        description="CPS leaf: signs contract certificate installation/update responses (ISO: 2-3 months)",
    ),
    # --- mobility operator PKI --------------------------------------------------------------------------
    _ca("mo-root", Kind.ROOT, (), "MO", None, 10 * YEAR, 40 * YEAR, "MO Root CA"),
    _ca("mo-sub1", Kind.SUB_CA, ("mo-root", "v2g-root"), "MO", 1, 4 * YEAR, 4 * YEAR, "MO Sub-CA 1"),
    _ca("mo-sub2", Kind.SUB_CA, ("mo-sub1", "mo-root"), "MO", 0, 2 * YEAR, 4 * YEAR, "MO Sub-CA 2"),
    Profile(
        name="contract",
        kind=Kind.LEAF,
        iso15118=True,
        issuers=("mo-sub2",),
        # we: digitalSignature + keyAgreement (EVerest) plus nonRepudiation (SwitchEV/RISE-V2G/Entrust)
        key_usage=frozenset({"digital_signature", "key_agreement", "content_commitment"}),
        keys=ISO_KEYS,
        default_validity=YEAR,
        max_validity=2 * YEAR,
        subject_rule=SubjectRule.EMAID,
        domain_component="MO",
        description="Contract certificate, CN = eMAID (ISO: 4 weeks to 2 years)",
    ),
    # --- OEM PKI ----------------------------------------------------------------------------------------
    _ca("oem-root", Kind.ROOT, (), "OEM", None, 10 * YEAR, 40 * YEAR, "OEM Root CA"),
    _ca("oem-sub1", Kind.SUB_CA, ("oem-root",), "OEM", 1, 4 * YEAR, 10 * YEAR, "OEM Sub-CA 1"),
    _ca("oem-sub2", Kind.SUB_CA, ("oem-sub1", "oem-root"), "OEM", 0, 4 * YEAR, 10 * YEAR, "OEM Sub-CA 2"),
    Profile(
        name="oem-provisioning",
        kind=Kind.LEAF,
        iso15118=True,
        issuers=("oem-sub2",),
        key_usage=frozenset({"digital_signature", "key_agreement"}),  # its key is the ECDH peer
        keys=ISO_KEYS,
        default_validity=4 * YEAR,
        max_validity=20 * YEAR,
        subject_rule=SubjectRule.PCID,
        domain_component="OEM",
        description="OEM provisioning certificate, CN = PCID",
    ),
    # --- delegated OCSP responder (RFC 6960 §4.2.2.2), one per CA ------------------------------------------
    Profile(
        name="ocsp-responder",
        kind=Kind.LEAF,
        iso15118=False,
        issuers=_ALL_CAS,
        key_usage=frozenset({"digital_signature"}),
        keys=(KeySpec.EC_P256, KeySpec.EC_P384),
        default_validity=timedelta(days=30),
        max_validity=YEAR,
        subject_rule=SubjectRule.OCSP,
        extended_key_usage=(ExtendedKeyUsageOID.OCSP_SIGNING,),
        ocsp_nocheck=True,
        description="Delegated OCSP responder (id-kp-OCSPSigning + id-pkix-ocsp-nocheck)",
    ),
    # --- OCPP charging station operator PKI (security profile 3 client certificates) ---------------------
    _ca("cso-root", Kind.ROOT, (), None, None, 20 * YEAR, 40 * YEAR, "CSO Root CA (OCPP)", iso=False),
    _ca("cso-sub", Kind.SUB_CA, ("cso-root",), None, 0, 4 * YEAR, 10 * YEAR, "CSO Sub-CA (OCPP)", iso=False),
    Profile(
        name="charging-station",
        kind=Kind.LEAF,
        iso15118=False,
        issuers=("cso-sub",),
        key_usage=frozenset({"digital_signature"}),
        keys=STATION_KEYS,
        default_validity=YEAR,
        max_validity=5 * YEAR,
        subject_rule=SubjectRule.STATION,
        extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,),
        description="OCPP charging station certificate: O = CSO, CN = station identity (A00.FR.4xx/5xx)",
    ),
)

PROFILES: Mapping[str, Profile] = {p.name: p for p in _TABLE}

# The CA that issues a profile when the operator names none (default CA names equal profile names).
DEFAULT_ISSUER: Mapping[str, str] = {
    "cpo-sub1": "v2g-root",
    "cpo-sub2": "cpo-sub1",
    "secc": "cpo-sub2",
    "cps-sub1": "v2g-root",
    "cps-sub2": "cps-sub1",
    "cps-leaf": "cps-sub2",
    "mo-sub1": "mo-root",
    "mo-sub2": "mo-sub1",
    "contract": "mo-sub2",
    "oem-sub1": "oem-root",
    "oem-sub2": "oem-sub1",
    "oem-provisioning": "oem-sub2",
    "cso-sub": "cso-root",
    "charging-station": "cso-sub",
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise NotFound(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


def with_validity(profile: Profile, validity: timedelta) -> Profile:
    """The profile with another default validity (operator configuration); never beyond its maximum."""
    if validity <= timedelta(0):
        raise PolicyRefused(f"profile {profile.name}: validity must be positive")
    if validity > profile.max_validity:
        raise PolicyRefused(
            f"profile {profile.name}: validity {validity.days} days exceeds the maximum of "
            f"{profile.max_validity.days} days"
        )
    return replace(profile, default_validity=validity)
