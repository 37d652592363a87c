"""CRLs (RFC 5280 §5): numbered without gaps or clashes when several writers sign at once; none from an expired CA."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from cryptography import x509

from pki.errors import IssuerUnusable


def test_concurrent_crls_get_distinct_consecutive_numbers(pki_services) -> None:  # type: ignore[no-untyped-def]
    svc = pki_services
    failures: list[BaseException] = []
    numbers: list[int] = []

    def sign_some() -> None:
        for _ in range(6):
            try:
                numbers.append(svc.authority.generate_crl("cso-sub", actor="t").number)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=sign_some) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(numbers) == list(range(1, 19))
    latest = svc.store.latest_crl("cso-sub")
    crl = x509.load_der_x509_crl(latest.der)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 18
    assert crl.is_signature_valid(svc.authority.ca_certificate(svc.authority.ca("cso-sub")).public_key())


def test_an_expired_ca_issues_no_crl(pki_services) -> None:  # type: ignore[no-untyped-def]
    from ca_store import SqlStore
    from ca_store.services import open_services
    from tests.conftest import PASSPHRASE

    svc = pki_services
    late = open_services(svc.store.url, passphrase=PASSPHRASE, clock=lambda: svc.clock() + timedelta(days=5 * 365))
    entries = len(list(svc.store.audit_entries()))
    with pytest.raises(IssuerUnusable, match="'cso-sub' expired on .*: it issues no CRL"):
        late.authority.generate_crl("cso-sub", actor="t")
    assert svc.store.latest_crl("cso-sub") is None and len(list(svc.store.audit_entries())) == entries
    assert isinstance(late.store, SqlStore)
    late.store.close()
