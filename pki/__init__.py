"""The CA core: profiles, identifiers, CSR policy, lint-before-sign issuance, revocation, CRLs, path
validation. Pure: no HTTP, no SQL, no clock; storage and time are passed in (see ``pki.ports``).

Modules are imported directly (``from pki.registration import RegistrationAuthority``); this package
re-exports nothing.
"""

__all__: list[str] = []
