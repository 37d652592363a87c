"""Encoding validates against the schema and names the offending element (ExiEncodeError.path)."""

from __future__ import annotations

from typing import Any

import pytest

from iso15118.exi import ExiEncodeError, ExiError, Grammar, decode, encode
from tests.iso15118.golden import vector

EVSE = "DE*ICE*E45B*78C"
HEADER = {"SessionID": "02DB22073B084D2D"}


def _msg(body: dict[str, Any]) -> dict[str, Any]:
    return {"V2G_Message": {"Header": dict(HEADER), "Body": body}}


def _app(**overrides: Any) -> dict[str, Any]:
    entry = {"ProtocolNamespace": "urn:iso:15118:2:2013:MsgDef", "VersionNumberMajor": 2, "VersionNumberMinor": 0,
             "SchemaID": 1, "Priority": 1}
    entry.update(overrides)
    return entry


CASES: list[tuple[str, Grammar, dict[str, Any], str, str]] = [
    ("too long hexBinary", Grammar.ISO2, _msg({"SessionSetupReq": {"EVCCID": "12E23E10D34811"}}),
     "V2G_Message/Body/SessionSetupReq/EVCCID", "longer than maxLength 6"),
    ("missing element", Grammar.ISO2, _msg({"SessionSetupReq": {}}),
     "V2G_Message/Body/SessionSetupReq/EVCCID", "missing required element"),
    ("missing header", Grammar.ISO2, {"V2G_Message": {"Body": {}}}, "V2G_Message/Header", "missing required element"),
    ("unknown element", Grammar.ISO2, _msg({"SessionSetupReq": {"EVCCID": "12", "Foo": 1}}),
     "V2G_Message/Body/SessionSetupReq/Foo", "unknown element"),
    ("wrong enum literal", Grammar.ISO2, _msg({"SessionSetupRes": {"ResponseCode": "OKAY", "EVSEID": EVSE}}),
     "V2G_Message/Body/SessionSetupRes/ResponseCode", "'OKAY' is not an enumeration value"),
    ("long out of range", Grammar.ISO2,
     _msg({"SessionSetupRes": {"ResponseCode": "OK", "EVSEID": "DE*ICE*E45B*78C", "EVSETimeStamp": 2**63}}),
     "V2G_Message/Body/SessionSetupRes/EVSETimeStamp", "out of range"),
    ("wrong type", Grammar.ISO2,
     _msg({"SessionSetupRes": {"ResponseCode": "OK", "EVSEID": "DE*ICE*E45B*78C", "EVSETimeStamp": "12"}}),
     "V2G_Message/Body/SessionSetupRes/EVSETimeStamp", "expected an integer"),
    ("bool is not an int", Grammar.ISO2, _msg({"ServiceDetailReq": {"ServiceID": True}}),
     "V2G_Message/Body/ServiceDetailReq/ServiceID", "expected an integer"),
    ("under minLength", Grammar.ISO2, _msg({"SessionSetupRes": {"ResponseCode": "OK", "EVSEID": "DE*1"}}),
     "V2G_Message/Body/SessionSetupRes/EVSEID", "shorter than minLength 7"),
    ("two body elements", Grammar.ISO2,
     _msg({"SessionStopReq": {"ChargingSession": "Terminate"}, "SessionStopRes": {}}),
     "V2G_Message/Body/SessionStopRes", "not allowed here"),
    ("bounded int range", Grammar.APP_PROTOCOL, {"supportedAppProtocolReq": {"AppProtocol": [_app(Priority=21)]}},
     "supportedAppProtocolReq/AppProtocol[0]/Priority", "21 out of range [1, 20]"),
    ("list expected", Grammar.APP_PROTOCOL, {"supportedAppProtocolReq": {"AppProtocol": _app()}},
     "supportedAppProtocolReq/AppProtocol", "expected a list"),
    ("too few items", Grammar.APP_PROTOCOL, {"supportedAppProtocolReq": {"AppProtocol": []}},
     "supportedAppProtocolReq/AppProtocol", "minOccurs"),
    ("too many items", Grammar.APP_PROTOCOL, {"supportedAppProtocolReq": {"AppProtocol": [_app()] * 21}},
     "supportedAppProtocolReq/AppProtocol", "more than 20 items"),
    ("not a global element", Grammar.APP_PROTOCOL, {"AppProtocol": {}}, "AppProtocol", "not a global element"),
    ("unknown fragment root", Grammar.ISO2_FRAGMENT, {"NoSuchThing": {}}, "NoSuchThing", "unknown element"),
    ("bad base64", Grammar.XMLDSIG_FRAGMENT,
     {"SignedInfo": {"CanonicalizationMethod": {"Algorithm": "a"}, "SignatureMethod": {"Algorithm": "b"},
                     "Reference": [{"DigestMethod": {"Algorithm": "c"}, "DigestValue": "AAAA="}]}},
     "SignedInfo/Reference[0]/DigestValue", "not canonical base64"),
    ("bad hex", Grammar.ISO2, {"V2G_Message": {"Header": {"SessionID": "0G"}, "Body": {}}},
     "V2G_Message/Header/SessionID", "not a hexBinary string"),
    ("attribute value", Grammar.ISO2_FRAGMENT,
     {"AuthorizationReq": {"Id": 5, "GenChallenge": "AAAAAAAAAAAAAAAAAAAAAA=="}},
     "AuthorizationReq/Id", "expected a string"),
    ("object expected", Grammar.ISO2, _msg({"SessionSetupReq": "12E23E10D348"}),
     "V2G_Message/Body/SessionSetupReq", "expected an object"),
    ("not an XML character", Grammar.ISO2, _msg({"SessionSetupRes": {"ResponseCode": "OK", "EVSEID": "DE*ICE\x00E45"}}),
     "V2G_Message/Body/SessionSetupRes/EVSEID", "not allowed in XML"),
    ("relaxed eMAID extra key", Grammar.ISO2_FRAGMENT, {"eMAID": {"Id": "id4", "value": "DEABCC123ABC56", "x": 1}},
     "eMAID", "unsupported content"),
]


