"""Typed messages <-> codec trees: vector round trips, schema agreement, error paths."""

from __future__ import annotations

import copy
import dataclasses
import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from iso15118.exi import ExiCodec, Grammar, default_codec
from iso15118.messages import (
    EMAID,
    AppProtocolResponseCode,
    AuthorizationReq,
    AuthorizationRes,
    CertificateChain,
    CertificateInstallationReq,
    CertificateInstallationRes,
    CertificateUpdateReq,
    CertificateUpdateRes,
    ContractSignatureEncryptedPrivateKey,
    DiffieHellmanPublickey,
    EVSEProcessing,
    FaultCode,
    ListOfRootCertificateIDs,
    MessageError,
    MessageHeader,
    Notification,
    PaymentDetailsReq,
    PaymentDetailsRes,
    ResponseCode,
    SessionSetupReq,
    SessionSetupRes,
    SupportedAppProtocolReq,
    SupportedAppProtocolRes,
    TreeModel,
    V2GMessage,
    X509IssuerSerial,
)
from iso15118.messages.app_protocol import AppProtocol
from tests.iso15118.golden import risev2g_cert, vector

_SCHEMAS = Path(__file__).resolve().parents[2] / "iso15118" / "schemas"

# Vectors holding a message this layer models, with the model of their root.
DOCUMENTS: dict[str, type[TreeModel]] = {
    "everest.supportedAppProtocolReq": SupportedAppProtocolReq,
    "everest.supportedAppProtocolRes": SupportedAppProtocolRes,
    "v2gdecoder.supported_app_protocol_req_din_iso": SupportedAppProtocolReq,
    "openv2g_readme.supported_app_protocol_req_din": SupportedAppProtocolReq,
    "everest.SessionSetupReq": V2GMessage,
    "everest.SessionSetupRes": V2GMessage,
    "everest.AuthorizationReq": V2GMessage,
    "everest.AuthorizationRes": V2GMessage,
    "risev2g.cert_install_res.document_derived": V2GMessage,
    "openv2g.authorization_req_fragment_ID1": AuthorizationReq,
    "cbexigen115.authorization_req_fragment_id1": AuthorizationReq,
}
# Fragments of complexType-typed local elements: model of the content.
FRAGMENTS: dict[str, type[TreeModel]] = {
    "risev2g.cert_install_res.ContractSignatureCertChain_fragment": CertificateChain,
    "risev2g.cert_install_res.ContractSignatureEncryptedPrivateKey_fragment": ContractSignatureEncryptedPrivateKey,
    "risev2g.cert_install_res.DHpublickey_fragment": DiffieHellmanPublickey,
    "risev2g.cert_install_res.eMAID_fragment": EMAID,
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_vector_documents_round_trip(name: str) -> None:
    tree = vector(name)["json"]
    model = DOCUMENTS[name].from_tree(tree)
    assert model.to_tree() == tree
    assert type(model).from_tree(model.to_tree()) == model


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_vector_fragments_round_trip(name: str) -> None:
    ((element, content),) = vector(name)["json"].items()
    model = FRAGMENTS[name].from_tree(content, element)
    assert {element: model.to_tree()} == vector(name)["json"]


def test_certificate_installation_res_fields_are_typed() -> None:
    message = V2GMessage.from_tree(vector("risev2g.cert_install_res.document_derived")["json"])
    assert message.header.session_id == bytes.fromhex("D3765E2A1842AF1B")
    assert message.header.signature is not None and "SignedInfo" in message.header.signature
    res = message.body
    assert isinstance(res, CertificateInstallationRes)
    assert res.response_code is ResponseCode.OK
    assert res.emaid == EMAID(id="id4", value="DEABCC123ABC56")
    assert len(res.contract_signature_encrypted_private_key.value) == 48
    assert len(res.dh_public_key.value) == 65 and res.dh_public_key.value[0] == 0x04
    chain = res.sa_provisioning_certificate_chain
    assert chain.id is None and len(chain.sub_certificates) == 2
    leaf = x509.load_der_x509_certificate(chain.certificate)
    assert leaf.subject.rfc4514_string().startswith("DC=CPS")
    assert res.contract_signature_cert_chain.id == "id1"


def test_certificate_installation_req_built_from_scratch() -> None:
    req = CertificateInstallationReq(
        id="id1",
        oem_provisioning_cert=b"\x30\x82\x01\x00",
        list_of_root_certificate_ids=ListOfRootCertificateIDs(
            root_certificate_ids=(
                X509IssuerSerial(issuer_name="CN=V2GRootCA,O=RISE V2G Project,C=DE,DC=V2G", serial_number=12345),
                X509IssuerSerial(issuer_name="<Name(CN=Root)>", serial_number=2**100),  # xs:integer, unbounded
            )
        ),
    )
    message = V2GMessage(header=MessageHeader(session_id=bytes.fromhex("0a0b")), body=req)
    tree = message.to_tree()
    assert tree == {
        "V2G_Message": {
            "Header": {"SessionID": "0A0B"},
            "Body": {
                "CertificateInstallationReq": {
                    "Id": "id1",
                    "OEMProvisioningCert": "MIIBAA==",
                    "ListOfRootCertificateIDs": {
                        "RootCertificateID": [
                            {
                                "X509IssuerName": "CN=V2GRootCA,O=RISE V2G Project,C=DE,DC=V2G",
                                "X509SerialNumber": 12345,
                            },
                            {"X509IssuerName": "<Name(CN=Root)>", "X509SerialNumber": 2**100},
                        ]
                    },
                }
            },
        }
    }
    assert V2GMessage.from_tree(tree) == message
    # The body element alone is the fragment tree that the OEM provisioning key signs.
    assert req.to_tree() == tree["V2G_Message"]["Body"]


def test_update_and_payment_messages_round_trip() -> None:
    chain = CertificateChain(id="id1", certificate=b"leaf", sub_certificates=(b"sub2", b"sub1"))
    roots = ListOfRootCertificateIDs(root_certificate_ids=(X509IssuerSerial(issuer_name="CN=R", serial_number=1),))
    bodies: list[TreeModel] = [
        CertificateUpdateReq(
            id="id1",
            contract_signature_cert_chain=chain,
            emaid="DEABCC123ABC56",
            list_of_root_certificate_ids=roots,
        ),
        CertificateUpdateRes(
            response_code=ResponseCode.FAILED_ContractCanceled,
            sa_provisioning_certificate_chain=CertificateChain(certificate=b"cps"),
            contract_signature_cert_chain=chain,
            contract_signature_encrypted_private_key=ContractSignatureEncryptedPrivateKey(id="id2", value=b"k" * 48),
            dh_public_key=DiffieHellmanPublickey(id="id3", value=b"\x04" + b"p" * 64),
            emaid=EMAID(id="id4", value="DEABCC123ABC56"),
            retry_counter=-1,
        ),
        PaymentDetailsReq(emaid="DEABCC123ABC56", contract_signature_cert_chain=chain),
        PaymentDetailsRes(response_code=ResponseCode.OK, gen_challenge=bytes(16), evse_timestamp=1_700_000_000),
        AuthorizationReq(id="id1", gen_challenge=bytes(range(16))),
        AuthorizationRes(response_code=ResponseCode.OK, evse_processing=EVSEProcessing.Ongoing),
        SessionSetupReq(evcc_id=bytes.fromhex("12e23e10d348")),
        SessionSetupRes(response_code=ResponseCode.OK_NewSessionEstablished, evse_id="DE*ICE*E45B*78C"),
    ]
    for body in bodies:
        header = MessageHeader(
            session_id=bytes(8), notification=Notification(fault_code=FaultCode.UnknownError, fault_msg="x")
        )
        message = V2GMessage(header=header, body=body)  # type: ignore[arg-type]
        assert V2GMessage.from_tree(json.loads(json.dumps(message.to_tree()))) == message
    tree = bodies[0].to_tree()["CertificateUpdateReq"]
    assert tree["ContractSignatureCertChain"]["SubCertificates"] == {"Certificate": ["c3ViMg==", "c3ViMQ=="]}
    assert tree["eMAID"] == "DEABCC123ABC56"  # eMAIDType: plain string, no Id
    assert "SubCertificates" not in CertificateChain(certificate=b"x").to_tree()


def test_app_protocol_messages_are_typed() -> None:
    req = SupportedAppProtocolReq.from_tree(vector("v2gdecoder.supported_app_protocol_req_din_iso")["json"])
    assert all(isinstance(p, AppProtocol) for p in req.app_protocols) and len(req.app_protocols) == 2
    res = SupportedAppProtocolRes.from_tree(vector("everest.supportedAppProtocolRes")["json"])
    assert res.response_code is AppProtocolResponseCode.OK_SuccessfulNegotiation
    assert SupportedAppProtocolRes(response_code=AppProtocolResponseCode.Failed_NoNegotiation).to_tree() == {
        "supportedAppProtocolRes": {"ResponseCode": "Failed_NoNegotiation"}
    }


# --- errors carry the path -------------------------------------------------------------------------------


def _doc() -> dict[str, Any]:
    tree: dict[str, Any] = vector("risev2g.cert_install_res.document_derived")["json"]
    return tree


def _res(tree: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = tree["V2G_Message"]["Body"]["CertificateInstallationRes"]
    return res


RES = "V2G_Message/Body/CertificateInstallationRes"


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda t: _res(t).pop("eMAID"), f"{RES}/eMAID", "missing"),
        (lambda t: _res(t)["eMAID"].pop("Id"), f"{RES}/eMAID/Id", "missing"),
        (lambda t: _res(t).__setitem__("ResponseCode", "FAILED_Nope"), f"{RES}/ResponseCode", "ResponseCode literal"),
        (lambda t: _res(t).__setitem__("ResponseCode", 0), f"{RES}/ResponseCode", "ResponseCode literal"),
        (lambda t: _res(t)["DHpublickey"].__setitem__("value", "@@@"), f"{RES}/DHpublickey/value", "base64"),
        (lambda t: _res(t)["DHpublickey"].__setitem__("value", 7), f"{RES}/DHpublickey/value", "base64 text"),
        (
            lambda t: _res(t)["SAProvisioningCertificateChain"]["SubCertificates"]["Certificate"].__setitem__(1, 5),
            f"{RES}/SAProvisioningCertificateChain/SubCertificates/Certificate[1]",
            "base64 text",
        ),
        (lambda t: _res(t).__setitem__("Extra", 1), f"{RES}/Extra", "unexpected"),
        (lambda t: t["V2G_Message"]["Header"].__setitem__("SessionID", "XYZ"), "V2G_Message/Header/SessionID", "hex"),
        (lambda t: t["V2G_Message"].pop("Header"), "V2G_Message/Header", "missing"),
        (
            lambda t: t["V2G_Message"].__setitem__("Body", {"SessionStopReq": {}}),
            "V2G_Message/Body",
            "SessionStopReq",
        ),
        (lambda t: t.__setitem__("Other", {}), "/", "V2G_Message"),
    ],
)
def test_from_tree_errors_name_the_path(mutate: Any, path: str, words: str) -> None:
    tree = _doc()
    mutate(tree)
    with pytest.raises(MessageError) as info:
        V2GMessage.from_tree(tree)
    assert info.value.path == path
    assert words in str(info.value)


