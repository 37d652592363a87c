"""Standing up the hierarchy: the declarative "ceremony" run by ``pnc init``.

The whole hierarchy (V2G root, CPO and CPS sub-CAs, MO and OEM PKIs, the OCPP CSO CAs) is created in ONE
store transaction, so an interrupted or refused init leaves nothing behind. Configuration is a TOML file
(all keys optional)::

    organization = "Example CPO GmbH"      # O of every CA unless overridden
    country = "DE"
    public_url = "https://pki.example.com"  # base of the OCSP / CRL URLs (env PNC_PUBLIC_URL overrides)
    cas = ["v2g-root", "cpo-sub1", ...]     # which CAs to create (default: all)

    [validity]                              # default validity in days per profile
    secc = 60

    [ca.v2g-root]                           # per CA: cn, organization, country, key, crl_distribution, days
    cn = "Example V2G Root CA"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from pki.authority import CertificateAuthority, check_public_url
from pki.errors import InvalidInput
from pki.model import CaRecord
from pki.ports import PrivateKey, StoreTx
from pki.profiles import DEFAULT_ISSUER, PROFILES, KeySpec, Profile, get_profile

__all__ = ["CaSpec", "HierarchyConfig", "load_config", "parse_config", "DEFAULT_CAS", "build_hierarchy"]

# Parents before children.
DEFAULT_CAS: tuple[str, ...] = (
    "v2g-root", "cpo-sub1", "cpo-sub2", "cps-sub1", "cps-sub2",
    "mo-root", "mo-sub1", "mo-sub2", "oem-root", "oem-sub1", "oem-sub2", "cso-root", "cso-sub",
)  # fmt: skip

_DEFAULT_CN = {
    "v2g-root": "V2G Root CA", "cpo-sub1": "CPO Sub-CA 1", "cpo-sub2": "CPO Sub-CA 2",
    "cps-sub1": "CPS Sub-CA 1", "cps-sub2": "CPS Sub-CA 2", "mo-root": "MO Root CA", "mo-sub1": "MO Sub-CA 1",
    "mo-sub2": "MO Sub-CA 2", "oem-root": "OEM Root CA", "oem-sub1": "OEM Sub-CA 1", "oem-sub2": "OEM Sub-CA 2",
    "cso-root": "CSO Root CA", "cso-sub": "CSO Sub-CA",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaSpec:
    name: str
    profile: str
    cn: str
    organization: str
    country: str
    key: str = KeySpec.EC_P256.value
    crl_distribution: bool = False
    validity: timedelta | None = None
    parent: str | None = None


# Short on purpose: O appears in subject and issuer of all six certificates of a CertificateInstallationRes,
# which must fit OCPP exiResponse (5600 base64 characters in the OCA schema).
DEFAULT_ORGANIZATION = "PNC"
DEFAULT_COUNTRY = "DE"


@dataclass(frozen=True, slots=True)
class HierarchyConfig:
    organization: str = DEFAULT_ORGANIZATION
    country: str = DEFAULT_COUNTRY
    public_url: str | None = None
    cas: tuple[CaSpec, ...] = ()
    validity: Mapping[str, timedelta] = field(default_factory=dict)


_TOP_KEYS = ("organization", "country", "public_url", "cas", "validity", "ca")
_CA_KEYS = ("profile", "parent", "cn", "organization", "country", "key", "crl_distribution", "days")
_UB_NAME = 64  # RFC 5280 ub-common-name, ub-organization-name


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"config: {where} must be a table")
    return value


def _text(raw: Mapping[str, Any], key: str, where: str, default: str) -> str:
    """A subject attribute: CN and O 1..64 characters, C two ASCII letters (X.520 / RFC 5280 upper bounds)."""
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise InvalidInput(f"config: {where}{key} must be a string")
    if key == "country":
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise InvalidInput(f"config: {where}country {value!r} must be a 2-letter ISO 3166 code")
        return value.upper()
    if not value.strip() or len(value) > _UB_NAME:
        raise InvalidInput(f"config: {where}{key} must have 1..{_UB_NAME} characters")
    return value


def _days(value: object, profile: Profile, where: str) -> timedelta:
    """Whole days, 1 up to the profile's maximum validity."""
    limit = profile.max_validity.days
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise InvalidInput(f"config: {where} must be a whole number of days from 1 to {limit} ({profile.name})")
    return timedelta(days=value)


