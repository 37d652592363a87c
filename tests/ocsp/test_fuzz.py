"""Mutation fuzzing: >= 10,000 mutated requests; every answer must be a well-formed OCSPResponse."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import MutableMapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x_ocsp

from tests.ocsp.conftest import World
from tests.ocsp.test_http import many_cert_ids

VALID_STATUSES = {s.value for s in x_ocsp.OCSPResponseStatus}


def corpus(world: World) -> list[bytes]:
    issuer = world.ca_cert("cpo-sub2")
    out = []
    for alg in (hashes.SHA1(), hashes.SHA256(), hashes.SHA512()):
        for cert in (world.good.certificate, world.revoked.certificate):  # type: ignore[attr-defined]
            builder = x_ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, alg)
            out.append(builder.build().public_bytes(serialization.Encoding.DER))
            builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
            out.append(builder.build().public_bytes(serialization.Encoding.DER))
    out.append(many_cert_ids(world, 3))
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randrange(len(buf)) if buf else 0
        if op == 0 and buf:  # flip bits
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:  # random byte
            buf[pos] = rng.randrange(256)
        elif op == 2:  # insert
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and buf:  # delete a range
            del buf[pos:pos + rng.randint(1, 8)]
        elif op == 4:  # truncate
            del buf[pos:]
        elif op == 5 and buf:  # DER length tricks: long-form, indefinite, huge
            buf[pos] = rng.choice((0x80, 0x81, 0x82, 0x84, 0x89, 0xFF, 0x00, 0x7F))
        else:  # duplicate a slice
            end = min(len(buf), pos + rng.randint(1, 16))
            buf[pos:pos] = buf[pos:end]
    return bytes(buf)


def assert_ocsp_response(der: bytes) -> None:
    response = x_ocsp.load_der_ocsp_response(der)
    assert response.response_status.value in VALID_STATUSES
    if response.response_status is x_ocsp.OCSPResponseStatus.SUCCESSFUL:
        assert list(response.responses)


def test_ten_thousand_mutated_requests_into_the_responder(world: World) -> None:
    rng = random.Random(15118)
    seeds = corpus(world)
    responder = world.app.responder
    statuses: dict[str, int] = {}
    for i in range(10_000):
        body = mutate(rng, seeds[i % len(seeds)])
        answer = responder.respond(body)
        assert_ocsp_response(answer.der)
        statuses[answer.status.name] = statuses.get(answer.status.name, 0) + 1
    # the mutations reach both the rejecting and the answering paths
    assert statuses.get("MALFORMED_REQUEST", 0) > 1000
    assert statuses.get("SUCCESSFUL", 0) > 100
    assert "INTERNAL_ERROR" not in statuses


def test_mutated_requests_through_the_asgi_app(world: World) -> None:
    rng = random.Random(2)
    seeds = corpus(world)
    app = world.app

    async def call(method: str, path: bytes, body: bytes) -> tuple[int, bytes]:
        scope: dict[str, Any] = {"type": "http", "method": method, "path": path.decode("latin-1"), "raw_path": path,
                                 "headers": [(b"content-length", b"%d" % len(body))], "query_string": b""}
        sent: list[MutableMapping[str, Any]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def run() -> None:
        import base64

        for i in range(1_000):
            body = mutate(rng, seeds[i % len(seeds)])
            if i % 2:
                status, der = await call("POST", b"/ocsp", body)
            else:
                path = b"/ocsp/" + mutate(rng, base64.b64encode(body))
                status, der = await call("GET", path, b"")
            assert status == 200
            assert_ocsp_response(der)

    asyncio.run(run())