def test_integers_refuse_booleans_and_strings() -> None:
    good = {"RootCertificateID": [{"X509IssuerName": "CN=R", "X509SerialNumber": 1}]}
    ListOfRootCertificateIDs.from_tree(good)
    for bad in (True, "1", 1.0):
        tree = copy.deepcopy(good)
        tree["RootCertificateID"][0]["X509SerialNumber"] = bad
        with pytest.raises(MessageError, match=r"RootCertificateID\[0\]/X509SerialNumber"):
            ListOfRootCertificateIDs.from_tree(tree, "ListOfRootCertificateIDs")


def test_hex_fields_accept_lower_case_and_emit_upper_case() -> None:
    req = SessionSetupReq.from_tree({"SessionSetupReq": {"EVCCID": "12e23e10d348"}})
    assert req.evcc_id == bytes.fromhex("12E23E10D348")
    assert req.to_tree() == {"SessionSetupReq": {"EVCCID": "12E23E10D348"}}


# --- the models agree with the vendored XSDs -------------------------------------------------------------

_XS = "{http://www.w3.org/2001/XMLSchema}"


@cache
def _schema_types() -> dict[str, ET.Element]:
    found: dict[str, ET.Element] = {}
    for path in [*sorted((_SCHEMAS / "iso15118_2").glob("*.xsd")), _SCHEMAS / "xmldsig-core-schema.xsd"]:
        for node in ET.parse(path).getroot():
            if node.tag in (f"{_XS}complexType", f"{_XS}simpleType") and "name" in node.attrib:
                found[node.attrib["name"]] = node
    return found


