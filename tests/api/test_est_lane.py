"""``api.est_lane.EnrolmentLane`` at the ASGI level: which requests it serves, and that its own refusals and
failures come out as the framework path renders them (the EST paths' plain text). The full behaviour of
enrolments through it is covered by the EST tests, which all run through the app and so through the lane."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import api.est_lane
from api.est_lane import EnrolmentLane

ENROL = "/.well-known/est/simpleenroll"


class _App:
    """The app behind the lane: records what reached it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(lane: EnrolmentLane, method: str, path: str, headers: list[tuple[bytes, bytes]],
          body: bytes = b"") -> tuple[int, bytes, dict[bytes, bytes]]:
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 5000), "root_path": ""}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(lane(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], content, dict(start["headers"])


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/.well-known/est/cacerts"), ("POST", "/.well-known/est/cacerts"), ("GET", ENROL),
    ("POST", "/oauth/token"), ("POST", "/v1/ocpp/sign-certificate"), ("GET", "/health"),
])
def test_everything_but_post_enrolments_passes_through(method: str, path: str) -> None:
    app = _App()
    status, _body, _headers = _call(EnrolmentLane(app, 100), method, path, [])
    assert status == 204 and app.seen == [(method, path)]


def test_a_bad_declared_length_is_refused_in_est_form() -> None:
    app = _App()
    status, body, headers = _call(EnrolmentLane(app, 100), "POST", ENROL, [(b"content-length", b"ten")])
    assert (status, body) == (400, b"invalid Content-Length\n")
    assert headers[b"content-type"].startswith(b"text/plain") and app.seen == []


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    status, body, _headers = _call(EnrolmentLane(_App(), 100), "POST", "/cpo/simpleenroll/ISO15118-2",
                                   [(b"content-length", b"101")])
    assert (status, body) == (413, b"request body larger than 100 bytes\n")


def test_an_unexpected_failure_is_a_logged_500(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.est_lane, "handle", broken)
    with caplog.at_level(logging.ERROR, logger="pnc.api"):
        status, body, headers = _call(EnrolmentLane(_App(), 100), "POST", ENROL, [], b"QUJD")
    assert (status, body) == (500, b"internal error\n") and headers[b"content-type"].startswith(b"text/plain")
    assert any("unhandled error on POST " + ENROL in r.getMessage() and r.exc_info for r in caplog.records)
