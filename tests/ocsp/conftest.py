"""Fixtures: one initialised PKI with a running responder (real uvicorn on loopback) per test session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from ocsp.app import OcspApp, create_app
from ocsp.settings import OcspSettings
from pki.model import RevocationReason
from tests.conftest import PASSPHRASE
from tests.helpers import csr_pem, make_csr
from tests.ocsp.server import write_pem
from tests.servers import serve_in_thread

TOKEN = "test-internal-token-0123456789"
_counter = itertools.count(1)


@dataclass
class World:
    svc: Any
    app: OcspApp
    url: str  # base URL of the running server
    dir: Path
    db_url: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ocsp_url(self) -> str:
        return self.url + "/ocsp"

    def ca_cert(self, name: str) -> x509.Certificate:
        return self.svc.authority.ca_certificate(self.svc.authority.ca(name))  # type: ignore[no-any-return]

    def new_leaf(self, name: str | None = None) -> Any:
        cn = f"DE*ICE*E{next(_counter):04d}"
        issued = self.svc.ra.issue_from_csr(csr_pem(make_csr(cn)), "secc", requester="test")
        write_pem(self.dir / f"{name or cn.replace('*', '_')}.pem", issued.certificate)
        return issued

    def pem(self, issued: Any, name: str) -> Path:
        return write_pem(self.dir / f"{name}.pem", issued.certificate)


def build_world(directory: Path, url: str = "", settings: OcspSettings | None = None) -> tuple[Any, OcspApp]:
    from ca_store import sqlite_url
    from ca_store.services import initialize

    svc = initialize(sqlite_url(directory / "db"), passphrase=PASSPHRASE)
    app = create_app(svc, settings=settings or OcspSettings(internal_token=TOKEN))
    return svc, app


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from ca_store import sqlite_url

    directory = tmp_path_factory.mktemp("ocsp-world")
    svc, app = build_world(directory)
    with serve_in_thread(app) as url:
        w = World(svc, app, url, directory, sqlite_url(directory / "db"))
        w.files["root"] = write_pem(directory / "root.pem", w.ca_cert("v2g-root"))
        w.files["issuer"] = write_pem(directory / "issuer.pem", w.ca_cert("cpo-sub2"))
        w.files["untrusted"] = write_pem(directory / "untrusted.pem", w.ca_cert("cpo-sub2"), w.ca_cert("cpo-sub1"))
        good = w.new_leaf("good")
        revoked = w.new_leaf("revoked")
        svc.ra.revoke(revoked.record.serial, RevocationReason.KEY_COMPROMISE, requester="test")
        w.files["good"], w.files["revoked"] = directory / "good.pem", directory / "revoked.pem"
        w.good, w.revoked = good, revoked  # type: ignore[attr-defined]
        app.refresh_all()
        yield w
