"""What every request handler needs, built once per app: services, settings, token signer, client directory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.settings import ApiSettings
from api.tokens import TokenSigner
from ca_store.services import Services

T = TypeVar("T")

__all__ = ["ClientDirectory", "ClientInfo", "ApiContext", "get_context", "ActiveClients"]


class ClientInfo(Protocol):
    """The fields of a stored client the API reads (``ca_store.clients.ClientRecord`` has them)."""

    @property
    def client_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def evse_operator_ids(self) -> tuple[str, ...]: ...

    @property
    def organization(self) -> str | None: ...

    @property
    def secret_hash(self) -> str: ...

    @property
    def active(self) -> bool: ...


class ClientDirectory(Protocol):
    def get(self, client_id: str) -> ClientInfo | None: ...

    def token_secret(self) -> bytes: ...


class ActiveClients:
    """Whether a client is still enabled, re-read from the directory at most every ``recheck_s`` seconds per
    client: tokens stay stateless on the hot path, yet disabling a client takes effect within ``recheck_s``."""

    def __init__(self, directory: ClientDirectory, recheck_s: float) -> None:
        self._directory = directory
        self._recheck_s = recheck_s
        self._seen: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def cached(self, client_id: str) -> bool | None:
        """The status seen less than ``recheck_s`` ago, or None (then ask ``is_active``)."""
        with self._lock:
            seen = self._seen.get(client_id)
        if seen is not None and time.monotonic() - seen[0] < self._recheck_s:
            return seen[1]
        return None

    def is_active(self, client_id: str) -> bool:
        """The cached status, or the directory's (blocking) when the cache is older than ``recheck_s``."""
        cached = self.cached(client_id)
        if cached is not None:
            return cached
        now = time.monotonic()
        record = self._directory.get(client_id)
        active = record is not None and record.active
        with self._lock:
            self._seen[client_id] = (now, active)
        return active


@dataclass
class ApiContext:
    services: Services  # store, keys, authority, ra, clock
    settings: ApiSettings
    clients: ClientDirectory
    signer: TokenSigner
    active: ActiveClients
    extras: dict[str, Any] = field(default_factory=dict)  # for routers added later (contract provisioning)
    inline: bool = False  # run core calls on the event loop (see ``call``)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking core call (issuance, store reads). With a local SQLite store the work is CPU-bound with
        sub-millisecond commits, and a thread-pool round trip costs more than it saves (measured: 0.5-1 ms more
        server CPU per EST enrolment, GIL hand-offs included), so it runs inline. With a database across the
        network (PostgreSQL) its round trips would stall the event loop, so it runs in the thread pool."""
        if self.inline:
            return fn(*args)
        return await run_in_threadpool(fn, *args)


async def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the app's context (``app.state.pnc``). Async so that FastAPI calls it on the event
    loop instead of a thread-pool round trip."""
    ctx: ApiContext = request.app.state.pnc
    return ctx
