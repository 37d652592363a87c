"""``uvicorn --factory tests.ocsp.serve_factory:app``: a responder in its own process (microservice mode),
opened from PNC_DB_URL / PNC_PASSPHRASE / PNC_INTERNAL_TOKEN like a deployed one."""

from __future__ import annotations

import os

from ocsp.app import OcspApp, create_app
from ocsp.settings import OcspSettings

__all__ = ["app"]


def app() -> OcspApp:
    from ca_store.services import open_services

    services = open_services(os.environ["PNC_DB_URL"], passphrase=os.environ["PNC_PASSPHRASE"].encode())
    return create_app(services, settings=OcspSettings.from_env())
