"""Lint before sign: the issuer key signs exactly the linted TBS; a failed lint signs nothing; tokens are
single use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pki.errors import LintFailed, PkiError
from pki.issuance import IssuanceRequest, prepare, sign
from pki.names import as_subject
from pki.profiles import get_profile
from tests.helpers import name


def _root() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC).replace(microsecond=0)
    req = IssuanceRequest(get_profile("v2g-root"), as_subject(name("Test Root", "T", "DE", "V2G")), key.public_key(),
                          (1 << 158) + 7, now - timedelta(minutes=1), now + timedelta(days=3650), None)
    return sign(prepare(req, None, now=now, max_backdate=timedelta(minutes=5)), key), key


def _leaf_request(cn: str = "DE*ICE*E1", **kw: object) -> IssuanceRequest:
    now = datetime.now(UTC).replace(microsecond=0)
    fields: dict[str, object] = dict(profile=get_profile("cpo-sub1"), subject=name(cn, "T", "DE", "V2G"),
                                     public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
                                     serial=(1 << 158) + 99, not_before=now - timedelta(minutes=1),
                                     not_after=now + timedelta(days=30), ocsp_url="http://x.test/ocsp")
    fields.update(kw)
    fields["subject"] = as_subject(fields["subject"])  # type: ignore[arg-type]
    return IssuanceRequest(**fields)  # type: ignore[arg-type]


def test_signed_certificate_is_the_linted_tbs_and_verifies() -> None:
    root, key = _root()
    root.verify_directly_issued_by(root)
    prepared = prepare(_leaf_request(), root, now=datetime.now(UTC), max_backdate=timedelta(minutes=5))
    cert = sign(prepared, key)
    assert cert.tbs_certificate_bytes == prepared.lint_tbs
    cert.verify_directly_issued_by(root)
    with pytest.raises(PkiError, match="already used"):
        sign(prepared, key)


def test_failed_lint_raises_before_any_real_signature() -> None:
    root, _key = _root()
    bad = _leaf_request(subject=name("X", "T", "DE", "MO"))  # wrong DC for a CPO sub-CA
    with pytest.raises(LintFailed, match="subject DC must be 'V2G'") as info:
        prepare(bad, root, now=datetime.now(UTC), max_backdate=timedelta(minutes=5))
    assert info.value.problems and all(":" in p for p in info.value.problems)


def test_lint_reports_every_problem_at_once() -> None:
    root, _key = _root()
    now = datetime.now(UTC)
    bad = _leaf_request(subject=name("X", "T", "DE", "MO"), not_before=now - timedelta(hours=2),
                        not_after=root.not_valid_after_utc + timedelta(days=1))
    with pytest.raises(LintFailed) as info:
        prepare(bad, root, now=now, max_backdate=timedelta(minutes=5))
    text = str(info.value)
    assert "subject: subject DC" in text and "validity: notBefore is backdated" in text
