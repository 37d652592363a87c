"""Malformed streams: only ExiDecodeError (with a bit offset and what was expected), fast, bounded memory."""

from __future__ import annotations

import random
import time
import tracemalloc
from typing import Any

import pytest

from iso15118.exi import ExiDecodeError, Grammar, decode, encode
from tests.iso15118.golden import exi, vector

SMALL = ["everest.SessionSetupReq", "everest.ServiceDetailRes", "risev2g.cert_install_res.eMAID_fragment",
         "openv2g.signed_info_ID1", "everest.supportedAppProtocolReq"]
LARGE = ["risev2g.cert_install_res.ContractSignatureCertChain_fragment", "risev2g.cert_install_res.document_derived"]
BOUND_S = 2.0  # generous hang guard per call, not a speed target


def _vector(name: str) -> tuple[bytes, Grammar]:
    return exi(name), Grammar(vector(name)["grammar"])


def _bits(data: bytes) -> str:
    return format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")


def _stream(bits: str) -> bytes:
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _uint(value: int) -> str:
    """EXI Unsigned Integer (§7.1.6): 7-bit groups, least significant first, high bit = more groups."""
    out = ""
    while value >= 128:
        out += format(0x80 | (value & 0x7F), "08b")
        value >>= 7
    return out + format(value, "08b")


def _decode_or_error(data: bytes, grammar: Grammar) -> Any:
    start = time.perf_counter()
    try:
        result: Any = decode(data, grammar)
    except ExiDecodeError as exc:
        assert exc.bit_offset >= 0 and exc.expected
        result = exc
    assert time.perf_counter() - start < BOUND_S
    return result


def test_random_bytes() -> None:
    rng = random.Random(15118)
    for _ in range(1500):
        tail = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 120)))
        for grammar in Grammar:
            _decode_or_error(b"\x80" + tail, grammar)
            _decode_or_error(tail, grammar)


@pytest.mark.parametrize("name", SMALL + LARGE)
def test_truncation_at_every_byte(name: str) -> None:
    data, grammar = _vector(name)
    for cut in range(len(data)):
        assert isinstance(_decode_or_error(data[:cut], grammar), ExiDecodeError), cut


@pytest.mark.parametrize("name", SMALL + ["risev2g.cert_install_res.signed_info"])
def test_every_single_bit_flip(name: str) -> None:
    data, grammar = _vector(name)
    original = decode(data, grammar)
    changed = 0
    for bit in range(8 * len(data)):
        flipped = bytearray(data)
        flipped[bit >> 3] ^= 0x80 >> (bit & 7)
        result = _decode_or_error(bytes(flipped), grammar)
        changed += result != original
    assert changed > 4 * len(data)  # nearly every flip is seen (padding bits may not be)


def test_gigabyte_length_over_max_length() -> None:
    """EVCCID (hexBinary, maxLength 6) claiming 2**30 octets: refused before reading or allocating."""
    data, grammar = _vector("everest.SessionSetupReq")
    bits = _bits(data)
    assert bits[102:110] == _uint(6)  # the EVCCID length field
    forged = _stream(bits[:102] + _uint(2**30) + "1" * 64)
    tracemalloc.start()
    with pytest.raises(ExiDecodeError) as info:
        decode(forged, grammar)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.value.bit_offset == 102
    assert "at most 6 octets" in info.value.expected
    assert peak < 1_000_000


def test_gigabyte_length_without_max_length() -> None:
    """SignedInfo: CanonicalizationMethod/@Algorithm (anyURI, no maxLength) claiming 2**40 characters."""
    # header, SE(SignedInfo) = 32, SE(CanonicalizationMethod) = 1, AT(Algorithm) = 0
    prefix = "10000000" + "100000" + "01" + "0"
    tracemalloc.start()
    with pytest.raises(ExiDecodeError) as info:
        decode(_stream(prefix + _uint(2**40 + 2) + "01100001" * 40), Grammar.XMLDSIG_FRAGMENT)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "exceeds the remaining stream" in str(info.value)
    assert peak < 1_000_000


def test_string_with_a_character_xml_does_not_allow() -> None:
    """U+0001 in a string: refused on decode as on encode, so every decoded tree can be re-encoded (digests)."""
    # header, SE(SignedInfo), SE(CanonicalizationMethod), AT(Algorithm): "a", U+0001, "b"
    prefix = "10000000" + "100000" + "01" + "0" + _uint(3 + 2) + "01100001"
    with pytest.raises(ExiDecodeError) as info:
        decode(_stream(prefix + "00000001" + "01100010" + "0" * 16), Grammar.XMLDSIG_FRAGMENT)
    assert info.value.bit_offset == 17 and "U+0001 at index 1" in str(info.value)


