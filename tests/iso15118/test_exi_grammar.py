"""Grammar compiler facts that the golden vectors pin down, datatype mapping and value round trips."""

from __future__ import annotations

from typing import Any

import pytest

from iso15118.exi import Grammar, decode, encode
from iso15118.exi.bitio import BASE64, ENUM, HEX, INT, NBIT, STRING, UINT, BitReader, BitWriter
from iso15118.exi.codec import SchemaCodec
from iso15118.exi.grammar import COMPLEX, RELAXED, SIMPLE, Tables

CODEC = SchemaCodec()
ISO2 = CODEC.tables("iso15118_2/V2G_CI_MsgDef.xsd")
DSIG = CODEC.tables("xmldsig-core-schema.xsd")
APP = CODEC.tables("V2G_CI_AppProtocol.xsd")


def _frag_code(tables: Tables, name: str) -> int:
    return [n for n, _ in tables.frag_roots].index(name)


def test_document_grammars() -> None:
    """EXI §8.5.1: SE(G_i) for the sorted global elements plus SE(*); ISO-2: V2G_Message = 76 of 7 bits."""
    assert (APP.doc_width, [n for n, _ in APP.doc_roots]) == (2, ["supportedAppProtocolReq", "supportedAppProtocolRes"])
    assert ISO2.doc_width == 7
    assert [n for n, _ in ISO2.doc_roots].index("V2G_Message") == 76


def test_fragment_grammars() -> None:
    """EXI §8.5.2 over every element qname: the codes libcbv2g's generated fragment coder uses."""
    assert ISO2.frag_width == 8 and len(ISO2.frag_roots) + 1 == 244  # ED
    expected = {"AuthorizationReq": 4, "CertificateInstallationReq": 15, "CertificateUpdateReq": 17,
                "ContractSignatureCertChain": 33, "ContractSignatureEncryptedPrivateKey": 34, "DHpublickey": 45,
                "MeteringReceiptReq": 121, "SalesTariff": 174, "SignedInfo": 208, "eMAID": 236}
    assert {name: _frag_code(ISO2, name) for name in expected} == expected
    assert DSIG.frag_width == 6 and _frag_code(DSIG, "SignedInfo") == 32


def test_only_emaid_needs_the_relaxed_grammar() -> None:
    relaxed = [n for n, gi in ISO2.frag_roots if ISO2.grammars[gi][0] == RELAXED]
    assert relaxed == ["eMAID"]
    # A_0..A_n-1: every attribute qname (local name, then URI), Id in three namespaces
    assert [a for a, _ in ISO2.relaxed_attrs] == [
        "Algorithm", "Encoding", "Id", "Id", "Id", "MimeType", "Name", "Target", "Type", "URI"]


def _datatype(tables: Tables, *path: str) -> Any:
    gi = dict(tables.doc_roots)[path[0]] if path[0] in dict(tables.doc_roots) else dict(tables.frag_roots)[path[0]]
    for name in path[1:]:
        grammar = tables.grammars[gi]
        assert grammar[0] == COMPLEX
        gi = next(p[3][0] for _, prods in grammar[1] for p in prods if p[1] == name and p[3] is not None)
    grammar = tables.grammars[gi]
    assert grammar[0] == SIMPLE
    return grammar[1]


def test_datatype_representations() -> None:
    """EXI §7.1: bounded ranges <= 4096 values as n-bit offsets, else Unsigned Integer / Integer."""
    assert _datatype(ISO2, "DC_EVSEStatus", "NotificationMaxDelay")[0] == UINT  # xs:unsignedShort
    assert _datatype(ISO2, "EVMaximumCurrentLimit", "Multiplier") == (NBIT, 3, -3, 3)
    assert _datatype(ISO2, "EVMaximumCurrentLimit", "Value")[0] == INT  # xs:short
    assert _datatype(APP, "supportedAppProtocolReq", "AppProtocol", "Priority") == (NBIT, 5, 1, 20)
    assert _datatype(APP, "supportedAppProtocolReq", "AppProtocol", "SchemaID") == (NBIT, 8, 0, 255)
    assert _datatype(ISO2, "SessionSetupReq", "EVCCID") == (HEX, None, 6)
    assert _datatype(ISO2, "AuthorizationReq", "GenChallenge") == (BASE64, 16, 16)
    assert _datatype(ISO2, "SessionSetupRes", "EVSEID") == (STRING, 7, 37)
    enum = _datatype(ISO2, "SessionSetupRes", "ResponseCode")
    assert enum[0] == ENUM and enum[1] == 5 and enum[2][:2] == ("OK", "OK_NewSessionEstablished")  # schema order


def test_non_strict_widths() -> None:
    """Every element-grammar state has second-level productions: one production still costs one bit."""
    for grammar in ISO2.grammars:
        if grammar[0] == COMPLEX:
            for width, prods in grammar[1]:
                assert width == len(prods).bit_length() and width >= 1


@pytest.mark.parametrize("value", [0, 1, 127, 128, 16383, 16384, 2**64, 2**200])
def test_unsigned_integer_round_trip(value: int) -> None:
    w = BitWriter()
    w.write(3, 0b101)  # unaligned on purpose
    w.write_uint(value)
    r = BitReader(w.getvalue(), 3)
    assert r.read_uint("x") == value
    assert len(w.getvalue()) == 1 + max(1, -(-value.bit_length() // 7))


def test_big_and_negative_integers_and_unicode_strings() -> None:
    tree = {"CertificateInstallationReq": {
        "Id": "req1",
        "OEMProvisioningCert": "MIIB",
        "ListOfRootCertificateIDs": {"RootCertificateID": [
            {"X509IssuerName": "CN=Zürich Root ✓ 𝄞,O=Ünïcode", "X509SerialNumber": 2**159 - 1},
            {"X509IssuerName": "", "X509SerialNumber": -(2**70)},
            {"X509IssuerName": "DC=V2G", "X509SerialNumber": 0},
        ]},
    }}
    data = encode(tree, Grammar.ISO2_FRAGMENT)
    assert decode(data, Grammar.ISO2_FRAGMENT) == tree


def test_empty_values_are_second_level_end_elements() -> None:
    """No CH for empty content (EXIficient, V2Gdecoder vector): EE escapes to the second level, 3-bit code 0."""
    tree = {"Signature": {
        "SignedInfo": {"CanonicalizationMethod": {"Algorithm": ""}, "SignatureMethod": {"Algorithm": "x"},
                       "Reference": [{"DigestMethod": {"Algorithm": "y"}, "DigestValue": ""}]},
        "SignatureValue": {"value": ""},
    }}
    data = encode(tree, Grammar.XMLDSIG_FRAGMENT)
    assert decode(data, Grammar.XMLDSIG_FRAGMENT) == tree
    with_id = {"SignatureValue": {"Id": "s", "value": ""}}
    assert decode(encode(with_id, Grammar.XMLDSIG_FRAGMENT), Grammar.XMLDSIG_FRAGMENT) == with_id
    bare = encode({"DigestValue": ""}, Grammar.XMLDSIG_FRAGMENT)
    # header, SE(DigestValue), escape "1" + EE "000", ED
    code = format(_frag_code(DSIG, "DigestValue"), "06b")
    bits = "10000000" + code + "1000" + format(len(DSIG.frag_roots) + 1, "06b")
    assert bare == int(bits + "0" * (-len(bits) % 8), 2).to_bytes(len(bare), "big")


def test_compiled_tables_are_cached_per_codec() -> None:
    assert CODEC.tables("xmldsig-core-schema.xsd") is DSIG
