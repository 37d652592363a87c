"""EST (RFC 7030, RFC 8951) behind every path variant CSMSs call (pnc_http_apis.md §1.2, §6.2).

One handler serves ``cacerts``, ``simpleenroll``, ``simplereenroll`` and ``csrattrs`` on::

    /.well-known/est/{op}                               RFC 7030 §3.2.2, no label: the default CA (cpo)
    /.well-known/est/{label}/{op}[/{iso}[/{alg}]]       RFC label; OPCP spec form with /{iso}
    /.well-known/{ca}/{op}[/{iso}[/{alg}]]              CitrineOS, EVerest libopcp
    /{ca}/{op}[/{iso}[/{alg}]]                          MaEVe, OPCP 1.0.0, EVerest cacerts (…/secp256r1/)
    /opnc/v1/pki/est/{op}?caDomain=&iso15118Version=    CharIN OPNC

each also with a trailing slash (served directly, no redirect). ``{ca}`` is ``[slug-](cpo|mo|oem|cps|veh)``
(OPCP ``est.v1.json``), ``{iso}`` ``ISO15118-2|ISO15118-20``, ``{alg}`` ``secp256r1|secp521r1|ed448``.

Bodies are base64 DER PKCS#10 (PEM, raw DER and line breaks tolerated, RFC 8951 §3); ``Content-Type``,
``Content-Transfer-Encoding`` and ``Accept`` are ignored (clients send ``application/pkcs10`` in all three).
Success is always 200 (MaEVe and CitrineOS treat 202 as failure): base64 PKCS#7 certs-only, the leaf alone
for enrolments, issuing CA .. root (root last) for ``cacerts``. ``cacerts`` and ``csrattrs`` need no
authentication (RFC 7030 §3.2.3 "SHOULD NOT"); enrolments need a bearer token, re-enrolment alternatively
the current certificate forwarded by a trusted TLS proxy (``ApiSettings.client_cert_header``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import Match

from api.auth import authenticate
from api.context import ApiContext, get_context
from api.errors import ApiError
from api.issuing import enroll, parse_forwarded_certificate, reenroll_with_certificate
from api.pkcs7 import certs_only_b64, certs_only_der, csr_attributes, wrap_b64
from api.settings import ApiSettings, EstLabel
from pki.authority import Issued

__all__ = ["router", "resolve_label", "parse_est_path", "register_catch_all", "handle", "PKCS7_MEDIA_TYPE",
           "POST_OPERATIONS"]

PKCS7_MEDIA_TYPE = "application/pkcs7-mime; smime-type=certs-only"
_LABEL = re.compile(r"^(?:\w+-)?(?:mo|cpo|oem|cps|veh)$")
_ISO = {"iso15118-2": "ISO15118-2", "iso15118-20": "ISO15118-20"}
_ALGORITHMS = ("secp256r1", "secp521r1", "ed448")
_GET_OPS = ("cacerts", "csrattrs")
POST_OPERATIONS = ("simpleenroll", "simplereenroll")

router = APIRouter(tags=["EST (RFC 7030)"])


def resolve_label(settings: ApiSettings, label: str | None, iso: str | None, alg: str | None) -> EstLabel:
    """The CA behind a path's label, ISO version and algorithm; 404 for anything this service does not run."""
    name = settings.default_est_label if label in (None, "", "est") else str(label)
    entry = settings.est_labels.get(name)
    if entry is None and _LABEL.match(name) and "-" in name:  # OPCP "[slug-]cpo": the slug names a tenant
        entry = settings.est_labels.get(name.rsplit("-", 1)[1])
    if entry is None:
        shape = "" if _LABEL.match(name) else " (expected [slug-](cpo|mo|oem|cps|veh))"
        known = ", ".join(sorted(settings.est_labels))
        raise ApiError(404, f"unknown CA label {name!r}{shape}; this service has: {known}", code="unknown_ca")
    if iso is not None:
        version = _ISO.get(iso.lower())
        if version is None:
            raise ApiError(404, f"unknown ISO 15118 version {iso!r} (ISO15118-2 or ISO15118-20)", code="unknown_ca")
        if version != entry.iso:
            raise ApiError(404, f"CA label {name!r} has no {version} hierarchy here (only {entry.iso})",
                           code="unknown_ca")
    if alg is not None:
        if alg.lower() not in _ALGORITHMS:
            raise ApiError(404, f"unknown algorithm {alg!r} ({', '.join(_ALGORITHMS)})", code="unknown_ca")
        if alg.lower() != entry.algorithm:
            raise ApiError(404, f"CA label {name!r} has no {alg} hierarchy here (only {entry.algorithm})",
                           code="unknown_ca")
    return entry


def _pkcs7(body: bytes) -> Response:
    return Response(body, media_type=PKCS7_MEDIA_TYPE, headers={"Content-Transfer-Encoding": "base64"})


def _cacerts(ctx: ApiContext, entry: EstLabel) -> bytes:
    authority = ctx.services.authority
    return certs_only_b64([authority.ca_certificate(ca) for ca in authority.chain(entry.issuer)])


def _enroll(ctx: ApiContext, request: Request, op: str, entry: EstLabel, body: bytes) -> Issued:
    header = ctx.settings.client_cert_header
    peer = request.client.host if request.client is not None else None
    if op == "simplereenroll" and header and request.headers.get(header):
        if peer not in ctx.settings.client_cert_proxies:
            raise ApiError(403, f"{header} is accepted only from the TLS proxy", code="untrusted_proxy")
        presented = parse_forwarded_certificate(request.headers[header])
        return reenroll_with_certificate(ctx.services, presented, body, entry)
    requester = authenticate(request, ctx)
    return enroll(ctx.services, requester, body, entry)