def test_endless_unsigned_integer() -> None:
    prefix = "10000000" + "100000" + "01" + "0"
    with pytest.raises(ExiDecodeError) as info:
        decode(_stream(prefix + "11111111" * 200), Grammar.XMLDSIG_FRAGMENT)
    assert "64 octets" in str(info.value)


def _app_entry(priority: int) -> str:
    namespace = "urn:iso:15118:2:2013:MsgDef"
    text = "".join(format(ord(c), "08b") for c in namespace)
    simple = "0" + "0"  # SE (the only production) + CH
    return (simple + _uint(len(namespace) + 2) + text + "0"  # ProtocolNamespace, EE
            + simple + _uint(2) + "0" + simple + _uint(0) + "0"  # VersionNumberMajor / Minor (unsignedInt)
            + simple + "00000001" + "0"  # SchemaID (unsignedByte: 8-bit)
            + simple + format(priority - 1, "05b") + "0"  # Priority 1..20: 5-bit
            + "0")  # EE of AppProtocol


def test_repetition_beyond_max_occurs() -> None:
    """AppProtocol has maxOccurs 20: after the 20th entry only EE is declared, so a 21st is refused."""
    head = "10000000" + "00"  # header, SE(supportedAppProtocolReq)
    entries = [("0" if i == 0 else "00") + _app_entry(1 + i) for i in range(20)]  # SE(AppProtocol): 1, then 2 bits
    request = decode(_stream(head + "".join(entries) + "0"), Grammar.APP_PROTOCOL)["supportedAppProtocolReq"]
    assert [e["Priority"] for e in request["AppProtocol"]] == list(range(1, 21))
    for extra in ("00", "01", "1"):  # whatever code tries to open a 21st entry
        with pytest.raises(ExiDecodeError):
            decode(_stream(head + "".join(entries) + extra + _app_entry(1) + "0"), Grammar.APP_PROTOCOL)


def test_deep_nesting_in_the_relaxed_fragment_grammar() -> None:
    """eMAID (two types) uses the recursive relaxed grammar; nesting is cut off instead of recursing."""
    bits = "10000000" + format(236, "08b") + format(10 + 1 + 236, "09b") * 1000
    with pytest.raises(ExiDecodeError) as info:
        decode(_stream(bits), Grammar.ISO2_FRAGMENT)
    assert "nested" in info.value.expected


def test_schema_deviation_from_a_non_validating_encoder() -> None:
    """EXIficient encodes a Header without SessionID as deviation codes (809888); we refuse to decode it."""
    with pytest.raises(ExiDecodeError) as info:
        decode(bytes.fromhex("809888"), Grammar.ISO2)
    assert info.value.bit_offset == 16 and "SE(SessionID)" in info.value.expected


@pytest.mark.parametrize("data", [b"", b"\x00", b"$EXI\x80", b"\xa0\x00", b"\x81"])
def test_header(data: bytes) -> None:
    with pytest.raises(ExiDecodeError) as info:
        decode(data, Grammar.ISO2)
    assert info.value.bit_offset == 0


def test_trailing_octets() -> None:
    data, grammar = _vector("everest.supportedAppProtocolRes")
    assert decode(data, grammar)
    with pytest.raises(ExiDecodeError) as info:
        decode(data + b"\x00", grammar)
    assert "end of stream" in info.value.expected


def test_string_table_hit_is_refused() -> None:
    """valuePartitionCapacity 0: a string value can never be a table hit (length prefix 0 or 1)."""
    prefix = "10000000" + "100000" + "01" + "0"
    for hit in ("00000000", "00000001"):
        with pytest.raises(ExiDecodeError) as info:
            decode(_stream(prefix + hit + "0" * 16), Grammar.XMLDSIG_FRAGMENT)
        assert "string table" in str(info.value)


def test_second_root_in_a_fragment() -> None:
    data = encode({"eMAID": {"Id": "id4", "value": "DEABCC123ABC56"}}, Grammar.ISO2_FRAGMENT)
    bits = _bits(data)
    end = len(bits) - 8 + 2  # the ED code (244) occupies the last 8 meaningful bits before 6 padding bits
    assert bits[end - 8:end] == format(244, "08b")
    with pytest.raises(ExiDecodeError) as info:
        decode(_stream(bits[:end - 8] + format(236, "08b") + bits[8:end]), Grammar.ISO2_FRAGMENT)
    assert "ED" in info.value.expected


@pytest.mark.parametrize("data", [None, "8080", 1234, [0x80]])
def test_not_bytes(data: Any) -> None:
    with pytest.raises(ExiDecodeError):
        decode(data, Grammar.ISO2)


def test_bytearray_and_memoryview_are_accepted() -> None:
    data, grammar = _vector("everest.SessionSetupReq")
    expected = vector("everest.SessionSetupReq")["json"]
    as_bytearray: Any = bytearray(data)
    as_view: Any = memoryview(data)
    assert decode(as_bytearray, grammar) == decode(as_view, grammar) == expected
