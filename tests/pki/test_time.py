"""``pki._time``: the cached ISO texts are exactly ``isoformat``'s, whatever the offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from pki._time import iso_micro, iso_text

_OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])


@given(st.datetimes(timezones=_OFFSETS))
def test_texts_are_isoformat(value: datetime) -> None:
    assert iso_micro(value) == value.isoformat(timespec="microseconds")
    assert iso_text(value) == value.isoformat()


def test_an_equal_instant_at_another_offset_keeps_its_own_offset() -> None:
    utc = datetime(2026, 11, 21, 12, 0, 0, 5, tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(hours=2)))
    assert utc == local  # equal instants: a cache keyed by the value alone would mix them up
    assert iso_micro(utc) == "2026-11-21T12:00:00.000005+00:00"
    assert iso_micro(local) == "2026-11-21T14:00:00.000005+02:00"
    assert iso_text(utc.replace(microsecond=0)) == "2026-11-21T12:00:00+00:00"
    assert iso_text(local.replace(microsecond=0)) == "2026-11-21T14:00:00+02:00"


def test_naive_values_pass_through() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)
    assert iso_micro(naive) == "2026-01-02T03:04:05.000000"
    assert iso_text(naive) == "2026-01-02T03:04:05"


@given(st.lists(st.datetimes(timezones=_OFFSETS), min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_the_same_objects_again_in_any_order(values: list[datetime], rnd) -> None:  # type: ignore[no-untyped-def]
    """The last value is remembered by identity: repeats and alternations still give each object its own text."""
    for value in [rnd.choice(values) for _ in range(20)]:
        assert iso_micro(value) == value.isoformat(timespec="microseconds")