def _enumeration(type_name: str, schema: Path | None = None) -> list[str]:
    if schema is not None:
        nodes = [n for n in ET.parse(schema).getroot() if n.attrib.get("name") == type_name]
        node = nodes[0]
    else:
        node = _schema_types()[type_name]
    return [e.attrib["value"] for e in node.iter(f"{_XS}enumeration")]


def _xsd_parts(type_name: str) -> list[str]:
    """Attribute and element names of a complexType (own sequence + simple-content attributes)."""
    node = _schema_types()[type_name]
    names = [a.attrib["name"] for a in node.iter(f"{_XS}attribute")]
    for element in node.iter(f"{_XS}element"):
        names.append(element.attrib.get("name") or element.attrib["ref"].split(":")[-1])
    return names


@pytest.mark.parametrize(
    ("enum_type", "xsd_type", "schema"),
    [
        (ResponseCode, "responseCodeType", None),
        (EVSEProcessing, "EVSEProcessingType", None),
        (FaultCode, "faultCodeType", None),
        (AppProtocolResponseCode, "responseCodeType", _SCHEMAS / "V2G_CI_AppProtocol.xsd"),
    ],
)
def test_enumerations_list_every_schema_literal(enum_type: Any, xsd_type: str, schema: Path | None) -> None:
    assert [m.value for m in enum_type] == _enumeration(xsd_type, schema)
    assert [m.name for m in enum_type] == [m.value for m in enum_type]


