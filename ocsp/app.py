"""The OCSP/CRL ASGI application: a bare ASGI callable (no framework routing on the hot path).

    POST /ocsp                    application/ocsp-request body (RFC 6960 Appendix A.1)
    GET  /ocsp/{base64}           url-encoded base64 of the DER request (tolerant decoding: ocsp.request)
    GET  /crl/{ca}.crl            the CA's current CRL, DER (application/pkix-crl)
    POST /ocsp/_internal/changed  {"serial": "<hex>"} with ``Authorization: Bearer <PNC_INTERNAL_TOKEN>``:
                                  another process issued or revoked a certificate; re-read and re-sign it

Every OCSP answer is a DER OCSPResponse with HTTP 200, including malformedRequest/unauthorized/tryLater;
transport errors are 4xx (404 unknown path, 405 method, 401/403 internal endpoint). Bodies larger than
``max_request_bytes`` are refused by their Content-Length without being read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ocsp.crl import CrlCache, CrlEntry
from ocsp.http import NO_CACHE, cache_control
from ocsp.model import Answer
from ocsp.request import MalformedRequest, decode_get_path
from ocsp.responder import MALFORMED, TRY_LATER, Responder, failure_answer
from ocsp.settings import OcspSettings
from pki.errors import PkiError
from pki.model import CertificateRecord

if TYPE_CHECKING:
    from ca_store.services import Services

__all__ = ["OcspApp", "create_app", "INTERNAL_PATH"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

INTERNAL_PATH = "/ocsp/_internal/changed"
_OCSP_TYPE = (b"content-type", b"application/ocsp-response")
_CRL_TYPE = (b"content-type", b"application/pkix-crl")
_log = logging.getLogger("pnc.ocsp")


class _TooLarge(Exception):
    pass


def create_app(services: Services, *, settings: OcspSettings | None = None) -> OcspApp:
    """The ASGI app serving OCSP and CRLs for every CA in ``services.store``. Registers a revocation listener
    on ``services.authority`` so in-process revocations are re-signed before ``revoke()`` returns."""
    app = OcspApp(services, settings or OcspSettings.from_env())
    services.authority.add_revocation_listener(app.on_revoked)
    return app


class OcspApp:
    def __init__(self, services: Services, settings: OcspSettings) -> None:
        self.services = services
        self.settings = settings
        self.responder = Responder(services, settings)
        self.crls = CrlCache(services, settings)
        self._db = asyncio.Semaphore(settings.live_db_concurrency)
        self._waiting = 0
        self._task: asyncio.Task[None] | None = None
        self._follow_task: asyncio.Task[None] | None = None
        self._feed_seq: int | None = None
        self._wake = asyncio.Event()
        self._start_lock = asyncio.Lock()

    # -- lifecycle ------------------------------------------------------------------------------------------
    def refresh_all(self) -> int:
        """One full maintenance cycle (blocking): signers, pre-signed responses, CRLs."""
        signed = self.responder.refresh_all()
        self.crls.refresh_all()
        return signed

    async def start(self, *, background: bool = True) -> None:
        """Load CAs and signers; with ``background`` also start the pre-signing/refresh loop and the audit-log
        follower (changes made by other processes)."""
        async with self._start_lock:
            follow = background and self.settings.follow_interval.total_seconds() > 0
            if follow and self._feed_seq is None:
                self._feed_seq = await asyncio.to_thread(self._feed_head)  # before the first scan: nothing slips by
            if not self.responder.started:
                await asyncio.to_thread(self.responder.start)
            if background and self._task is None:
                self._task = asyncio.create_task(self._maintain(), name="ocsp-maintenance")
            if follow and self._follow_task is None and self._feed_seq is not None:
                self._follow_task = asyncio.create_task(self._follow(), name="ocsp-follow")

    async def stop(self) -> None:
        for task in (self._task, self._follow_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._follow_task = None

    def _feed_head(self) -> int | None:
        from ca_store.ocsp_feed import audit_head
        from ca_store.store import SqlStore

        store = self.services.store
        return audit_head(store) if isinstance(store, SqlStore) else None

    def follow_once(self) -> int:
        """Apply certificate changes recorded in the audit log since the last call (any process); returns how
        many certificates were re-signed."""
        from ca_store.ocsp_feed import certificate_changes
        from ca_store.store import SqlStore

        store = self.services.store
        if not isinstance(store, SqlStore):
            return 0
        if self._feed_seq is None:
            self._feed_seq = self._feed_head()
            return 0
        seq, serials = certificate_changes(store, self._feed_seq)
        for serial in dict.fromkeys(serials):
            self._changed(serial)
        self._feed_seq = seq
        return len(serials)

    async def _follow(self) -> None:
        interval = self.settings.follow_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.follow_once)
            except Exception:  # the store may be briefly unavailable; try again next tick
                _log.exception("OCSP: following the audit log failed")

    async def _maintain(self) -> None:
        interval = self.settings.cycle_interval.total_seconds()
        while True:
            try:
                signed = await asyncio.to_thread(self.refresh_all)
                if signed:
                    _log.info("OCSP: %d responses signed", signed)
            except Exception:  # keep serving what we have; the next cycle retries
                _log.exception("OCSP maintenance cycle failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)

    def on_revoked(self, record: CertificateRecord) -> None:
        """Revocation listener (runs before ``revoke()`` returns): re-sign the certificate's responses and
        regenerate its CA's CRL."""
        self.responder.on_record(record)
        if record.revoked:
            self.crls.ensure_lists(record.issuer, record.serial)

    # -- ASGI -----------------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":  # OCSP is plain HTTP: refuse the upgrade (403) instead of leaving it unanswered
            await send({"type": "websocket.close", "code": 1008})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which refuses to start
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/ocsp" or (path == "/ocsp/" and method == "POST"):
            if method != "POST":
                await _plain(send, 405, b"method not allowed", ((b"allow", b"GET, POST"),))
                return
            try:
                body = await self._body(scope, receive)
            except _TooLarge:
                await self._send_answer(send, MALFORMED, scope, head=False)
                return
            await self._send_answer(send, await self._respond(body), scope, head=False)
        elif path.startswith("/ocsp/"):
            if method == "POST" and path == INTERNAL_PATH:
                await self._internal(scope, receive, send)
                return
            if method not in ("GET", "HEAD"):
                await _plain(send, 405, b"method not allowed", ((b"allow", b"GET, POST"),))
                return
            raw = scope.get("raw_path") or path.encode("utf-8", "surrogateescape")
            raw = raw.split(b"?", 1)[0]
            try:
                body = decode_get_path(raw[len(b"/ocsp/"):], limit=self.settings.max_request_bytes)
            except MalformedRequest:
                await self._send_answer(send, MALFORMED, scope, head=method == "HEAD")
                return
            await self._send_answer(send, await self._respond(body), scope, head=method == "HEAD")
        elif path.startswith("/crl/") and path.endswith(".crl"):
            if method not in ("GET", "HEAD"):
                await _plain(send, 405, b"method not allowed", ((b"allow", b"GET"),))
                return
            await self._crl(path[len("/crl/"):-len(".crl")], scope, send, head=method == "HEAD")
        else:
            await _plain(send, 404, b"not found")

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.settings.max_request_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    if int(value) > limit:
                        raise _TooLarge  # RFC 6960 §4.2.1 malformedRequest; the body is never read
                except ValueError:
                    raise _TooLarge from None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _respond(self, body: bytes) -> Answer:
        responder = self.responder
        try:
            result = responder.prepare(body)
            if isinstance(result, Answer):
                return result
            if self._waiting >= self.settings.live_db_waiters:
                return TRY_LATER  # shed load instead of queueing without bound
            self._waiting += 1
            try:
                async with self._db:
                    return await asyncio.to_thread(responder.answer, result)
            finally:
                self._waiting -= 1
        except (PkiError, ValueError) as exc:  # the HTTP edge: nothing escapes as a 500
            return failure_answer(exc)

    async def _send_answer(self, send: Send, answer: Answer, scope: Scope, *, head: bool) -> None:
        if answer.cacheable:
            headers = [_OCSP_TYPE, (b"content-length", b"%d" % len(answer.der)), *answer.headers,
                       (b"cache-control", cache_control(answer.next_update_ts, self.responder.now_ts()))]
            if scope["method"] != "POST" and answer.etag is not None and _etag_matches(scope, answer.etag):
                await send({"type": "http.response.start", "status": 304, "headers": headers[2:]})
                await send({"type": "http.response.body", "body": b""})
                return
        else:
            headers = [_OCSP_TYPE, (b"content-length", b"%d" % len(answer.der)), (b"cache-control", NO_CACHE)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else answer.der})

    async def _crl(self, ca_name: str, scope: Scope, send: Send, *, head: bool) -> None:
        entry: CrlEntry | None = self.crls.get(ca_name)
        if entry is None:
            try:
                entry = await asyncio.to_thread(self.crls.load, ca_name)
            except PkiError as exc:
                _log.warning("CRL of %s unavailable: %s", ca_name, exc)
                await _plain(send, 503, b"CRL temporarily unavailable", ((b"retry-after", b"60"),))
                return
        if entry is None:
            await _plain(send, 404, b"unknown CA")
            return
        der = entry.record.der
        headers = [_CRL_TYPE, (b"content-length", b"%d" % len(der)), *entry.headers,
                   (b"cache-control", cache_control(entry.next_update_ts, self.responder.now_ts()))]
        if _etag_matches(scope, entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers[2:]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else der})

    async def _internal(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self.settings.internal_token
        if not token:
            await _plain(send, 404, b"not found")  # the endpoint exists only with a shared token configured
            return
        given = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                given = value
        if not hmac.compare_digest(given, b"Bearer " + token.encode()):
            await _plain(send, 401 if not given else 403, b"bad or missing token",
                         ((b"www-authenticate", b"Bearer"),))
            return
        try:
            body = await self._body(scope, receive)
            serial = int(str(json.loads(body)["serial"]).lower().removeprefix("0x").replace(":", ""), 16)
        except (_TooLarge, ValueError, KeyError, TypeError, RecursionError):  # RecursionError: deeply nested JSON
            await _plain(send, 400, b'body must be {"serial": "<hex>"}')
            return
        try:
            record = await asyncio.to_thread(self._changed, serial)
        except PkiError as exc:
            _log.warning("OCSP: cannot apply change of %x: %s", serial, exc)
            await _plain(send, 503, b"store unavailable")
            return
        if record is None:
            await _plain(send, 404, b"no such certificate")
            return
        status = "revoked" if record.revoked else "good"
        await _plain(send, 200, json.dumps({"serial": format(serial, "x"), "status": status}).encode(),
                     ((b"content-type", b"application/json"),))

    def _changed(self, serial: int) -> CertificateRecord | None:
        record = self.responder.on_serial(serial)
        if record is not None and record.revoked:
            self.crls.ensure_lists(record.issuer, record.serial)
        return record


def _etag_matches(scope: Scope, etag: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            wanted = value.decode("latin-1")
            return wanted.strip() == "*" or etag in (tag.strip().removeprefix("W/") for tag in wanted.split(","))
    return False


async def _plain(send: Send, status: int, text: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    kind = next((v for n, v in extra if n == b"content-type"), b"text/plain; charset=utf-8")
    headers = [(b"content-type", kind), (b"content-length", b"%d" % len(text)),
               *(h for h in extra if h[0] != b"content-type")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})