@pytest.mark.parametrize(("label", "grammar", "tree", "path", "reason"), CASES, ids=[c[0] for c in CASES])
def test_encode_error_path(label: str, grammar: Grammar, tree: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(ExiEncodeError) as info:
        encode(tree, grammar)
    assert info.value.path == path
    assert reason in info.value.reason
    assert str(info.value).startswith(f"{path}: ")


def test_the_valid_neighbours_encode() -> None:
    """Guards the cases above: the same messages without the defect are accepted."""
    tree = {"V2G_Message": {"Header": {"SessionID": "0000000000000000"}, "Body": {"SessionSetupReq": {
        "EVCCID": "12e23e10d348"}}}}
    assert encode(tree, Grammar.ISO2).hex() == vector("everest.SessionSetupReq")["hex"]
    assert encode({"supportedAppProtocolReq": {"AppProtocol": [_app()] * 20}}, Grammar.APP_PROTOCOL)
    assert encode({"supportedAppProtocolReq": {"AppProtocol": [_app(Priority=20)]}}, Grammar.APP_PROTOCOL)


def test_hex_case_is_normalised_on_decode() -> None:
    data = encode(_msg({"SessionSetupReq": {"EVCCID": "abcdef"}}), Grammar.ISO2)
    assert decode(data, Grammar.ISO2)["V2G_Message"]["Body"]["SessionSetupReq"]["EVCCID"] == "ABCDEF"


def test_list_item_is_named_in_the_path() -> None:
    tree = vector("risev2g.cert_install_res.document_derived")["json"]
    chain = tree["V2G_Message"]["Body"]["CertificateInstallationRes"]["ContractSignatureCertChain"]
    chain["SubCertificates"]["Certificate"] = ["MIIB", "MIIB="]  # item 1: not canonical base64
    with pytest.raises(ExiEncodeError) as info:
        encode(tree, Grammar.ISO2)
    assert info.value.path.endswith("ContractSignatureCertChain/SubCertificates/Certificate[1]")


@pytest.mark.parametrize("tree", [None, [], {}, {"a": 1, "b": 2}, "V2G_Message", {"V2G_Message": None}])
def test_bad_tree_shapes(tree: Any) -> None:
    with pytest.raises(ExiEncodeError):
        encode(tree, Grammar.ISO2)


def test_unknown_grammar_is_an_exi_error() -> None:
    with pytest.raises(ExiError):
        encode({"V2G_Message": {}}, "iso20")  # type: ignore[arg-type]
    with pytest.raises(ExiError):
        decode(b"\x80", "iso20")  # type: ignore[arg-type]
