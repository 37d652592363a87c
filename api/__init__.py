"""HTTP API of the PKI service (FastAPI): EST on every path variant CSMSs use, OAuth2 client-credentials
tokens, OCPP-shaped certificate signing, OPCP root distribution and operator endpoints.

    from api import create_app, ApiSettings
    app = create_app(services, settings=ApiSettings())

Reuse in later routers: ``api.auth.require_role``, ``api.context.get_context``, ``api.errors.ApiError``.
"""

from api.app import create_app
from api.settings import ApiSettings, EstLabel

__all__ = ["create_app", "ApiSettings", "EstLabel"]
