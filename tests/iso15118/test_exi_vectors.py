"""Every public golden vector decodes to its JSON and encodes back byte-for-byte (tests/vectors/exi)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from iso15118.exi import ExiEncodeError, Grammar, decode, default_codec, encode
from tests.iso15118.golden import VECTORS
from tests.iso15118.golden import vector as golden_vector

# EXI does not encode length facets; these field captures carry EVSEID "000000" (< minLength 7).
SHORT_EVSEID = {v["name"] for v in VECTORS if "minLength" in (v.get("schema_note") or "")}


def _ids(v: dict[str, Any]) -> str:
    return str(v["name"])


def test_vector_set_is_complete() -> None:
    counts: dict[str, int] = {}
    for v in VECTORS:
        counts[v["grammar"]] = counts.get(v["grammar"], 0) + 1
    assert counts == {"appProtocol": 4, "iso2": 44, "iso2-fragment": 7, "xmldsig-fragment": 4}
    assert len(SHORT_EVSEID) == 6


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_decode(vector: dict[str, Any]) -> None:
    assert decode(bytes.fromhex(vector["hex"]), Grammar(vector["grammar"])) == vector["json"]


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_encode(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    grammar = Grammar(vector["grammar"])
    if vector["name"] in SHORT_EVSEID:
        with pytest.raises(ExiEncodeError) as info:
            encode(vector["json"], grammar)
        assert info.value.path.endswith("Res/EVSEID")
        assert "shorter than minLength 7" in str(info.value)
        codec: Any = default_codec()
        assert codec.encode(vector["json"], grammar, check_min_length=False) == data
    else:
        assert encode(vector["json"], grammar) == data
    if "sha256" in vector:
        assert hashlib.sha256(data).hexdigest() == vector["sha256"]


def test_wrong_emaid_fragment_encoding_is_not_ours() -> None:
    """The relaxed element fragment grammar (EXI §8.5.3) gives the 26-byte eMAID fragment, not libcbv2g's."""
    v = golden_vector("risev2g.cert_install_res.eMAID_fragment")
    ours = encode(v["json"], Grammar.ISO2_FRAGMENT)
    assert ours.hex() == v["hex"]
    assert all(ours.hex() != wrong["hex"] for wrong in v["known_wrong_encodings"])


def test_string_grammar_names_are_accepted() -> None:
    v = VECTORS[0]
    assert decode(bytes.fromhex(v["hex"]), v["grammar"]) == v["json"]
