"""The insights tables: what each counts, over which weeks, and the "<5" rule applied once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from resources_db import insights_queries as queries
from resources_db.insights_queries import InsightsPeriod, suppress, week_of
from resources_db.models import UsageCount

THIS_WEEK = date(2026, 11, 16)  # a Monday
TODAY = THIS_WEEK + timedelta(days=3)


def week(weeks_ago: int) -> date:
    return THIS_WEEK - timedelta(weeks=weeks_ago)


def counts(session_factory, *rows: dict) -> None:
    """Store UsageCount rows; each dict names the dimensions that differ from the default."""
    with session_factory() as session:
        for row in rows:
            values = {"week": THIS_WEEK, "channel": "sms", "intent": "shelter",
                      "category": "shelter", "language": "en", "county": "Linn County",
                      "state": "IA", "search": "", "count": 1, **row}
            session.add(UsageCount(**values))
        session.commit()


def table(session_factory, query, period: InsightsPeriod | None = None):
    period = period or InsightsPeriod.last_weeks(12, TODAY)
    with session_factory() as session:
        return query(session, period)


@pytest.mark.parametrize(
    ("count", "text", "value"),
    [
        (0, "<5", None),
        (1, "<5", None),
        (4, "<5", None),
        (5, "5", 5),
        (6, "6", 6),
        (1234, "1234", 1234),
    ],
)
def test_counts_below_five_are_withheld(count, text, value):
    shown = suppress(count)
    assert (shown.text, shown.value, shown.suppressed) == (text, value, value is None)


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 16), date(2026, 11, 16)),  # Monday
        (date(2026, 11, 22), date(2026, 11, 16)),  # Sunday
        (date(2027, 1, 1), date(2026, 12, 28)),  # ISO week across the new year
    ],
)
def test_week_of_is_the_monday_of_the_iso_week(day, monday):
    assert week_of(day) == monday


def test_a_period_is_the_last_n_iso_weeks_up_to_this_one():
    period = InsightsPeriod.last_weeks(4, TODAY, channel="chat")
    assert (period.first_week, period.last_week, period.channel) == (
        week(3), THIS_WEEK, "chat")
    assert InsightsPeriod.last_weeks(None, TODAY).first_week is None


def test_needs_by_week_lists_every_week_of_the_period_oldest_first(session_factory):
    counts(
        session_factory,
        {"week": week(0), "count": 7},
        {"week": week(0), "category": "legal", "intent": "legal", "count": 2},
        {"week": week(2), "count": 3},
        {"week": week(4), "count": 50},  # before the period
        # A need named before any place is given: no search ran, so no category.
        {"week": week(0), "category": "", "intent": "shelter", "count": 40},
    )
    result = table(session_factory, queries.needs_by_week, InsightsPeriod.last_weeks(3, TODAY))
    assert result.columns == ("Week starting", "Searches")
    assert result.text_rows() == [
        (week(2).isoformat(), "<5"),
        (week(1).isoformat(), "<5"),  # no message at all that week: zero is below five
        (week(0).isoformat(), "9"),
    ]


def test_every_week_on_record_starts_at_the_first_counted_week(session_factory):
    counts(session_factory, {"week": week(5), "count": 6})
    result = table(session_factory, queries.needs_by_week, InsightsPeriod.last_weeks(None, TODAY))
    assert [row.cells[0] for row in result.rows] == [week(n).isoformat() for n in range(5, -1, -1)]


def test_needs_by_county_names_the_place_or_says_none_was_given(session_factory):
    counts(
        session_factory,
        {"county": "Linn County", "state": "IA", "count": 8},
        {"county": "Linn County", "state": "IA", "channel": "chat", "count": 4},
        {"county": "", "state": "IA", "count": 6},
        {"county": "", "state": "", "count": 2},
        {"county": "Polk County", "state": "IA", "count": 1},
    )
    result = table(session_factory, queries.needs_by_county)
    assert result.columns == ("County", "State", "Searches")
    assert result.text_rows() == [
        ("Linn County", "IA", "12"),
        ("County unknown", "IA", "6"),
        ("No place given", "", "<5"),
        ("Polk County", "IA", "<5"),
    ]
    assert [row.label for row in result.rows][:2] == ["Linn County, IA", "Iowa (county unknown)"]


def test_unmet_needs_count_only_searches_that_found_nothing_local(session_factory):
    counts(
        session_factory,
        {"category": "immigration", "county": "Polk County", "search": "not_local", "count": 6},
        {"category": "immigration", "county": "Polk County", "search": "local", "count": 30},
        {"category": "shelter", "county": "Linn County", "search": "not_local", "count": 2},
        {"category": "shelter", "county": "Linn County", "search": "", "count": 9},
    )
    result = table(session_factory, queries.unmet_needs)
    assert result.text_rows() == [
        ("Immigration help", "Polk County", "IA", "6"),
        ("Emergency shelter", "Linn County", "IA", "<5"),
    ]
    assert result.rows[0].label == "Immigration help: Polk County, IA"


def test_language_mix_counts_handled_messages_but_not_exits(session_factory):
    counts(
        session_factory,
        {"language": "en", "count": 20},
        {"language": "", "intent": "exit", "category": "", "county": "", "count": 90},
        {"language": "en", "category": "", "intent": "greeting", "count": 5},
        {"language": "es", "count": 7},
        {"language": "", "intent": "unknown", "category": "", "count": 3},
    )
    result = table(session_factory, queries.language_mix)
    assert result.text_rows() == [("English", "25"), ("Spanish", "7"), ("Not detected", "<5")]


def test_needs_by_category_ranks_needs_and_hides_the_order_of_small_ones(session_factory):
    counts(
        session_factory,
        {"category": "shelter", "count": 9},
        {"category": "legal", "intent": "legal", "count": 12},
        # Withheld rows are ordered by name, never by their hidden counts.
        {"category": "housing", "intent": "housing", "count": 1},
        {"category": "faith", "intent": "faith", "count": 4},
    )
    result = table(session_factory, queries.needs_by_category)
    assert result.text_rows() == [
        ("Legal help", "12"),
        ("Emergency shelter", "9"),
        ("Faith communities", "<5"),
        ("Housing", "<5"),
    ]


def test_a_channel_filter_keeps_only_that_channel(session_factory):
    counts(
        session_factory,
        {"channel": "sms", "language": "en", "count": 11},
        {"channel": "chat", "language": "en", "count": 6},
    )
    chat_only = InsightsPeriod.last_weeks(12, TODAY, channel="chat")
    assert table(session_factory, queries.language_mix, chat_only).text_rows() == [
        ("English", "6")]


def test_no_count_below_five_leaves_the_query_module(session_factory):
    counts(
        session_factory,
        {"language": "en", "count": 30, "county": "Linn County", "search": "not_local"},
        {"language": "es", "count": 2, "county": "Polk County", "search": "not_local"},
        {"language": "fr", "count": 1, "week": week(1), "category": "legal"},
    )
    with session_factory() as session:
        tables = queries.all_tables(session, InsightsPeriod.last_weeks(12, TODAY))
    shown = [row.count for result in tables for row in result.rows]
    assert any(count.suppressed for count in shown)
    for count in shown:
        assert count.text == "<5" if count.value is None else int(count.text) >= 5


def test_the_tables_come_in_page_order():
    assert list(queries.TABLE_QUERIES) == [
        "needs-by-week", "needs-by-category", "needs-by-county", "unmet-needs", "language-mix",
        "handoffs"]


def test_each_query_returns_the_table_its_slug_names(session_factory):
    with session_factory() as session:
        period = InsightsPeriod.last_weeks(4, TODAY)
        for slug, query in queries.TABLE_QUERIES.items():
            assert query(session, period).slug == slug