def _ca_spec(name: str, base: HierarchyConfig, raw: Mapping[str, Any], chosen: set[str]) -> CaSpec:
    where = f"[ca.{name}] "
    unknown = sorted(set(raw) - set(_CA_KEYS))
    if unknown:
        raise InvalidInput(f"config: {where}unknown keys {unknown} (known: {', '.join(_CA_KEYS)})")
    profile_name = raw.get("profile", name)
    if not isinstance(profile_name, str):
        raise InvalidInput(f"config: {where}profile must be a string")
    profile = get_profile(profile_name)
    if not profile.is_ca:
        raise InvalidInput(f"config: {name}: profile {profile.name} is not a CA profile")
    parent = raw.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise InvalidInput(f"config: {where}parent must be a CA name")
    if parent is None and profile.issuers:
        default = DEFAULT_ISSUER.get(profile.name)
        # Sub-CA 1 may be absent (pnc-facts §1): then Sub-CA 2 hangs directly below the root.
        parent = default if default in chosen else next((p for p in profile.issuers if p in chosen), None)
        if parent is None:
            raise InvalidInput(f"config: {name} needs one of {', '.join(profile.issuers)} in `cas`")
    key = raw.get("key", KeySpec.EC_P256.value)
    if key not in profile.keys:
        raise InvalidInput(f"config: {name}: key {key} not allowed (allowed: {', '.join(profile.keys)})")
    crl_distribution = raw.get("crl_distribution", False)
    if not isinstance(crl_distribution, bool):
        raise InvalidInput(f"config: {where}crl_distribution must be true or false")
    return CaSpec(
        name=name,
        profile=profile.name,
        cn=_text(raw, "cn", where, _DEFAULT_CN.get(name, name)),
        organization=_text(raw, "organization", where, base.organization),
        country=_text(raw, "country", where, base.country),
        key=str(key),
        crl_distribution=crl_distribution,
        validity=_days(raw["days"], profile, f"{where}days") if "days" in raw else None,
        parent=parent,
    )


def load_config(path: Path | None) -> HierarchyConfig:
    """The hierarchy of a TOML file (None: the defaults). ``InvalidInput`` names the first problem."""
    if path is None:
        return parse_config("")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"config {path}: {exc}") from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "config") -> HierarchyConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        raise InvalidInput(f"config: unknown keys {unknown} (known: {', '.join(_TOP_KEYS)})")
    validity: dict[str, timedelta] = {}
    for prof, days in _table(raw.get("validity", {}), "[validity]").items():
        if prof not in PROFILES:
            raise InvalidInput(f"config: [validity] names unknown profile {prof!r}")
        validity[prof] = _days(days, PROFILES[prof], f"[validity] {prof}")
    public_url = raw.get("public_url")
    if public_url is not None and not isinstance(public_url, str):
        raise InvalidInput(f"config: public_url must be an http:// or https:// URL, not {public_url!r}")
    if public_url is not None:
        check_public_url(public_url)
    base = HierarchyConfig(
        organization=_text(raw, "organization", "", DEFAULT_ORGANIZATION),
        country=_text(raw, "country", "", DEFAULT_COUNTRY),
        public_url=public_url,
        validity=validity,
    )
    names = raw.get("cas", DEFAULT_CAS)
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise InvalidInput("config: `cas` must be a list of CA names")
    if len(set(names)) != len(names):
        raise InvalidInput("config: `cas` names a CA more than once")
    per_ca = _table(raw.get("ca", {}), "[ca]")
    for extra in set(per_ca) - set(names):
        raise InvalidInput(f"config: [ca.{extra}] is not in `cas`")
    chosen: set[str] = set()
    specs = []
    for name in names:
        spec = _ca_spec(name, base, _table(per_ca.get(name, {}), f"[ca.{name}]"), chosen)
        chosen.add(name)
        specs.append(spec)
    return HierarchyConfig(base.organization, base.country, base.public_url, tuple(specs), validity)


def _subject(spec: CaSpec) -> x509.Name:
    profile = get_profile(spec.profile)
    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, spec.cn),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, spec.organization),
        x509.NameAttribute(NameOID.COUNTRY_NAME, spec.country),
    ]
    if profile.domain_component:
        attrs.append(x509.NameAttribute(NameOID.DOMAIN_COMPONENT, profile.domain_component))
    return x509.Name(attrs)


def build_hierarchy(
    authority: CertificateAuthority, tx: StoreTx, config: HierarchyConfig, *, actor: str
) -> list[CaRecord]:
    """Create every CA of ``config`` inside ``tx``, parents first."""
    created: dict[str, tuple[CaRecord, PrivateKey]] = {}
    for spec in config.cas:
        parent = created.get(spec.parent) if spec.parent is not None else None
        if spec.parent is not None and parent is None:
            raise InvalidInput(f"config: {spec.name}: parent {spec.parent!r} must be listed before it")
        created[spec.name] = authority.create_ca(
            tx,
            name=spec.name,
            profile=get_profile(spec.profile),
            subject=_subject(spec),
            key_algorithm=spec.key,
            parent=parent,
            actor=actor,
            validity=spec.validity,
            crl_distribution=spec.crl_distribution,
        )
    return [record for record, _key in created.values()]
