"""OCSP responder (RFC 6960, RFC 5019/9919 lightweight profile), CRL distribution and a caching OCSP client.

    app = ocsp.app.create_app(services)                  # bare ASGI: POST /ocsp, GET /ocsp/{b64}, GET /crl/{ca}.crl
    client = ocsp.client.OcspClient(services, allowed_hosts={"ocsp.example.com"})
"""

from ocsp.errors import OcspError
from ocsp.settings import OcspSettings

__all__ = ["OcspError", "OcspSettings"]