@pytest.mark.parametrize(
    ("model", "xsd_type"),
    [
        (SessionSetupReq, "SessionSetupReqType"),
        (SessionSetupRes, "SessionSetupResType"),
        (PaymentDetailsReq, "PaymentDetailsReqType"),
        (PaymentDetailsRes, "PaymentDetailsResType"),
        (AuthorizationReq, "AuthorizationReqType"),
        (AuthorizationRes, "AuthorizationResType"),
        (CertificateInstallationReq, "CertificateInstallationReqType"),
        (CertificateInstallationRes, "CertificateInstallationResType"),
        (CertificateUpdateReq, "CertificateUpdateReqType"),
        (CertificateUpdateRes, "CertificateUpdateResType"),
        (CertificateChain, "CertificateChainType"),
        (ListOfRootCertificateIDs, "ListOfRootCertificateIDsType"),
        (X509IssuerSerial, "X509IssuerSerialType"),
        (ContractSignatureEncryptedPrivateKey, "ContractSignatureEncryptedPrivateKeyType"),
        (DiffieHellmanPublickey, "DiffieHellmanPublickeyType"),
        (EMAID, "EMAIDType"),
        (Notification, "NotificationType"),
        (MessageHeader, "MessageHeaderType"),
    ],
)
def test_models_name_exactly_the_schema_parts(model: Any, xsd_type: str) -> None:
    declared = [f.metadata["xsd"].split("/")[0] for f in dataclasses.fields(model) if f.metadata["xsd"] != "value"]
    assert sorted(declared) == sorted(_xsd_parts(xsd_type))


