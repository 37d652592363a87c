"""The pure parts under the HTTP edge: authorisation policy, tokens, secret hashing, PKCS#7 framing."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from api.credentials import DUMMY_HASH, hash_secret, new_secret, verify_secret
from api.errors import dialect_for, status_for
from api.pkcs7 import certs_only, certs_only_der, wrap_b64
from api.tokens import TokenError, TokenSigner
from pki import errors
from pki.requester import (
    NotAuthorized,
    Requester,
    Role,
    authorize_revocation,
    authorize_secc_cn,
    authorize_station_certificate,
    normalize_operator_id,
    operator_id_of,
)

ICE = Requester.of("ice", "csms", ["DE*ICE"], "ICE GmbH")


@pytest.mark.parametrize(("cn", "operator"), [
    ("DE*ICE*E45B*78C", "DEICE"),
    ("DEICEE45B78C", "DEICE"),
    ("de*ice*e1", "DEICE"),
    ("DE-ICE-S-00003C4D557878675645330967543476-2", "DEICE"),
    ("NL*A1B*E000001", "NLA1B"),
])
def test_operator_id_of(cn: str, operator: str) -> None:
    assert operator_id_of(cn) == operator


@pytest.mark.parametrize("bad", ["charger-1", "DE*ICE", "", "D*ICE*E1"])
def test_operator_id_of_refuses_non_identifiers(bad: str) -> None:
    with pytest.raises(errors.InvalidIdentifier):
        operator_id_of(bad)


def test_normalize_operator_id() -> None:
    assert {normalize_operator_id(v) for v in ("DE*ICE", "DE-ICE", "deice", " DEICE ")} == {"DEICE"}
    with pytest.raises(errors.InvalidIdentifier):
        normalize_operator_id("DEU*ICE")


def test_authorize_secc_cn() -> None:
    assert authorize_secc_cn(ICE, "DE*ICE*E1") == "DEICE"
    with pytest.raises(NotAuthorized, match="DEABC"):
        authorize_secc_cn(ICE, "DE*ABC*E1")
    with pytest.raises(errors.InvalidIdentifier):
        authorize_secc_cn(ICE, None)
    operator = Requester.of("op", "operator")
    assert authorize_secc_cn(operator, "FR*XYZ*E1") == "FRXYZ"
    assert authorize_secc_cn(operator, None) is None
    for role in ("mo", "oem"):
        with pytest.raises(NotAuthorized):
            authorize_secc_cn(Requester.of("x", role, ["DE*ICE"]), "DE*ICE*E1")


def test_other_rules() -> None:
    assert authorize_station_certificate(ICE) == "ICE GmbH"
    with pytest.raises(NotAuthorized):
        authorize_station_certificate(Requester.of("m", "mo"))
    with pytest.raises(NotAuthorized):
        authorize_revocation(ICE)
    authorize_revocation(Requester.of("op", Role.OPERATOR))
    with pytest.raises(errors.InvalidInput):
        Requester.of("x", "admin")


def test_not_authorized_maps_to_403_before_policy_refused() -> None:
    assert status_for(NotAuthorized("no")) == 403
    assert status_for(errors.PolicyRefused("no")) == 400
    assert status_for(errors.LintFailed(["x"])) == 400
    assert status_for(errors.NotFound("no")) == 404
    assert status_for(errors.KeyAccessError("no")) == 503


def test_error_dialect_by_path() -> None:
    assert dialect_for("/cpo/simpleenroll/ISO15118-2") == "est"
    assert dialect_for("/.well-known/est/cacerts") == "est"
    assert dialect_for("/v1/root/rootCerts") == "opcp"
    assert dialect_for("/v1/ccp/signedContractData") == "opcp"
    assert dialect_for("/oauth/token") == "oauth"
    assert dialect_for("/v1/certificates/AB") == "problem"


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_tokens_round_trip_and_expire() -> None:
    clock = _Clock()
    signer = TokenSigner(b"k" * 32, clock)
    token = signer.issue("pnc-1", ICE, timedelta(minutes=5))
    claims = signer.verify(token)
    assert claims.client_id == "pnc-1" and claims.requester == ICE
    clock.now += timedelta(minutes=5)
    with pytest.raises(TokenError, match="expired"):
        signer.verify(token)
    with pytest.raises(TokenError, match="signature"):
        TokenSigner(b"j" * 32, _Clock()).verify(token)
    with pytest.raises(TokenError, match="someone else"):
        TokenSigner(b"k" * 32, _Clock(), issuer="other").verify(TokenSigner(b"k" * 32, _Clock()).issue(
            "pnc-1", ICE, timedelta(minutes=5)))
    with pytest.raises(ValueError):
        TokenSigner(b"short", clock)


def test_a_verified_token_is_remembered_but_only_exactly_and_only_while_valid() -> None:
    clock = _Clock()
    signer = TokenSigner(b"k" * 32, clock)
    token = signer.issue("pnc-1", ICE, timedelta(minutes=5))
    first = signer.verify(token)
    assert signer.verify(token) is first  # the second use skips the MAC and JSON work
    head, body, mac = token.split(".")
    for forged in (f"{head}.{body}.{mac[:-2]}AA", f"{head}.{body}x.{mac}", token + "."):
        with pytest.raises(TokenError):
            signer.verify(forged)
    clock.now -= timedelta(minutes=1)  # a clock stepped back before the token's nbf
    with pytest.raises(TokenError, match="not yet valid"):
        signer.verify(token)
    clock.now += timedelta(minutes=6)
    with pytest.raises(TokenError, match="expired"):
        signer.verify(token)


def test_secret_hashing() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert stored.startswith("scrypt$14$8$1$") and secret not in stored
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret(secret, DUMMY_HASH)
    assert not verify_secret(secret, "md5$abc")
    assert not verify_secret(secret, "scrypt$30$8$1$AA==$AA==")  # absurd cost parameters are refused
    assert hash_secret(secret) != stored  # salted


def test_certs_only_keeps_order_and_openssl_reads_it(shared_pki: object, tmp_path: Path) -> None:
    authority = shared_pki.authority  # type: ignore[attr-defined]
    chain = [authority.ca_certificate(ca) for ca in authority.chain("cpo-sub2")]
    path = tmp_path / "p.der"
    path.write_bytes(certs_only(chain))
    out = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-in", str(path), "-print_certs"],
                         capture_output=True, text=True, check=True).stdout
    assert x509.load_pem_x509_certificates(out.encode()) == chain
    path.write_bytes(certs_only([]))
    subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-in", str(path), "-noout"], check=True)
    assert certs_only_der([c.public_bytes(Encoding.DER) for c in chain]) == certs_only(chain)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 114, 1000])
def test_wrapped_base64_is_lines_of_76(size: int) -> None:
    data = bytes(range(256)) * 4
    text = base64.b64encode(data[:size])
    lines = [text[i:i + 76] for i in range(0, len(text), 76)]
    assert wrap_b64(data[:size]) == b"\n".join(lines) + b"\n"
    assert wrap_b64(data[:size], 64) == b"\n".join(text[i:i + 64] for i in range(0, len(text), 64)) + b"\n"
