"""The audit hash chain's canonical form: the bytes hashed never change (stored chains must keep verifying)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from pki.audit import GENESIS, canonical_event, entry_hash
from pki.model import AuditEvent

EVENT = AuditEvent("cert.revoke", "cert:1F", "client:ops", datetime(2025, 3, 1, 12, 30, 45, 123456, tzinfo=UTC),
                   {"reason": "keyCompromise", "subject": 'CN=Grüße "x"\n', "issuer": "mo-sub2"})


def _reference(seq: int, event: AuditEvent) -> bytes:
    """The definition every existing chain was hashed with."""
    doc = {"seq": seq, "action": event.action, "target": event.target, "actor": event.actor,
           "at": event.at.isoformat(timespec="microseconds"),
           "details": {str(k): str(v) for k, v in sorted(event.details.items())}}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def test_known_answer() -> None:
    assert canonical_event(7, EVENT) == (
        b'{"action":"cert.revoke","actor":"client:ops","at":"2025-03-01T12:30:45.123456+00:00","details":'
        b'{"issuer":"mo-sub2","reason":"keyCompromise","subject":"CN=Gr\\u00fc\\u00dfe \\"x\\"\\n"},"seq":7,'
        b'"target":"cert:1F"}'
    )
    assert entry_hash(GENESIS, 7, EVENT).hex() == "c5c2ca8675863e7afc14937d550aeb9ece883b5edc76d0f48244dab3a6fdfd00"


_text = st.text(max_size=12)  # any code point, surrogates and controls included


@given(
    seq=st.integers(min_value=1, max_value=2**63 - 1),
    action=_text, target=_text, actor=_text,
    at=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))])),
    details=st.dictionaries(_text, _text, max_size=5),
)
def test_same_bytes_as_the_reference_json(
    seq: int, action: str, target: str, actor: str, at: datetime, details: dict[str, str]
) -> None:
    event = AuditEvent(action, target, actor, at, details)
    assert canonical_event(seq, event) == _reference(seq, event)


@given(details=st.dictionaries(_text, st.one_of(_text, st.integers(), st.booleans()), max_size=5))
def test_details_that_are_not_all_strings_are_written_as_strings(details: dict[str, object]) -> None:
    event = AuditEvent("a", "t", "x", datetime(2026, 1, 1, tzinfo=UTC), details)  # type: ignore[arg-type]
    assert canonical_event(1, event) == _reference(1, event)
