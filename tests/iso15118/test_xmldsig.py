"""XMLDSig over EXI (pnc-facts §2) against the public vectors.

Vectors: RISE-V2G CertificateInstallationRes signature set (4 fragments, SignedInfo, SignatureValue, CPS
leaf), OpenV2G and cbexigen AuthorizationReq/SalesTariff fragments with their SignedInfos, and the
V2Gdecoder signed-header message (see tests/vectors/exi/README.md for provenance).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from iso15118.exi import ExiCodec, Grammar, default_codec
from iso15118.keywrap import decrypt_private_key, encrypt_private_key
from iso15118.messages import (
    EMAID,
    CertificateInstallationRes,
    ContractSignatureEncryptedPrivateKey,
    DiffieHellmanPublickey,
    MessageHeader,
    ResponseCode,
    V2GMessage,
)
from iso15118.xmldsig import (
    CANONICAL_EXI,
    SHA256,
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    MissingReference,
    UnsignedElement,
    UnsupportedAlgorithm,
    build_signed_info,
    der_to_raw,
    digest,
    elements_by_id,
    message_parts,
    raw_to_der,
    read_signed_info,
    sign,
    sign_raw,
    signed_info_bytes,
    verify,
    verify_message,
    verify_raw,
)
from tests.iso15118.golden import risev2g_cert, vector, vectors


def cps_leaf_key() -> ec.EllipticCurvePublicKey:
    key = risev2g_cert("cpsLeafCert").public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


RISE_SIGNED_INFO = "risev2g.cert_install_res.signed_info"
RISE_DOCUMENT = "risev2g.cert_install_res.document_derived"
SIGNED_INFO_NAMES = [
    "openv2g.signed_info_ID1",
    RISE_SIGNED_INFO,
    "cbexigen53.signed_info_sales_tariff",
    "cbexigen115.signed_info_authorization_req",
]


# --- digests and SignedInfo trees (no codec needed) -----------------------------------------------------


FRAGMENT_NAMES = [
    "openv2g.authorization_req_fragment_ID1",
    "risev2g.cert_install_res.ContractSignatureCertChain_fragment",
    "risev2g.cert_install_res.ContractSignatureEncryptedPrivateKey_fragment",
    "risev2g.cert_install_res.DHpublickey_fragment",
    "risev2g.cert_install_res.eMAID_fragment",
    "cbexigen53.sales_tariff_fragment_id1",
    "cbexigen115.authorization_req_fragment_id1",
]


def test_every_fragment_vector_is_covered() -> None:
    assert sorted(v["name"] for v in vectors("iso2-fragment")) == sorted(FRAGMENT_NAMES)


@pytest.mark.parametrize("name", FRAGMENT_NAMES)
def test_fragment_digest_is_sha256_of_the_fragment_bytes(name: str) -> None:
    entry = vector(name)
    assert hashlib.sha256(bytes.fromhex(entry["hex"])).hexdigest() == entry["sha256"]


@pytest.mark.parametrize("name", SIGNED_INFO_NAMES)
def test_signed_info_digest_values_match_their_fragments(name: str) -> None:
    entry = vector(name)
    refs = read_signed_info(entry["json"]["SignedInfo"])
    expected = entry["signature"]["references"]
    assert [r.uri for r in refs] == [e["uri"] for e in expected]
    for ref, exp in zip(refs, expected, strict=True):
        fragment = vector(exp["fragment"])
        assert ref.digest == hashlib.sha256(bytes.fromhex(fragment["hex"])).digest()
        assert ref.digest.hex() == exp["digest_sha256"]
        # The referenced fragment carries the Id the URI names.
        ((_, content),) = fragment["json"].items()
        assert "#" + content["Id"] == ref.uri


@pytest.mark.parametrize("name", SIGNED_INFO_NAMES)
def test_build_signed_info_reproduces_the_vector_tree(name: str) -> None:
    entry = vector(name)
    refs = read_signed_info(entry["json"]["SignedInfo"])
    assert build_signed_info([(r.id, r.digest) for r in refs]) == entry["json"]["SignedInfo"]


def test_rise_v2g_signature_value_verifies_with_the_cps_leaf() -> None:
    entry = vector(RISE_SIGNED_INFO)
    data = bytes.fromhex(entry["hex"])
    value = base64.b64decode(entry["signature"]["signature_value_b64"])
    assert value.hex() == entry["signature"]["signature_value_hex"]
    verify_raw(data, value, cps_leaf_key())
    # The document carries the same SignatureValue in its header.
    header_sig = vector(RISE_DOCUMENT)["json"]["V2G_Message"]["Header"]["Signature"]
    assert base64.b64decode(header_sig["SignatureValue"]["value"]) == value
    assert header_sig["SignedInfo"] == entry["json"]["SignedInfo"]


def test_rise_v2g_signature_fails_on_other_bytes_or_other_keys() -> None:
    entry = vector(RISE_SIGNED_INFO)
    data = bytes.fromhex(entry["hex"])
    value = bytes.fromhex(entry["signature"]["signature_value_hex"])
    with pytest.raises(BadSignature):
        verify_raw(data[:-1] + bytes([data[-1] ^ 1]), value, cps_leaf_key())
    with pytest.raises(BadSignature):
        # Pre-hashing the EXI before ECDSA (the mistake RISE-V2G warns about) must not verify.
        verify_raw(hashlib.sha256(data).digest(), value, cps_leaf_key())
    for other in ("cpsSubCA2Cert", "contractCert"):
        key = risev2g_cert(other).public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        with pytest.raises(BadSignature):
            verify_raw(data, value, key)
    with pytest.raises(MalformedSignature):
        verify_raw(data, value[:63], cps_leaf_key())


def test_published_signer_key_is_the_cps_leaf_key_and_signs_verifiably() -> None:
    entry = vector(RISE_SIGNED_INFO)
    private = ec.derive_private_key(int(entry["signature"]["signer_private_key_hex"], 16), ec.SECP256R1())
    assert private.public_key().public_numbers() == cps_leaf_key().public_numbers()
    data = bytes.fromhex(entry["hex"])
    raw = sign_raw(data, private)
    assert len(raw) == 64
    verify_raw(data, raw, cps_leaf_key())


def test_raw_der_conversion_round_trips_and_left_pads() -> None:
    for r, s in ((1, 2), (1 << 255, (1 << 256) - 1), (0x1234, 1 << 200)):
        raw = der_to_raw(encode_dss_signature(r, s))
        assert len(raw) == 64
        assert raw[:32] == r.to_bytes(32, "big") and raw[32:] == s.to_bytes(32, "big")
        assert decode_dss_signature(raw_to_der(raw)) == (r, s)
    with pytest.raises(MalformedSignature):
        der_to_raw(b"\x30\x03\x02\x01")
    with pytest.raises(MalformedSignature):
        der_to_raw(encode_dss_signature(1 << 256, 1))  # 33-byte integer: not P-256
    with pytest.raises(MalformedSignature):
        raw_to_der(b"\x01" * 65)


def test_sign_raw_refuses_other_curves() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        sign_raw(b"data", ec.generate_private_key(ec.SECP384R1()))


def _rise_signed_info() -> dict[str, Any]:
    tree: dict[str, Any] = vector(RISE_SIGNED_INFO)["json"]["SignedInfo"]
    return tree


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        (("CanonicalizationMethod",), "http://www.w3.org/2001/10/xml-exc-c14n#"),
        (("SignatureMethod",), "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        (("Reference", 2, "DigestMethod"), "http://www.w3.org/2000/09/xmldsig#sha1"),
        (("Reference", 1, "Transforms", "Transform", 0), "http://www.w3.org/TR/1999/REC-xpath-19991116"),
    ],
)
def test_unsupported_algorithms_are_named(path: tuple[str | int, ...], uri: str) -> None:
    tree = _rise_signed_info()
    node: Any = tree
    for step in path:
        node = node[step]
    node["Algorithm"] = uri
    with pytest.raises(UnsupportedAlgorithm) as info:
        read_signed_info(tree)
    assert info.value.uri == uri
    assert uri in str(info.value)


def test_canonical_exi_without_trailing_slash_is_accepted() -> None:
    # Spelling seen in the FlUxIuS/V2Gdecoder vector; the signed bytes carry whichever spelling was sent.
    message = vector("v2gdecoder.charge_parameter_discovery_res_dc_salestariff")["json"]
    signature = message["V2G_Message"]["Header"]["Signature"]
    assert signature["SignedInfo"]["CanonicalizationMethod"]["Algorithm"] == CANONICAL_EXI.rstrip("/")
    (ref,) = read_signed_info(signature["SignedInfo"])
    assert ref.uri == "#id1"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.pop("Reference"),
        lambda t: t.__setitem__("Reference", []),
        lambda t: t["Reference"][0].__setitem__("URI", "id2"),
        lambda t: t["Reference"][0].__setitem__("URI", "http://example.com/#id2"),
        lambda t: t["Reference"][1].__setitem__("URI", "#id2"),
        lambda t: t["Reference"][0].__setitem__("DigestValue", "not base64!"),
        lambda t: t["Reference"][0].__setitem__("DigestValue", base64.b64encode(b"short").decode()),
        lambda t: t["Reference"][0].pop("DigestMethod"),
        lambda t: t["SignatureMethod"].pop("Algorithm"),
    ],
    ids=["no-ref", "empty-refs", "bare-id", "external-uri", "dup-uri", "bad-b64", "short", "no-dm", "no-alg"],
)
def test_malformed_signed_info_is_refused(mutate: Any) -> None:
    tree = _rise_signed_info()
    mutate(tree)
    with pytest.raises(MalformedSignature):
        read_signed_info(tree)


# --- locating referenced elements ------------------------------------------------------------------------


def test_elements_by_id_finds_the_four_signed_parts_as_fragment_trees() -> None:
    signature, body = message_parts(vector(RISE_DOCUMENT)["json"])
    assert signature is not None
    found = elements_by_id(body)
    assert sorted(found) == ["id1", "id2", "id3", "id4"]
    prefix = "risev2g.cert_install_res."
    for element_id, name in [
        ("id1", "ContractSignatureCertChain"),
        ("id2", "ContractSignatureEncryptedPrivateKey"),
        ("id3", "DHpublickey"),
        ("id4", "eMAID"),
    ]:
        assert found[element_id] == vector(f"{prefix}{name}_fragment")["json"]


def test_elements_by_id_ignores_the_header_and_walks_lists() -> None:
    message = vector("v2gdecoder.charge_parameter_discovery_res_dc_salestariff")["json"]
    _, body = message_parts(message)
    found = elements_by_id(body)
    assert list(found) == ["id1"] and list(found["id1"]) == ["SalesTariff"]


def test_duplicate_ids_in_the_body_are_refused() -> None:
    _, body = message_parts(vector(RISE_DOCUMENT)["json"])
    body["CertificateInstallationRes"]["DHpublickey"]["Id"] = "id4"
    with pytest.raises(MalformedSignature, match="id4"):
        elements_by_id(body)


def test_message_parts_refuses_non_messages() -> None:
    with pytest.raises(MalformedSignature):
        message_parts({"V2G_Message": {"Header": {"SessionID": "00"}}})
    with pytest.raises(MalformedSignature):
        message_parts({"V2G_Message": "x"})


# --- with the EXI codec ----------------------------------------------------------------------------------

RISE_PREFIX = "risev2g.cert_install_res."
RISE_PARTS = ["ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID"]


@pytest.fixture(scope="module")
def codec() -> ExiCodec:
    return default_codec()


def cps_leaf_private() -> ec.EllipticCurvePrivateKey:
    value = int(vector(RISE_SIGNED_INFO)["signature"]["signer_private_key_hex"], 16)
    return ec.derive_private_key(value, ec.SECP256R1())


def rise_elements_in_signed_order() -> dict[str, dict[str, Any]]:
    """The four fragments keyed by Id, in the RISE-V2G SignedInfo order (id2, id1, id4, id3)."""
    by_id = {}
    for part in RISE_PARTS:
        tree = vector(f"{RISE_PREFIX}{part}_fragment")["json"]
        by_id[tree[part]["Id"]] = tree
    return {element_id: by_id[element_id] for element_id in ("id2", "id1", "id4", "id3")}


@pytest.mark.parametrize("name", FRAGMENT_NAMES)
def test_digest_reproduces_the_fragment_vectors(name: str, codec: ExiCodec) -> None:
    entry = vector(name)
    assert digest(entry["json"], codec=codec).hex() == entry["sha256"]


@pytest.mark.parametrize("name", SIGNED_INFO_NAMES)
def test_signed_info_bytes_reproduce_the_xmldsig_vectors(name: str, codec: ExiCodec) -> None:
    entry = vector(name)
    assert signed_info_bytes(entry["json"]["SignedInfo"], codec=codec).hex() == entry["hex"]


def test_sign_reproduces_the_rise_v2g_signed_info_and_verifies(codec: ExiCodec) -> None:
    entry = vector(RISE_SIGNED_INFO)
    elements = rise_elements_in_signed_order()
    signature = sign(elements, cps_leaf_private(), codec=codec)
    assert signature["SignedInfo"] == entry["json"]["SignedInfo"]
    assert signed_info_bytes(signature["SignedInfo"], codec=codec).hex() == entry["hex"]
    raw = base64.b64decode(signature["SignatureValue"]["value"])
    verify_raw(bytes.fromhex(entry["hex"]), raw, cps_leaf_key())
    refs = verify(signature, elements, cps_leaf_key(), codec=codec)
    assert [r.uri for r in refs] == ["#id2", "#id1", "#id4", "#id3"]


@pytest.mark.parametrize(
    ("fragment", "signed_info"),
    [
        ("openv2g.authorization_req_fragment_ID1", "openv2g.signed_info_ID1"),
        ("cbexigen115.authorization_req_fragment_id1", "cbexigen115.signed_info_authorization_req"),
        ("cbexigen53.sales_tariff_fragment_id1", "cbexigen53.signed_info_sales_tariff"),
    ],
)
def test_sign_reproduces_single_reference_signed_infos(fragment: str, signed_info: str, codec: ExiCodec) -> None:
    tree = vector(fragment)["json"]
    ((_, content),) = tree.items()
    key = ec.generate_private_key(ec.SECP256R1())
    signature = sign({content["Id"]: tree}, key, codec=codec)
    assert signature["SignedInfo"] == vector(signed_info)["json"]["SignedInfo"]
    assert signed_info_bytes(signature["SignedInfo"], codec=codec).hex() == vector(signed_info)["hex"]
    verify(signature, {content["Id"]: tree}, key.public_key(), codec=codec)


def test_rise_v2g_document_verifies_as_decoded_from_exi(codec: ExiCodec) -> None:
    entry = vector(RISE_DOCUMENT)
    decoded = codec.decode(bytes.fromhex(entry["hex"]), Grammar.ISO2)
    refs = verify_message(decoded, cps_leaf_key(), required=RISE_PARTS, codec=codec)
    assert [(r.id, r.element) for r in refs] == [
        ("id2", "ContractSignatureEncryptedPrivateKey"),
        ("id1", "ContractSignatureCertChain"),
        ("id4", "eMAID"),
        ("id3", "DHpublickey"),
    ]


def _rise_document() -> dict[str, Any]:
    tree: dict[str, Any] = vector(RISE_DOCUMENT)["json"]
    return tree


def _body(tree: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = tree["V2G_Message"]["Body"]["CertificateInstallationRes"]
    return body


def _signature(tree: dict[str, Any]) -> dict[str, Any]:
    signature: dict[str, Any] = tree["V2G_Message"]["Header"]["Signature"]
    return signature


def test_tampered_element_gives_digest_mismatch_naming_the_reference(codec: ExiCodec) -> None:
    tree = _rise_document()
    _body(tree)["eMAID"]["value"] = "DEABCC123ABC57"
    with pytest.raises(DigestMismatch) as info:
        verify_message(tree, cps_leaf_key(), codec=codec)
    assert info.value.uri == "#id4" and "eMAID" in str(info.value)


def test_renamed_id_gives_missing_reference(codec: ExiCodec) -> None:
    tree = _rise_document()
    _body(tree)["DHpublickey"]["Id"] = "id9"
    with pytest.raises(MissingReference) as info:
        verify_message(tree, cps_leaf_key(), codec=codec)
    assert info.value.uri == "#id3"


def test_tampered_signature_value_or_signed_info_gives_bad_signature(codec: ExiCodec) -> None:
    tree = _rise_document()
    raw = bytearray(base64.b64decode(_signature(tree)["SignatureValue"]["value"]))
    raw[5] ^= 0x40
    _signature(tree)["SignatureValue"]["value"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(BadSignature):
        verify_message(tree, cps_leaf_key(), codec=codec)
    # Reordering the references keeps every digest valid but changes the signed SignedInfo bytes.
    tree = _rise_document()
    refs = _signature(tree)["SignedInfo"]["Reference"]
    refs[0], refs[1] = refs[1], refs[0]
    with pytest.raises(BadSignature):
        verify_message(tree, cps_leaf_key(), codec=codec)


def test_wrong_key_gives_bad_signature(codec: ExiCodec) -> None:
    key = risev2g_cert("cpsSubCA2Cert").public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    with pytest.raises(BadSignature):
        verify_message(_rise_document(), key, codec=codec)


def test_unsupported_algorithm_is_reported_before_any_crypto(codec: ExiCodec) -> None:
    tree = _rise_document()
    _signature(tree)["SignedInfo"]["Reference"][3]["DigestMethod"]["Algorithm"] = SHA256 + "x"
    with pytest.raises(UnsupportedAlgorithm) as info:
        verify_message(tree, cps_leaf_key(), codec=codec)
    assert info.value.uri == SHA256 + "x"


def test_required_element_must_be_signed(codec: ExiCodec) -> None:
    with pytest.raises(UnsignedElement) as info:
        verify_message(_rise_document(), cps_leaf_key(), required=["SAProvisioningCertificateChain"], codec=codec)
    assert info.value.element == "SAProvisioningCertificateChain"


def test_missing_or_malformed_signature_is_refused(codec: ExiCodec) -> None:
    tree = _rise_document()
    del tree["V2G_Message"]["Header"]["Signature"]
    with pytest.raises(MalformedSignature, match="no Signature"):
        verify_message(tree, cps_leaf_key(), codec=codec)
    # The V2Gdecoder message: empty SignatureValue.
    with pytest.raises(MalformedSignature, match="64 bytes"):
        verify_message(
            vector("v2gdecoder.charge_parameter_discovery_res_dc_salestariff")["json"], cps_leaf_key(), codec=codec
        )


def test_unencodable_element_is_malformed_not_a_codec_error(codec: ExiCodec) -> None:
    tree = _rise_document()
    _body(tree)["DHpublickey"]["value"] = base64.b64encode(b"\x04" * 66).decode()  # over maxLength 65
    with pytest.raises(MalformedSignature, match="DHpublickey"):
        verify_message(tree, cps_leaf_key(), codec=codec)


def test_sign_checks_ids_match_their_keys(codec: ExiCodec) -> None:
    tree = vector("cbexigen115.authorization_req_fragment_id1")["json"]
    with pytest.raises(MalformedSignature, match="id7"):
        sign({"id7": tree}, cps_leaf_private(), codec=codec)
    with pytest.raises(MalformedSignature):
        sign({}, cps_leaf_private(), codec=codec)


def test_certificate_installation_res_end_to_end(codec: ExiCodec) -> None:
    """Service side: encrypt, sign the four parts, encode. EV side: decode, verify, decrypt."""
    oem = ec.generate_private_key(ec.SECP256R1())
    contract = ec.generate_private_key(ec.SECP256R1())
    encrypted, dh_public = encrypt_private_key(contract, oem.public_key())
    template = V2GMessage.from_tree(vector(RISE_DOCUMENT)["json"]).body
    assert isinstance(template, CertificateInstallationRes)
    res = CertificateInstallationRes(
        response_code=ResponseCode.OK,
        sa_provisioning_certificate_chain=template.sa_provisioning_certificate_chain,
        contract_signature_cert_chain=template.contract_signature_cert_chain,
        contract_signature_encrypted_private_key=ContractSignatureEncryptedPrivateKey(id="id2", value=encrypted),
        dh_public_key=DiffieHellmanPublickey(id="id3", value=dh_public),
        emaid=EMAID(id="id4", value="DE8AA0012345670"),
    )
    signature = sign(res.signed_elements(), cps_leaf_private(), codec=codec)
    session_id = bytes.fromhex("0102030405060708")
    message = V2GMessage(header=MessageHeader(session_id=session_id, signature=signature), body=res)
    data = codec.encode(message.to_tree(), Grammar.ISO2)

    decoded = codec.decode(data, Grammar.ISO2)
    refs = verify_message(decoded, cps_leaf_key(), required=RISE_PARTS, codec=codec)
    assert [r.id for r in refs] == ["id1", "id2", "id3", "id4"]
    received = V2GMessage.from_tree(decoded)
    assert received == message and received.header.session_id == session_id
    body = received.body
    assert isinstance(body, CertificateInstallationRes)
    recovered = decrypt_private_key(
        body.contract_signature_encrypted_private_key.value,
        body.dh_public_key.value,
        oem,
        expected_public=contract.public_key(),
    )
    assert recovered.private_numbers() == contract.private_numbers()
