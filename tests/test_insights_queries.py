"""The insights tables: what each counts, over which weeks, and the rounding applied once.

Counts that are multiples of 5 come out exactly (rounding leaves them alone); a count
between them is checked against both of its possible roundings.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from resources_db import insights_queries as queries
from resources_db.insights_queries import InsightsPeriod, publish, round_count, week_of
from resources_db.models import UsageCount

THIS_WEEK = date(2026, 11, 16)  # a Monday
TODAY = THIS_WEEK + timedelta(days=3)
KEY = b"insights-queries-test-key"


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
        return query(session, period, KEY)


def identity(n: int) -> tuple[str, ...]:
    return ("searches", "2026-01-05", "2026-11-16", "*", f"cell-{n}", "*", "*", "*")


@pytest.mark.parametrize(("count", "text"), [(0, "<5"), (5, "5"), (10, "10"), (1235, "1235")])
def test_multiples_of_five_are_published_as_they_are(count, text):
    assert publish(count, KEY, identity(1)).text == text


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6, 9, 1234])
def test_other_counts_round_to_one_of_the_two_nearest_multiples_of_five(count):
    roundings = {round_count(count, KEY, identity(n)) for n in range(200)}
    assert roundings == {count - count % 5, count - count % 5 + 5}


def test_a_count_that_rounds_to_zero_shows_as_below_five():
    zero = next(n for n in range(200) if round_count(3, KEY, identity(n)) == 0)
    shown = publish(3, KEY, identity(zero))
    assert (shown.text, shown.value, shown.suppressed) == ("<5", None, True)


def test_the_same_cell_always_rounds_the_same_way_and_another_key_differently():
    assert len({round_count(7, KEY, identity(3)) for _ in range(20)}) == 1
    mine = [round_count(7, KEY, identity(n)) for n in range(200)]
    theirs = [round_count(7, b"another key", identity(n)) for n in range(200)]
    assert mine != theirs


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_the_rounding_is_unbiased(count):
    # Up with probability count/5: over many cells the mean is the true count.
    cells = 4000
    mean = sum(round_count(count, KEY, identity(n)) for n in range(cells)) / cells
    assert mean == pytest.approx(count, abs=0.25)


def test_a_growing_count_never_rounds_down_again_within_its_block_of_five():
    for n in range(100):
        shown = [round_count(count, KEY, identity(n)) for count in range(10, 16)]
        assert shown == sorted(shown)


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
        {"week": week(0), "count": 8},
        {"week": week(0), "category": "legal", "intent": "legal", "count": 2},
        {"week": week(2), "count": 3},
        {"week": week(4), "count": 50},  # before the period
        # A need named before any place is given: no search ran, so no category.
        {"week": week(0), "category": "", "intent": "shelter", "count": 40},
    )
    result = table(session_factory, queries.needs_by_week, InsightsPeriod.last_weeks(3, TODAY))
    assert result.columns == ("Week starting", "Searches")
    rows = result.text_rows()
    assert rows[0] in {(week(2).isoformat(), "<5"), (week(2).isoformat(), "5")}  # 3, rounded
    assert rows[1:] == [
        (week(1).isoformat(), "<5"),  # no message at all that week
        (week(0).isoformat(), "10"),
    ]


def test_every_week_on_record_starts_at_the_first_counted_week(session_factory):
    counts(session_factory, {"week": week(5), "count": 6})
    result = table(session_factory, queries.needs_by_week, InsightsPeriod.last_weeks(None, TODAY))
    assert [row.cells[0] for row in result.rows] == [week(n).isoformat() for n in range(5, -1, -1)]


def test_needs_by_county_names_the_place_or_says_none_was_given(session_factory):
    counts(
        session_factory,
        {"county": "Linn County", "state": "IA", "count": 11},
        {"county": "Linn County", "state": "IA", "channel": "chat", "count": 4},
        {"county": "", "state": "IA", "count": 10},
        {"county": "", "state": "", "count": 2},
        {"county": "Polk County", "state": "IA", "count": 1},
    )
    result = table(session_factory, queries.needs_by_county)
    assert result.columns == ("County", "State", "Searches")
    rows = result.text_rows()
    assert rows[:2] == [("Linn County", "IA", "15"), ("County unknown", "IA", "10")]
    # 2 and 1 round to 5, or to 0 and then the place is not listed at all.
    assert set(rows[2:]) <= {("No place given", "", "5"), ("Polk County", "IA", "5")}
    assert [row.label for row in result.rows][:2] == ["Linn County, IA", "Iowa (county unknown)"]


def test_unmet_needs_count_only_searches_that_found_nothing_local(session_factory):
    counts(
        session_factory,
        {"category": "immigration", "county": "Polk County", "search": "not_local", "count": 10},
        {"category": "immigration", "county": "Polk County", "search": "local", "count": 30},
        {"category": "shelter", "county": "Linn County", "search": "not_local", "count": 2},
        {"category": "shelter", "county": "Linn County", "search": "", "count": 9},
    )
    result = table(session_factory, queries.unmet_needs)
    rows = result.text_rows()
    assert rows[0] == ("Immigration help", "Polk County", "IA", "10")
    assert rows[1:] in ([], [("Emergency shelter", "Linn County", "IA", "5")])
    assert result.rows[0].label == "Immigration help: Polk County, IA"


def test_language_mix_counts_handled_messages_but_not_exits(session_factory):
    counts(
        session_factory,
        {"language": "en", "count": 20},
        {"language": "", "intent": "exit", "category": "", "county": "", "count": 90},
        {"language": "en", "category": "", "intent": "greeting", "count": 5},
        {"language": "es", "count": 10},
        {"language": "", "intent": "unknown", "category": "", "count": 3},
    )
    result = table(session_factory, queries.language_mix)
    rows = result.text_rows()
    assert rows[:2] == [("English", "25"), ("Spanish", "10")]
    assert rows[2:] in ([], [("Not detected", "5")])


def test_needs_by_category_ranks_needs_by_published_count_then_name(session_factory):
    counts(
        session_factory,
        {"category": "shelter", "count": 10},
        {"category": "legal", "intent": "legal", "count": 15},
        # Equal published counts are ordered by name, never by their true counts.
        {"category": "housing", "intent": "housing", "count": 1},
        {"category": "faith", "intent": "faith", "count": 4},
    )
    result = table(session_factory, queries.needs_by_category)
    rows = result.text_rows()
    assert rows[:2] == [("Legal help", "15"), ("Emergency shelter", "10")]
    assert rows[2:] == sorted(rows[2:])
    assert set(rows[2:]) <= {("Faith communities", "5"), ("Housing", "5")}


def test_a_channel_filter_keeps_only_that_channel(session_factory):
    counts(
        session_factory,
        {"channel": "sms", "language": "en", "count": 15},
        {"channel": "chat", "language": "en", "count": 10},
    )
    chat_only = InsightsPeriod.last_weeks(12, TODAY, channel="chat")
    assert table(session_factory, queries.language_mix, chat_only).text_rows() == [
        ("English", "10")]


def test_only_multiples_of_five_leave_the_query_module(session_factory):
    counts(
        session_factory,
        {"language": "en", "count": 31, "county": "Linn County", "search": "not_local"},
        {"language": "es", "count": 2, "county": "Polk County", "search": "not_local"},
        {"language": "fr", "count": 1, "week": week(1), "category": "legal"},
    )
    with session_factory() as session:
        tables = queries.all_tables(session, InsightsPeriod.last_weeks(12, TODAY), KEY)
    for result in tables:
        for row in result.rows:
            if row.count.suppressed:
                # Only a week is listed when its count rounds to 0; a place never is.
                assert (result.slug, row.count.text) == ("needs-by-week", "<5")
            else:
                assert row.count.value % 5 == 0 and row.count.text == str(row.count.value)


def test_the_tables_come_in_page_order():
    assert list(queries.TABLE_QUERIES) == [
        "needs-by-week", "needs-by-category", "needs-by-county", "unmet-needs", "language-mix",
        "handoffs"]


def test_each_query_returns_the_table_its_slug_names(session_factory):
    with session_factory() as session:
        period = InsightsPeriod.last_weeks(4, TODAY)
        for slug, query in queries.TABLE_QUERIES.items():
            assert query(session, period, KEY).slug == slug


def test_the_same_events_are_the_same_number_under_every_period_filter_and_week(
        session_factory):
    # 30 counties with 3 searches each, long ago, by SMS: every view that adds up the
    # same rows shows the same rounding, so asking again never averages it away.
    counts(session_factory, *[{"county": f"County {n}", "week": week(5), "count": 3}
                              for n in range(30)])

    def shown(weeks, today, channel=None):
        period = InsightsPeriod.last_weeks(weeks, today, channel=channel)
        return table(session_factory, queries.needs_by_county, period).text_rows()

    reference = shown(12, TODAY)
    assert 0 < len(reference) < 30  # some rounded to 5, the others to 0 (not listed)
    assert shown(26, TODAY) == shown(None, TODAY) == shown(12, TODAY, "sms") == reference
    assert shown(12, TODAY + timedelta(weeks=3)) == reference  # nothing new since