# --- the elements a signature covers ---------------------------------------------------------------------


def test_response_signed_elements_are_the_four_fragment_vectors() -> None:
    message = V2GMessage.from_tree(vector("risev2g.cert_install_res.document_derived")["json"])
    assert isinstance(message.body, CertificateInstallationRes)
    signed = message.body.signed_elements()
    assert list(signed) == ["id1", "id2", "id3", "id4"]
    prefix = "risev2g.cert_install_res."
    names = ["ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID"]
    for element_id, name in zip(signed, names, strict=True):
        assert signed[element_id] == vector(f"{prefix}{name}_fragment")["json"]


def test_response_signed_elements_need_ids() -> None:
    message = V2GMessage.from_tree(vector("risev2g.cert_install_res.document_derived")["json"])
    assert isinstance(message.body, CertificateInstallationRes)
    no_id = dataclasses.replace(
        message.body,
        contract_signature_cert_chain=dataclasses.replace(message.body.contract_signature_cert_chain, id=None),
    )
    with pytest.raises(MessageError, match="ContractSignatureCertChain/Id"):
        no_id.signed_elements()
    twice = dataclasses.replace(message.body, emaid=EMAID(id="id3", value="DEABCC123ABC56"))
    with pytest.raises(MessageError, match="used twice"):
        twice.signed_elements()


def test_request_signed_elements_are_the_body_element() -> None:
    fragment = vector("cbexigen115.authorization_req_fragment_id1")["json"]
    req = AuthorizationReq.from_tree(fragment)
    assert req.signed_elements() == {"id1": fragment}
    with pytest.raises(MessageError):
        AuthorizationReq(gen_challenge=bytes(16)).signed_elements()
    with pytest.raises(MessageError):
        CertificateChain(certificate=b"x").element("sub_certificates")


# --- through the EXI codec -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def codec() -> ExiCodec:
    return default_codec()


def _root_grammar(model: TreeModel) -> Grammar:
    if isinstance(model, V2GMessage):
        return Grammar.ISO2
    if isinstance(model, SupportedAppProtocolReq | SupportedAppProtocolRes):
        return Grammar.APP_PROTOCOL
    return Grammar.ISO2_FRAGMENT


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_vector_models_encode_to_the_vector_bytes_and_back(name: str, codec: ExiCodec) -> None:
    entry = vector(name)
    grammar = Grammar(entry["grammar"])
    model = DOCUMENTS[name].from_tree(entry["json"])
    assert _root_grammar(model) is grammar
    assert codec.encode(model.to_tree(), grammar).hex() == entry["hex"]
    assert DOCUMENTS[name].from_tree(codec.decode(bytes.fromhex(entry["hex"]), grammar)) == model


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_vector_fragment_models_encode_to_the_vector_bytes(name: str, codec: ExiCodec) -> None:
    entry = vector(name)
    ((element, content),) = entry["json"].items()
    model = FRAGMENTS[name].from_tree(content, element)
    assert codec.encode({element: model.to_tree()}, Grammar.ISO2_FRAGMENT).hex() == entry["hex"]


def _rise_der(name: str) -> bytes:
    return risev2g_cert(name).public_bytes(serialization.Encoding.DER)


