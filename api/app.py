"""``create_app``: the FastAPI application of the PKI service (OpenAPI docs at ``/docs``).

Routers, in matching order: auth (``/oauth/token``), OCPP bridge (``/v1/ocpp``), OPCP roots (``/v1/root``),
operator (``/v1/certificates``, ``/v1/cas``), any ``extra_routers``, then EST (its root-level ``/{ca}/...``
routes go last so they never shadow a fixed path). ``/ocsp`` and ``/crl`` are not mounted here: the combined
app dispatches them to the OCSP app.

Adding endpoints later (e.g. contract provisioning for the ``mo`` role)::

    router = APIRouter(prefix="/v1/ccp")

    @router.post("/signedContractData")
    def signed_contract_data(body: Model,
                             ctx: Annotated[ApiContext, Depends(get_context)],
                             requester: Annotated[Requester, Depends(require_role(Role.MO))]) -> dict: ...

    app = create_app(services, extra_routers=[router])

Raise ``pki.errors`` exceptions or ``api.errors.ApiError``: the handlers map them to status codes and to the
path's error format (OPCP ``errorMessages`` under ``/v1/ccp``, problem+json elsewhere).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI

from api import auth, contract_routes, est, ocpp, operator, roots
from api.context import ActiveClients, ApiContext, ClientDirectory
from api.errors import install_error_handlers
from api.est_lane import EnrolmentLane
from api.middleware import BodyLimitMiddleware, ErrorBarrierMiddleware
from api.settings import ApiSettings
from api.tokens import TokenSigner
from ca_store.services import Services

__all__ = ["create_app"]

_DESCRIPTION = """Plug & Charge PKI service: EST enrolment of SECC certificates (every path variant Hubject
clients use: `/.well-known/est[/{label}]/...`, `/.well-known/{ca}/...`, `/{ca}/...[/{iso}[/{alg}]]`),
OAuth2 client-credentials tokens, OCPP 2.0.1-shaped certificate signing, OPCP root certificate pool and
operator endpoints. Errors: problem+json (RFC 9457); OPCP `errorMessages` on OPCP paths; text/plain on EST."""


# No OpenTelemetry: FastAPI versions with native telemetry otherwise look up the global OTel providers (and the
# environment) on every request to decide whether to trace it. Older versions have no such parameter.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)


def create_app(
    services: Services,
    *,
    settings: ApiSettings | None = None,
    extra_routers: Iterable[APIRouter] = (),
    clients: ClientDirectory | None = None,
) -> FastAPI:
    """The app for ``services`` (``ca_store.services.Services``). ``clients`` defaults to the store's clients
    table (``ca_store.clients.ClientRepository``); the token secret is read (or created once) from it."""
    settings = settings or ApiSettings()
    if clients is None:
        from ca_store.clients import ClientRepository
        from ca_store.store import SqlStore

        if not isinstance(services.store, SqlStore):
            raise TypeError("services.store is not a SqlStore: pass clients= (an api.context.ClientDirectory)")
        clients = ClientRepository(services.store)
    signer = TokenSigner(clients.token_secret(), services.clock, issuer=settings.token_issuer)
    active = ActiveClients(clients, settings.client_recheck.total_seconds())
    inline = settings.inline_core_calls
    if inline is None:
        inline = getattr(services.store, "dialect", None) == "sqlite"
    ctx = ApiContext(services, settings, clients, signer, active, inline=inline)

    app = FastAPI(title="pnc PKI API", version="1", description=_DESCRIPTION, docs_url="/docs",
                  redoc_url=None, openapi_url="/openapi.json", **_NO_TELEMETRY)
    app.state.pnc = ctx
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ErrorBarrierMiddleware)  # also catches errors of the body cap
    app.add_middleware(EnrolmentLane, max_bytes=settings.max_body_bytes)  # outermost: POST EST enrolments only

    @app.get("/health", tags=["service"], summary="Liveness: the app is up")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(auth.router)
    app.include_router(ocpp.router)
    app.include_router(roots.router)
    app.include_router(operator.router)
    app.include_router(contract_routes.router)
    for router in extra_routers:
        app.include_router(router)
    app.include_router(est.router)
    est.register_catch_all(app.router)  # last: the remaining EST path variants, parsed by one regex
    return app
