"""Contract certificate provisioning: answering Get15118EVCertificate (CertificateInstallation and
CertificateUpdate, ISO 15118-2) with a fresh contract certificate from our MO CA, its key encrypted for the
EV, signed by our CPS leaf.

    ctx = ProvisioningContext(registry, trust, services.ra, CpsLeafSigner(store, keys, ra, clock), clock,
                              revocation=store_revocation_check(store))
    result = answer(exi_request_bytes, ctx)       # Answer: .exi, .response_code, .emaid, .message
    # UnusableRequest: not EXI / not a certificate request -> OCPP Failed

``iso15118.contract.testing`` builds the EV side (OEM provisioning certificate, signed requests) for tests
and the demo.
"""

from iso15118.contract.cps import CPS_KEY_LABEL, CpsLeafSigner, CpsSigner, SigningIdentity
from iso15118.contract.errors import Action, Answer, ContractError, SelfCheckFailed, UnusableRequest
from iso15118.contract.request import MAX_EXI_REQUEST_CHARS, decode_base64
from iso15118.contract.service import ProvisioningContext, answer

__all__ = [
    "Action",
    "Answer",
    "ContractError",
    "UnusableRequest",
    "SelfCheckFailed",
    "ProvisioningContext",
    "answer",
    "decode_base64",
    "MAX_EXI_REQUEST_CHARS",
    "CpsSigner",
    "CpsLeafSigner",
    "SigningIdentity",
    "CPS_KEY_LABEL",
]