def _built_messages() -> list[TreeModel]:
    contract_chain = CertificateChain(
        id="id1", certificate=_rise_der("contractCert"), sub_certificates=(_rise_der("moSubCA2Cert"),)
    )
    cps_chain = CertificateChain(
        certificate=_rise_der("cpsLeafCert"),
        sub_certificates=(_rise_der("cpsSubCA2Cert"), _rise_der("cpsSubCA1Cert")),
    )
    roots = ListOfRootCertificateIDs(
        root_certificate_ids=(
            X509IssuerSerial(issuer_name="CN=V2GRootCA,O=RISE V2G Project,C=DE,DC=V2G", serial_number=12345),
            X509IssuerSerial(issuer_name="<Name(DC=V2G,C=UK,O=Switch,CN=V2GRootCA)>", serial_number=2**80 + 1),
        )
    )
    res_parts: dict[str, Any] = {
        "sa_provisioning_certificate_chain": cps_chain,
        "contract_signature_cert_chain": contract_chain,
        "contract_signature_encrypted_private_key": ContractSignatureEncryptedPrivateKey(id="id2", value=bytes(48)),
        "dh_public_key": DiffieHellmanPublickey(id="id3", value=b"\x04" + bytes(range(64))),
        "emaid": EMAID(id="id4", value="DEABCC123ABC56"),
    }
    bodies: list[TreeModel] = [
        CertificateInstallationReq(
            id="id1", oem_provisioning_cert=_rise_der("oemProvCert"), list_of_root_certificate_ids=roots
        ),
        CertificateInstallationRes(response_code=ResponseCode.OK, **res_parts),
        CertificateUpdateReq(
            id="id1",
            contract_signature_cert_chain=contract_chain,
            emaid="DE8AA0012345670",
            list_of_root_certificate_ids=roots,
        ),
        CertificateUpdateRes(response_code=ResponseCode.FAILED_CertChainError, retry_counter=3, **res_parts),
        PaymentDetailsReq(emaid="DEABCC123ABC56", contract_signature_cert_chain=contract_chain),
        PaymentDetailsRes(response_code=ResponseCode.OK, gen_challenge=bytes(range(16)), evse_timestamp=-5),
        AuthorizationReq(id="id1", gen_challenge=bytes(range(16))),
        AuthorizationReq(),
        AuthorizationRes(response_code=ResponseCode.FAILED_ChallengeInvalid, evse_processing=EVSEProcessing.Finished),
        SessionSetupReq(evcc_id=bytes.fromhex("12E23E10D348")),
        SessionSetupRes(response_code=ResponseCode.OK, evse_id="DE*ICE*E45B*78C", evse_timestamp=1_700_000_000),
    ]
    header = MessageHeader(
        session_id=bytes.fromhex("D3765E2A1842AF1B"),
        notification=Notification(fault_code=FaultCode.ParsingError, fault_msg="bad"),
    )
    messages: list[TreeModel] = [V2GMessage(header=header, body=b) for b in bodies]  # type: ignore[arg-type]
    messages += [
        SupportedAppProtocolReq(
            app_protocols=(
                AppProtocol(
                    protocol_namespace="urn:iso:15118:2:2013:MsgDef",
                    version_number_major=2,
                    version_number_minor=0,
                    schema_id=1,
                    priority=1,
                ),
            )
        ),
        SupportedAppProtocolRes(response_code=AppProtocolResponseCode.OK_SuccessfulNegotiation, schema_id=1),
        SupportedAppProtocolRes(response_code=AppProtocolResponseCode.Failed_NoNegotiation),
    ]
    return messages


@pytest.mark.parametrize("index", range(14))
def test_built_messages_survive_encode_and_decode(index: int, codec: ExiCodec) -> None:
    model = _built_messages()[index]
    grammar = _root_grammar(model)
    data = codec.encode(model.to_tree(), grammar)
    assert type(model).from_tree(codec.decode(data, grammar)) == model


def test_every_built_message_is_exercised() -> None:
    assert len(_built_messages()) == 14
