"""Subject rules per profile: what the certificate's subject will be, decided from the CSR's claims.

ISO 15118-2 certificates: attributes CN, O, C, DC in that order (all reference PKIs); DC is forced by the
profile (EVs check DC=CPO on the SECC leaf and DC=CPS on the CPS leaf). The CN is checked by the profile's
rule (eMAID, PCID, SECC-ID/EVSE-ID, station identity). O and C come from the request, else from the
issuing CA. Anything else in the request subject is refused, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from pki import identifiers
from pki.errors import InvalidIdentifier, PolicyRefused
from pki.names import Subject, simple_attributes
from pki.profiles import Profile, SubjectRule

__all__ = ["SubjectClaims", "claims_from_csr", "claims_from_name", "build_subject", "check_cn"]

_ALLOWED = {NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME, NameOID.DOMAIN_COMPONENT}
_UB_CN = 64  # RFC 5280 ub-common-name
_UB_O = 64  # RFC 5280 ub-organization-name


@dataclass(frozen=True, slots=True)
class SubjectClaims:
    common_name: str | None = None
    organization: str | None = None
    country: str | None = None
    domain_component: str | None = None


def claims_from_csr(csr: x509.CertificateSigningRequest, subject_der: bytes | None = None) -> SubjectClaims:
    """The claims of a CSR's subject; ``subject_der``: that subject as encoded (``pki.csr.CheckedCsr.subject_der``),
    then read directly when it is simple (``pki.names.simple_attributes``), else through ``claims_from_name``."""
    attributes = simple_attributes(subject_der) if subject_der is not None else None
    return _claims(attributes) if attributes is not None else claims_from_name(csr.subject)


def claims_from_name(name: x509.Name) -> SubjectClaims:
    """Read the claims of a request subject; refuse multi-valued RDNs, repeats and unexpected attributes."""

    def attributes() -> Iterator[tuple[x509.ObjectIdentifier, str]]:
        for rdn in name.rdns:
            if len(rdn) != 1:
                raise PolicyRefused("subject: multi-valued RDNs are not accepted")
            (attr,) = tuple(rdn)
            yield attr.oid, attr.value if isinstance(attr.value, str) else attr.value.decode()

    return _claims(attributes())


def _claims(attributes: Iterable[tuple[x509.ObjectIdentifier, str]]) -> SubjectClaims:
    """The claims of a subject's attributes, in order; refuse unexpected attributes and repeats."""
    values: dict[x509.ObjectIdentifier, str] = {}
    for oid, value in attributes:
        if oid not in _ALLOWED:
            raise PolicyRefused(f"subject: attribute {oid._name} is not accepted (only CN, O, C, DC)")
        if oid in values:
            raise PolicyRefused(f"subject: attribute {oid._name} appears more than once")
        values[oid] = value
    return SubjectClaims(
        common_name=values.get(NameOID.COMMON_NAME),
        organization=values.get(NameOID.ORGANIZATION_NAME),
        country=values.get(NameOID.COUNTRY_NAME),
        domain_component=values.get(NameOID.DOMAIN_COMPONENT),
    )


def _free_text(what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value.strip():
            raise InvalidIdentifier(f"{what}: must not be empty")
        if not value.isprintable():  # line breaks and other control characters have no place in a DN
            raise InvalidIdentifier(f"{what} {value!r}: control characters are not allowed")
        return value

    return check


_CN_RULES: dict[SubjectRule, Callable[[str], str]] = {
    SubjectRule.CA_NAME: _free_text("CA common name"),
    SubjectRule.CPS: _free_text("CPS common name"),
    SubjectRule.OCSP: _free_text("OCSP responder common name"),
    SubjectRule.EMAID: identifiers.validate_emaid,
    SubjectRule.PCID: identifiers.validate_pcid,
    SubjectRule.STATION: identifiers.validate_station_identity,
    SubjectRule.SECC: identifiers.validate_secc_cn,
}


def check_cn(profile: Profile, value: str) -> str:
    """The normalised CN for the profile, or ``InvalidIdentifier``."""
    global _last_cn
    rule = profile.subject_rule
    last = _last_cn
    if last[0] is rule and last[1] == value:  # policy, then the lint, check each new CN: the second time is free
        return last[2]
    if len(value) > _UB_CN:
        raise InvalidIdentifier(f"CN {value[:20]!r}...: {len(value)} characters, at most {_UB_CN} allowed")
    normalised = _CN_RULES[rule](value)
    _last_cn = (rule, value, normalised)  # one tuple, replaced whole (threads see a consistent entry)
    return normalised


_last_cn: tuple[SubjectRule | None, str, str] = (None, "", "")  # the last CN that passed its rule


def build_subject(
    profile: Profile,
    claims: SubjectClaims,
    issuer_subject: x509.Name | Subject,
    *,
    expected_cn: str | None = None,
    expected_organization: str | None = None,
) -> Subject:
    """The final subject for ``profile``. ``expected_*`` bind the request to an authenticated identity
    (e.g. the station identity the OCPP connection proved, OCPP A02.FR.06)."""
    if not claims.common_name:
        raise PolicyRefused(f"subject: CN is required for profile {profile.name}")
    cn = check_cn(profile, claims.common_name)
    if expected_cn is not None and cn != expected_cn:
        raise PolicyRefused(f"subject: CN {cn!r} does not match the authenticated identity {expected_cn!r}")
    org = claims.organization or _first(issuer_subject, NameOID.ORGANIZATION_NAME)
    if expected_organization is not None:
        if claims.organization is not None and claims.organization != expected_organization:
            raise PolicyRefused(
                f"subject: O {claims.organization!r} does not match the operator {expected_organization!r}"
            )
        org = expected_organization
    if org is not None and len(org) > _UB_O:
        raise PolicyRefused(f"subject: O has {len(org)} characters, at most {_UB_O} allowed")
    if org is not None and not org.isprintable():
        raise PolicyRefused(f"subject: O {org!r} contains control characters")
    country = claims.country or _first(issuer_subject, NameOID.COUNTRY_NAME)
    if country is not None and (len(country) != 2 or not country.isalpha() or not country.isascii()):
        raise PolicyRefused(f"subject: C {country!r} must be a 2-letter ISO 3166 country code")
    dc = profile.domain_component
    if claims.domain_component is not None and claims.domain_component != dc:
        raise PolicyRefused(
            f"subject: DC {claims.domain_component!r} is wrong for profile {profile.name} (must be {dc!r})"
            if dc
            else f"subject: DC is not used in profile {profile.name}"
        )
    attrs = [(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append((NameOID.ORGANIZATION_NAME, org))
    if country:
        attrs.append((NameOID.COUNTRY_NAME, country.upper()))
    if dc:
        attrs.append((NameOID.DOMAIN_COMPONENT, dc))
    return Subject.of(attrs)  # one attribute per RDN, in the order CN, O, C, DC


def _first(name: x509.Name | Subject, oid: x509.ObjectIdentifier) -> str | None:
    if isinstance(name, Subject):
        values = name.values(oid)
        return values[0] if values else None
    found = name.get_attributes_for_oid(oid)
    if not found:
        return None
    value = found[0].value
    return value if isinstance(value, str) else value.decode()
