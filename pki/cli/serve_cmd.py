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
    return path == "/ocsp" or path.startswith(("/ocsp/", "/crl/", "/internal/ocsp"))


def combined_app(api_app: Any, ocsp_app: Any) -> Any:
    """One ASGI app in front of both; lifespan events reach both apps."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan_both(api_app, ocsp_app, receive, send)
            return
        target = ocsp_app if _is_ocsp_path(scope.get("path", "")) else api_app
        await target(scope, receive, send)

    return app


async def _lifespan_both(first: Any, second: Any, receive: Any, send: Any) -> None:
    """Run both apps' lifespans: start both on startup, stop both on shutdown."""
    import asyncio

    queues: list[asyncio.Queue[dict[str, Any]]] = [asyncio.Queue(), asyncio.Queue()]
    replies: list[asyncio.Queue[dict[str, Any]]] = [asyncio.Queue(), asyncio.Queue()]

    def runner(index: int, app: Any) -> Any:
        async def _recv() -> dict[str, Any]:
            return await queues[index].get()

        async def _send(message: dict[str, Any]) -> None:
            await replies[index].put(message)

        return asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, _recv, _send))

    tasks = [runner(0, first), runner(1, second)]
    while True:
        message = await receive()
        for q in queues:
            await q.put(message)
        kind = message["type"].split(".")[-1]  # startup | shutdown
        results = [await r.get() for r in replies]
        failed = [r for r in results if r["type"].endswith(".failed")]
        if failed:
            await send({"type": f"lifespan.{kind}.failed", "message": failed[0].get("message", "")})
            return
        await send({"type": f"lifespan.{kind}.complete"})
        if kind == "shutdown":
            for task in tasks:
                task.cancel()
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
