"""`pnc serve [api|ocsp] --host H --port P`: run the services as ASGI apps on uvicorn.

Each service is its own ASGI app (``api.app.create_app``, ``ocsp.app.create_app``); ``pnc serve`` with no
service name runs them together in one process (the embedded default) behind a tiny path dispatcher:
/ocsp and /crl/ go to the OCSP responder (a bare ASGI hot path), everything else to the HTTP API.
"""

from __future__ import annotations

import argparse
from typing import Any

from pki.cli import exit_codes

__all__ = ["register", "combined_app", "build_app"]

Scope = dict[str, Any]


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the HTTP services (all in one process by default)")
    p.add_argument("service", nargs="?", choices=("all", "api", "ocsp"), default="all")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--public-url", help="base URL published in certificates (env PNC_PUBLIC_URL)")
    p.add_argument("--log-level", default="warning")
    p.add_argument("--access-log", action="store_true", help="log every request (off by default: hot paths)")
    p.set_defaults(func=run)


def _is_ocsp_path(path: str) -> bool:
    return path == "/ocsp" or path.startswith(("/ocsp/", "/crl/"))


def combined_app(api_app: Any, ocsp_app: Any) -> Any:
    """One ASGI app in front of both; lifespan events reach both apps."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan_both([api_app, ocsp_app], scope, receive, send)
            return
        target = ocsp_app if _is_ocsp_path(scope.get("path", "")) else api_app
        await target(scope, receive, send)

    return app


class _Lifespan:
    """One app's lifespan protocol, run as a task that is fed the server's messages one at a time."""

    def __init__(self, app: Any, scope: Scope) -> None:
        import asyncio

        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.create_task(app(scope, self._inbox.get, self._outbox.put))

    async def exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        """Pass ``message`` on and return the app's answer; an app that ends without answering (it raised)
        counts as failed instead of leaving the server waiting forever."""
        import asyncio

        await self._inbox.put(message)
        reply = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({reply, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if reply.done():
            return reply.result()
        reply.cancel()
        error = None if self.task.cancelled() else self.task.exception()
        return {"type": message["type"] + ".failed", "message": f"lifespan ended without answering: {error!r}"}


async def _lifespan_both(apps: list[Any], scope: Scope, receive: Any, send: Any) -> None:
    """Run every app's lifespan: each event goes to all of them, and is complete only when all completed."""
    runs = [_Lifespan(app, scope) for app in apps]
    while True:
        message = await receive()
        results = [await run.exchange(message) for run in runs]
        failed = [r for r in results if r["type"].endswith(".failed")]
        if failed:
            await send({"type": message["type"] + ".failed", "message": failed[0].get("message", "")})
        else:
            await send({"type": message["type"] + ".complete"})
        if failed or message["type"] == "lifespan.shutdown":
            for run in runs:
                run.task.cancel()
            return


def build_app(service: str, services: Any) -> Any:
    if service == "api":
        from api.app import create_app as create_api

        return create_api(services)
    if service == "ocsp":
        from ocsp.app import create_app as create_ocsp

        return create_ocsp(services)
    from api.app import create_app as create_api
    from ocsp.app import create_app as create_ocsp

    return combined_app(create_api(services), create_ocsp(services))


def run(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from pki.cli.context import services as open_services

    if args.public_url:
        os.environ["PNC_PUBLIC_URL"] = args.public_url
    svc = open_services(args, need_keys=True)
    unlock = getattr(svc.keys, "unlock", None)
    if unlock is not None:
        unlock()  # a wrong passphrase fails now, and the first request does not pay for the KDF
    app = build_app(args.service, svc)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on",
                access_log=args.access_log)
    return exit_codes.OK
