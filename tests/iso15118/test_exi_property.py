"""Property: decode(encode(m)) == m for generated schema-valid messages of every type (issue 5, Proof).

Trees come from tests/iso15118/strategies.py, an XSD walker independent of the codec's schema model.
Modest example counts keep this file well under a minute; hypothesis explores new inputs each run.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iso15118.exi import Grammar, decode, encode
from tests.iso15118 import strategies as S

EXAMPLES = 12
_SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.large_base_example])


def _round_trip(strategy: st.SearchStrategy[dict[str, Any]], grammar: Grammar) -> None:
    @_SETTINGS
    @given(strategy)
    def check(tree: dict[str, Any]) -> None:
        data = encode(tree, grammar)
        assert data[0] == 0x80                       # ISO 15118-2 §7.9.1.3: header byte only
        assert decode(data, grammar) == tree

    check()


def test_every_iso2_body_element_is_covered() -> None:
    # V2G_CI_MsgBody.xsd declares 34 BodyElement members (17 request/response pairs).
    assert len(S.ISO2_MESSAGES) == 34
    assert all(name.endswith(("Req", "Res")) for name in S.ISO2_MESSAGES)


@pytest.mark.parametrize("name", S.ISO2_MESSAGES)
def test_iso2_message_round_trip(name: str) -> None:
    _round_trip(S.v2g_message(name), Grammar.ISO2)


@pytest.mark.parametrize("name", S.APP_PROTOCOL_MESSAGES)
def test_app_protocol_round_trip(name: str) -> None:
    _round_trip(S.app_protocol(name), Grammar.APP_PROTOCOL)


@pytest.mark.parametrize("root", sorted(S.FRAGMENT_ROOTS))
def test_iso2_fragment_round_trip(root: str) -> None:
    _round_trip(S.fragment(root), Grammar.ISO2_FRAGMENT)


def test_signed_info_round_trip() -> None:
    _round_trip(S.signed_info(), Grammar.XMLDSIG_FRAGMENT)