async def handle(request: Request, op: str, label: str | None, iso: str | None, alg: str | None) -> Response:
    ctx = await get_context(request)
    entry = resolve_label(ctx.settings, label, iso, alg)
    if op == "cacerts":
        return _pkcs7(await ctx.call(_cacerts, ctx, entry))
    if op == "csrattrs":
        return Response(wrap_b64(csr_attributes()), media_type="application/csrattrs",
                        headers={"Content-Transfer-Encoding": "base64"})
    if entry.profile is None:
        raise ApiError(404, f"no enrolment under this CA label ({entry.issuer} publishes cacerts only)",
                       code="unknown_ca")
    body = await request.body()
    issued = await ctx.call(_enroll, ctx, request, op, entry, body)
    return _pkcs7(wrap_b64(certs_only_der([issued.record.der])))


# -- routes --------------------------------------------------------------------------------------------------

def _endpoint(op: str, params: tuple[str, ...], *, opnc: bool) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request, **path: str) -> Response:
        if opnc:
            q = request.query_params
            return await handle(request, op, q.get("caDomain"), q.get("iso15118Version"), None)
        return await handle(request, op, path.get("label"), path.get("iso"), path.get("alg"))

    signature = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    signature += [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=str) for p in params]
    endpoint.__signature__ = inspect.Signature(signature, return_annotation=Response)  # type: ignore[attr-defined]
    return endpoint


def _documented(op: str) -> list[str]:
    """The variants listed in OpenAPI (served as explicit routes, the most common ones)."""
    return [f"/.well-known/est/{op}", f"/.well-known/est/{{label}}/{op}/{{iso}}"]


# Every other variant, parsed once by one regex in a single catch-all route per method (registered last), so an
# EST request costs one match instead of walking ~90 generated routes.
_EST_PATH = re.compile(
    r"^/(?:\.well-known/est(?:/(?P<l1>[^/]+))?|\.well-known/(?P<l2>[^/]+)|(?P<l3>[^/]+))"
    r"/(?P<op>cacerts|csrattrs|simpleenroll|simplereenroll)(?:/(?P<iso>[^/]+)(?:/(?P<alg>[^/]+))?)?/?$"
)
_OPNC_PATH = re.compile(r"^/opnc/v1/pki/est/(?P<op>cacerts|csrattrs|simpleenroll|simplereenroll)/?$")


def _other_method_serves(request: Request) -> bool:
    """Whether a fixed route has this path under another method (a 405 rather than a 404); cold path only."""
    for route in request.app.router.routes:
        if getattr(route, "name", None) != "est-variants" and route.matches(request.scope)[0] is Match.PARTIAL:
            return True
    return False


def parse_est_path(path: str) -> tuple[str, str | None, str | None, str | None, bool] | None:
    """(op, label, iso, alg, opnc) of an EST path in any variant, or None."""
    m = _OPNC_PATH.match(path)
    if m is not None:
        return m["op"], None, None, None, True
    m = _EST_PATH.match(path)
    if m is None:
        return None
    return m["op"], m["l1"] or m["l2"] or m["l3"], m["iso"], m["alg"], False


async def _catch_all(request: Request, est_path: str) -> Response:
    parsed = parse_est_path("/" + est_path)
    method_ok = parsed is not None and (request.method == "GET") == (parsed[0] in _GET_OPS)
    if parsed is None or not method_ok:
        if parsed is not None:
            raise ApiError(405, f"{parsed[0]} takes {'GET' if parsed[0] in _GET_OPS else 'POST'}",
                           code="method_not_allowed")
        if _other_method_serves(request):
            raise ApiError(405, f"{request.method} is not allowed on /{est_path}", code="method_not_allowed")
        raise ApiError(404, f"no such path: /{est_path}", code="not_found")
    op, label, iso, alg, opnc = parsed
    if opnc:
        q = request.query_params
        return await handle(request, op, q.get("caDomain"), q.get("iso15118Version"), None)
    return await handle(request, op, label, iso, alg)


_SUMMARIES = {
    "cacerts": "CA certificates: base64 PKCS#7, issuing CA first, root last",
    "csrattrs": "CSR attributes (RFC 7030 §4.5): EC P-256 key, ecdsa-with-SHA256",
    "simpleenroll": "Enrol a SECC leaf: base64 PKCS#10 in, base64 PKCS#7 with the leaf out",
    "simplereenroll": "Re-enrol: as simpleenroll; or authenticated by the current certificate via a TLS proxy",
}


def _register() -> None:
    for op in _GET_OPS + POST_OPERATIONS:
        method = "GET" if op in _GET_OPS else "POST"
        for path in _documented(op):
            params = tuple(re.findall(r"{(\w+)}", path))
            router.add_api_route(path, _endpoint(op, params, opnc=False), methods=[method], summary=_SUMMARIES[op],
                                 response_class=Response, name=f"est-{op}")


def register_catch_all(target: APIRouter) -> None:
    """The catch-all EST route; the app adds it after every other route so it never shadows a fixed path."""
    target.add_api_route("/{est_path:path}", _catch_all, methods=["GET", "POST"], include_in_schema=False,
                         response_class=Response, name="est-variants")


_register()
