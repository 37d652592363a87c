"""Contract key encryption ([V2G2-818]): round trips, left padding, a hand-built known answer, failures.

No published ISO 15118-2 vector exists for this step (RISE-V2G does not publish the OEM provisioning
private key, so its encrypted contract key cannot be decrypted). The known-answer test below is built
by hand from the spec steps: P-256 ECDH in plain Python integers (affine arithmetic, independent of the
``cryptography`` ECDH used by the code), the concat KDF with hashlib, AES-128-CBC without padding. The
constants were computed once that way and are pinned as literals.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from iso15118.keywrap import KeyWrapError, decrypt_private_key, derive_key, encrypt_private_key

# --- independent P-256 arithmetic (SEC 2 §2.4.2 domain parameters) -------------------------------------
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
Point = tuple[int, int] | None


def _add(p: Point, q: Point) -> Point:
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        slope = (3 * p[0] * p[0] + _A) * pow(2 * p[1], -1, _P) % _P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (slope * slope - p[0] - q[0]) % _P
    return x, (slope * (p[0] - x) - p[1]) % _P


def _mul(k: int, point: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


# --- the known answer -----------------------------------------------------------------------------------
KAT_RECIPIENT = 0x546831BD33A1447CA5C7F30B9F16AD482B002BF4E1FE498F36C06943F661EA98
KAT_EPHEMERAL = 0x02146678035BCA92F98E7F7A4F363BB18D8FAAA9306550F79CB53F8F9BD44EA6
KAT_CONTRACT = 0x00CD3C5F4CAEBA58FBE73DFC11F8E9256108D54076E3F8F68109EDBCA22EB75B  # leading zero byte
KAT_IV = bytes(range(16))
KAT_Z = bytes.fromhex("8e8d67e087f60d9a606ea32ea94ebf961702aabfa1fe24fc3b460875f8c617d7")
KAT_K = bytes.fromhex("b93c6a7051c7222683a3d6ac870085be")
KAT_ENCRYPTED = bytes.fromhex(
    "000102030405060708090a0b0c0d0e0f8560959b0acc9032df0db17516cbdcfdd6d9e1a22398a8cced88af843dbffdd8"
)
KAT_DH_PUBLIC = bytes.fromhex(
    "04c210e646af82eae130d1f14b6d4294f8aedf1a87a79bd57dcbed291196058cad"
    "f16474d3b50099c1c1ec5174103608bbc52d8ca68ed31f9fe73cc5ba624c7c12"
)


def _key(value: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(value, ec.SECP256R1())


def _same(a: ec.EllipticCurvePrivateKey, b: ec.EllipticCurvePrivateKey) -> bool:
    return a.private_numbers().private_value == b.private_numbers().private_value


def test_known_answer_steps_recomputed_independently() -> None:
    recipient_point = _mul(KAT_RECIPIENT, _G)
    shared = _mul(KAT_EPHEMERAL, recipient_point)
    ephemeral_point = _mul(KAT_EPHEMERAL, _G)
    assert shared is not None and ephemeral_point is not None
    z = shared[0].to_bytes(32, "big")
    assert z == KAT_Z
    # SP 800-56A concat KDF: SHA-256(counter 00000001 || Z || AlgorithmID 01 || PartyU 'U' || PartyV 'V').
    k = hashlib.sha256(bytes.fromhex("00000001") + z + bytes.fromhex("015556")).digest()[:16]
    assert k == KAT_K
    assert derive_key(z) == KAT_K
    encryptor = Cipher(algorithms.AES(k), modes.CBC(KAT_IV)).encryptor()
    ct = encryptor.update(KAT_CONTRACT.to_bytes(32, "big")) + encryptor.finalize()
    assert KAT_IV + ct == KAT_ENCRYPTED
    x, y = ephemeral_point
    assert b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") == KAT_DH_PUBLIC


def test_encrypt_matches_known_answer() -> None:
    encrypted, dh_public = encrypt_private_key(
        _key(KAT_CONTRACT),
        _key(KAT_RECIPIENT).public_key(),
        ephemeral=_key(KAT_EPHEMERAL),
        iv=KAT_IV,
    )
    assert encrypted == KAT_ENCRYPTED
    assert dh_public == KAT_DH_PUBLIC


def test_decrypt_known_answer() -> None:
    contract = _key(KAT_CONTRACT)
    recovered = decrypt_private_key(
        KAT_ENCRYPTED, KAT_DH_PUBLIC, _key(KAT_RECIPIENT), expected_public=contract.public_key()
    )
    assert recovered.private_numbers().private_value == KAT_CONTRACT


def test_round_trip_with_random_keys_and_fresh_iv() -> None:
    recipient = ec.generate_private_key(ec.SECP256R1())
    contract = ec.generate_private_key(ec.SECP256R1())
    first = encrypt_private_key(contract, recipient.public_key())
    second = encrypt_private_key(contract, recipient.public_key())
    assert len(first[0]) == 48 and len(first[1]) == 65 and first[1][0] == 0x04
    assert first[0][:16] != second[0][:16] and first[1] != second[1]  # fresh IV and ephemeral key each time
    for encrypted, dh_public in (first, second):
        recovered = decrypt_private_key(
            encrypted, dh_public, recipient, expected_public=contract.public_key()
        )
        assert _same(recovered, contract)


@pytest.mark.parametrize("scalar", [1, 0xFF, 1 << 200, 0x00FF << 232])
def test_small_scalars_are_left_padded_to_32_bytes(scalar: int) -> None:
    recipient = ec.generate_private_key(ec.SECP256R1())
    encrypted, dh_public = encrypt_private_key(_key(scalar), recipient.public_key())
    assert len(encrypted) == 48
    assert decrypt_private_key(encrypted, dh_public, recipient).private_numbers().private_value == scalar


def test_wrong_recipient_key_is_detected_against_the_certificate_key() -> None:
    recipient = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    contract = ec.generate_private_key(ec.SECP256R1())
    encrypted, dh_public = encrypt_private_key(contract, recipient.public_key())
    with pytest.raises(KeyWrapError) as info:
        decrypt_private_key(encrypted, dh_public, other, expected_public=contract.public_key())
    assert info.value.reason in {"key_mismatch", "invalid_scalar"}
    # Without the certificate's key the garbage scalar is (almost always) a valid but different key.
    try:
        assert not _same(decrypt_private_key(encrypted, dh_public, other), contract)
    except KeyWrapError as exc:
        assert exc.reason == "invalid_scalar"


def test_tampered_ciphertext_is_detected() -> None:
    recipient = ec.generate_private_key(ec.SECP256R1())
    contract = ec.generate_private_key(ec.SECP256R1())
    encrypted, dh_public = encrypt_private_key(contract, recipient.public_key())
    flipped = encrypted[:20] + bytes([encrypted[20] ^ 1]) + encrypted[21:]
    with pytest.raises(KeyWrapError):
        decrypt_private_key(flipped, dh_public, recipient, expected_public=contract.public_key())


@pytest.mark.parametrize(
    ("encrypted", "dh_public", "reason"),
    [
        (KAT_ENCRYPTED[:47], KAT_DH_PUBLIC, "bad_length"),
        (KAT_ENCRYPTED + b"\0" * 16, KAT_DH_PUBLIC, "bad_length"),
        (KAT_ENCRYPTED, KAT_DH_PUBLIC[:33], "bad_dh_public_key"),  # compressed-size point
        (KAT_ENCRYPTED, b"\x02" + KAT_DH_PUBLIC[1:], "bad_dh_public_key"),
        # a point off the curve (last byte of Y flipped)
        (KAT_ENCRYPTED, KAT_DH_PUBLIC[:-1] + bytes([KAT_DH_PUBLIC[-1] ^ 1]), "bad_dh_public_key"),
    ],
)
def test_malformed_inputs_are_refused(encrypted: bytes, dh_public: bytes, reason: str) -> None:
    with pytest.raises(KeyWrapError) as info:
        decrypt_private_key(encrypted, dh_public, _key(KAT_RECIPIENT))
    assert info.value.reason == reason


def test_out_of_range_scalar_is_refused() -> None:
    # Encrypt n (the group order) by hand: decryption must refuse it ([V2G2-823] valid key check).
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    encryptor = Cipher(algorithms.AES(KAT_K), modes.CBC(KAT_IV)).encryptor()
    ct = encryptor.update(order.to_bytes(32, "big")) + encryptor.finalize()
    with pytest.raises(KeyWrapError) as info:
        decrypt_private_key(KAT_IV + ct, KAT_DH_PUBLIC, _key(KAT_RECIPIENT))
    assert info.value.reason == "invalid_scalar"


def test_other_curves_and_bad_iv_are_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    p256 = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(KeyWrapError) as info:
        encrypt_private_key(p256, p384.public_key())
    assert info.value.reason == "wrong_curve"
    with pytest.raises(KeyWrapError) as info:
        encrypt_private_key(p384, p256.public_key())
    assert info.value.reason == "wrong_curve"
    with pytest.raises(KeyWrapError) as info:
        encrypt_private_key(p256, p256.public_key(), iv=b"short")
    assert info.value.reason == "bad_iv"
