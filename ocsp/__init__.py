"""OCSP responder (RFC 6960, RFC 5019/9919 lightweight profile), CRL distribution and a caching OCSP client.

    app = ocsp.app.create_app(services)        # bare ASGI: POST /ocsp, GET /ocsp/{b64}, GET /crl/{ca}.crl,
                                                # POST /ocsp/_internal/changed (bearer PNC_INTERNAL_TOKEN)
    await app.start() / app.refresh_all()       # also driven by the ASGI lifespan
    ocsp.notify.HttpRevocationNotifier(url, token).notify(record)   # another process revoked/issued
    client = ocsp.client.OcspClient(services, allowed_hosts={"ocsp.example.com"})
    der = client.status_for_request_data("SHA256", name_hash, key_hash, serial_hex, responder_url)

Modules: ``request`` (decode), ``responder`` (state, pre-signed cache, live signing), ``signers`` (delegated
responder certificates), ``signing`` + ``der`` (encoding), ``crl``, ``app`` (HTTP), ``notify``, ``client`` +
``verify``, ``cli`` (`pnc ocsp check`), ``_asn1`` (asn1crypto, request parsing only).
"""

from ocsp.errors import OcspError
from ocsp.settings import OcspSettings

__all__ = ["OcspError", "OcspSettings"]
