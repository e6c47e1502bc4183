"""Opening hours: the CSV grammar, what is refused and why, and "open now" in the
listing's own time zone (overnight ranges, the Sunday-to-Monday wrap, unknown hours).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from resources_db.opening_hours import HoursError, is_open_now, parse_hours

CHICAGO = "America/Chicago"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a naive wall-clock time in the week of Monday 16 November 2026."""
    return datetime(2026, 11, 16 + day, hour, minute)


@pytest.mark.parametrize(
    ("hours", "when", "expected"),
    [
        ("24/7", local(6, 3), True),
        ("Mon-Fri 09:00-17:00", local(0, 9), True),  # opening minute is open
        ("Mon-Fri 09:00-17:00", local(0, 17), False),  # closing minute is closed
        ("Mon-Fri 09:00-17:00", local(4, 16, 59), True),
        ("Mon-Fri 09:00-17:00", local(5, 12), False),  # Saturday
        ("Mon-Fri 09:00-17:00;Sat 10:00-14:00", local(5, 12), True),
        ("mon,wed,fri 08:30-12:00,13:00-17:30", local(2, 12, 30), False),  # lunch
        ("mon,wed,fri 08:30-12:00,13:00-17:30", local(2, 13, 0), True),
        ("Fri-Sat 18:00-02:00", local(5, 1, 30), True),  # Friday night, into Saturday
        ("Fri-Sat 18:00-02:00", local(6, 1, 30), True),  # Saturday night, into Sunday
        ("Fri-Sat 18:00-02:00", local(0, 1, 30), False),
        ("Sun 22:00-06:00", local(0, 5), True),  # wraps from Sunday into Monday
        ("Sat-Mon 10:00-11:00", local(0, 10, 30), True),  # a day range that wraps
        ("Sat-Mon 10:00-11:00", local(2, 10, 30), False),
        ("Sun 00:00-24:00", local(6, 23, 59), True),
    ],
)
def test_is_open_at_local_wall_clock_time(hours, when, expected):
    assert parse_hours(hours).is_open_at(when) is expected


@pytest.mark.parametrize(
    ("hours", "reason"),
    [
        ("Mon-Fry 09:00-17:00", "'Fry'"),
        ("Mon-Fri 9am-5pm", "not a 24-hour time"),
        ("Mon-Fri 09:00", "not a time range"),
        ("Mon-Fri", "needs days and times"),
        ("Mon-Fri 09:00-09:00", "opens and closes at the same time"),
        ("Mon 24:30-25:00", "past 24:00"),
        ("Mon 09:00-25:00", "not a 24-hour time"),
        ("Mon 24:00-02:00", "opens at 24:00"),
        ("Mon-Fri 09:00-17:00;;Sat 10:00-12:00", "empty entry"),
        ("always", "needs days and times"),
    ],
)
def test_bad_hours_are_refused_with_a_reason(hours, reason):
    with pytest.raises(HoursError, match=reason):
        parse_hours(hours)


def test_empty_hours_are_unknown():
    assert parse_hours("").known is False
    assert parse_hours("").is_open_at(local(0, 12)) is None


def test_open_now_uses_the_listings_own_time_zone():
    # 15:00 UTC on a Wednesday: 09:00 in Chicago, 10:00 in New York, 07:00 in Los Angeles.
    now = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
    hours = "Mon-Fri 09:30-17:00"
    assert is_open_now(hours, "America/New_York", now) is True
    assert is_open_now(hours, CHICAGO, now) is False
    assert is_open_now(hours, "America/Los_Angeles", now) is False


def test_open_now_is_unknown_without_hours_or_a_time_zone():
    now = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
    assert is_open_now("", CHICAGO, now) is None
    assert is_open_now("Mon-Fri 09:00-17:00", "", now) is None
    assert is_open_now("24/7", "", now) is True  # always open needs no time zone


def test_open_now_follows_daylight_saving_time():
    # 14:30 UTC is 09:30 in Chicago in summer (CDT) and 08:30 in winter (CST).
    summer = datetime(2026, 7, 15, 14, 30, tzinfo=UTC)
    winter = datetime(2026, 1, 14, 14, 30, tzinfo=UTC)
    assert is_open_now("Mon-Fri 09:00-17:00", CHICAGO, summer) is True
    assert is_open_now("Mon-Fri 09:00-17:00", CHICAGO, winter) is False


def test_hours_become_hsds_schedule_rows():
    rows = parse_hours("Mon-Fri 09:00-17:00;Sat 10:00-14:00").schedules()
    assert rows == [("MO,TU,WE,TH,FR", time(9), time(17)), ("SA", time(10), time(14))]
    assert parse_hours("24/7").schedules() == [
        ("MO,TU,WE,TH,FR,SA,SU", time(0), time(0))]
