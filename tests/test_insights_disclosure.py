"""Differencing attacks on the insights: no count from 1 to 4 can be derived.

The security review subtracted tables (needs by week minus needs by county, one channel
from both, one period from a longer one) and recovered exact counts under 5. This test
runs every such attack at once, and the ones nobody thought to try: it reads every
table under every period and channel filter, as the CSV export writes them, and turns
each published row (and each need, place or language not listed) into what it tells an
attacker about the true counts: a range of sums. Then, for every count an attacker
might want (any week or run of weeks, channel, need, place, outcome, language, and
their totals), an integer program looks for two different true values that agree with
everything published. A count from 1 to 4 that only one value fits is a disclosure.

The same attack is first run against the old publication rule (exact counts, "<5"
below 5) to show that it finds what the review found: a test that could not fail would
prove nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from bot.staff.insights import table_as_csv
from resources_db import insights_queries as queries
from resources_db.insights_queries import (
    InsightsPeriod,
    county_cell,
    language_name,
    need_name,
)
from resources_db.models import UsageCount

pytestmark = [pytest.mark.db, pytest.mark.slow]

THIS_WEEK = date(2026, 11, 16)  # a Monday
TODAY = THIS_WEEK + timedelta(days=2)
KEY = b"disclosure-test-rounding-key"
WEEKS = 14  # reaches past the 4- and 12-week periods, within the 26-week one
CHANNELS = ("sms", "chat")
NEEDS = ("shelter", "legal")
PLACES = (("Linn County", "IA"), ("Polk County", "IA"), ("", ""))
OUTCOMES = ("local", "not_local")
SEARCH_LANGUAGES = ("en", "es")
MESSAGE_LANGUAGES = ("en", "es", "")
ANY = None


@dataclass(frozen=True)
class Search:
    """One cell of the finest grain an attacker could want: searches of one kind."""

    weeks_ago: int
    channel: str
    need: str
    place: tuple[str, str]
    outcome: str
    language: str


@dataclass(frozen=True)
class Message:
    """Handled messages that ran no search (a greeting, a question), per language."""

    weeks_ago: int
    channel: str
    language: str


def week(weeks_ago: int) -> date:
    return THIS_WEEK - timedelta(weeks=weeks_ago)


def small_count(rng: random.Random) -> int:
    """Mostly nothing, often 1 to 4 (what must stay hidden), sometimes more."""
    draw = rng.random()
    if draw < 0.55:
        return 0
    return rng.randint(1, 4) if draw < 0.9 else rng.randint(5, 9)


def make_usage(seed: int) -> dict[Search | Message, int]:
    rng = random.Random(seed)
    truth: dict[Search | Message, int] = {}
    for cell in itertools.product(range(WEEKS), CHANNELS, NEEDS, PLACES, OUTCOMES,
                                  SEARCH_LANGUAGES):
        truth[Search(*cell)] = small_count(rng)
    for cell in itertools.product(range(WEEKS), CHANNELS, MESSAGE_LANGUAGES):
        truth[Message(*cell)] = small_count(rng)
    truth[Message(WEEKS - 1, "sms", "en")] = 1  # the first week on record is the oldest
    return truth


def store(session_factory, truth) -> None:
    with session_factory() as session:
        for cell, count in truth.items():
            if not count:
                continue
            if isinstance(cell, Search):
                county, state = cell.place
                values = {"intent": cell.need, "category": cell.need, "county": county,
                          "state": state, "search": cell.outcome}
            else:
                values = {"intent": "greeting", "category": "", "county": "", "state": "",
                          "search": ""}
            session.add(UsageCount(week=week(cell.weeks_ago), channel=cell.channel,
                                   language=cell.language, count=count, **values))
        session.commit()


# ---- what the published tables say -------------------------------------------------

@dataclass(frozen=True)
class Published:
    """One published (or conspicuously absent) cell: the true sum over `cells` is in [low, high]."""

    cells: frozenset
    low: int
    high: int
    where: str


def period_weeks(weeks: int | None) -> range:
    return range(WEEKS) if weeks is None else range(min(weeks, WEEKS))


def searches(weeks, channels, need=ANY, place=ANY, outcome=ANY, language=ANY) -> frozenset:
    return frozenset(
        Search(w, c, n, p, o, lang)
        for w, c, n, p, o, lang in itertools.product(weeks, channels, NEEDS, PLACES, OUTCOMES,
                                                     SEARCH_LANGUAGES)
        if need in (ANY, n) and place in (ANY, p) and outcome in (ANY, o)
        and language in (ANY, lang))


def messages(weeks, channels, language) -> frozenset:
    return frozenset(Message(w, c, language) for w in weeks for c in channels)


def csv_rows(table) -> list[list[str]]:
    """The table as its CSV export writes it, header dropped."""
    return list(csv.reader(io.StringIO(table_as_csv(table))))[1:]


def rounded_range(text: str) -> tuple[int, int]:
    """What a published count says under base-5 rounding: within 4 of it, never negative."""
    value = 0 if text == queries.SUPPRESSED_TEXT else int(text)
    return max(0, value - 4), value + 4


def publication(session_factory) -> list[Published]:
    """Read every table under every period and channel, as an attacker downloads them."""
    facts: list[Published] = []
    place_of = {(county_cell(county, state), state): (county, state)
                for county, state in PLACES}
    need_of = {need_name(need): need for need in NEEDS}
    language_of = {language_name(language): language for language in MESSAGE_LANGUAGES}
    with session_factory() as session:
        for (period_name, weeks), channel in itertools.product(queries.PERIODS.items(),
                                                               ("", *CHANNELS)):
            period = InsightsPeriod.last_weeks(weeks, TODAY, channel=channel or None)
            channels = (channel,) if channel else CHANNELS
            span = period_weeks(weeks)
            tables = {table.slug: csv_rows(table)
                      for table in queries.all_tables(session, period, KEY)}
            where = f"period {period_name}, channel {channel or 'both'}"

            def fact(cells, text, table, where=where):
                low, high = rounded_range(text)
                facts.append(Published(cells, low, high, f"{table}, {where}"))

            for week_text, text in tables["needs-by-week"]:
                weeks_ago = (THIS_WEEK - date.fromisoformat(week_text)).days // 7
                if weeks_ago < WEEKS:
                    fact(searches([weeks_ago], channels), text, "needs-by-week")
            # Needs, places and languages: a listed row is a range; an unlisted one
            # rounded to 0 (the attacker knows every name it could have had).
            listed = {need_of[row[0]]: row[1] for row in tables["needs-by-category"]}
            for need in NEEDS:
                fact(searches(span, channels, need=need), listed.get(need, "<5"),
                     "needs-by-category")
            listed = {place_of[(row[0], row[1])]: row[2] for row in tables["needs-by-county"]}
            for place in PLACES:
                fact(searches(span, channels, place=place), listed.get(place, "<5"),
                     "needs-by-county")
            listed = {(need_of[row[0]], place_of[(row[1], row[2])]): row[3]
                      for row in tables["unmet-needs"]}
            for need, place in itertools.product(NEEDS, PLACES):
                fact(searches(span, channels, need=need, place=place, outcome="not_local"),
                     listed.get((need, place), "<5"), "unmet-needs")
            listed = {language_of[row[0]]: row[1] for row in tables["language-mix"]}
            for language in MESSAGE_LANGUAGES:
                cells = messages(span, channels, language)
                if language in SEARCH_LANGUAGES:
                    cells |= searches(span, channels, language=language)
                fact(cells, listed.get(language, "<5"), "language-mix")
    return facts


def legacy_publication(truth) -> list[Published]:
    """What the old rule published: exact counts from 5 up, "<5" (a listed row: 1-4) below."""
    facts = []
    for fact in publication_shapes():
        true = sum(truth[cell] for cell in fact.cells)
        if true >= 5:
            low = high = true
        elif fact.where.startswith("needs-by-week"):
            low, high = 0, 4  # every week was listed, with or without searches
        else:
            low, high = (1, 4) if true else (0, 0)  # a row was listed only when it existed
        facts.append(Published(fact.cells, low, high, fact.where))
    return facts


def publication_shapes() -> list[Published]:
    """Every cell the tables publish, for every period and channel (the ranges left open)."""
    shapes = []
    for (period_name, weeks), channel in itertools.product(queries.PERIODS.items(),
                                                           ("", *CHANNELS)):
        channels = (channel,) if channel else CHANNELS
        span = period_weeks(weeks)
        where = f"period {period_name}, channel {channel or 'both'}"
        for weeks_ago in span:
            shapes.append(Published(searches([weeks_ago], channels), 0, 0,
                                    f"needs-by-week, {where}"))
        for need in NEEDS:
            shapes.append(Published(searches(span, channels, need=need), 0, 0,
                                    f"needs-by-category, {where}"))
        for place in PLACES:
            shapes.append(Published(searches(span, channels, place=place), 0, 0,
                                    f"needs-by-county, {where}"))
        for need, place in itertools.product(NEEDS, PLACES):
            shapes.append(Published(searches(span, channels, need=need, place=place,
                                             outcome="not_local"), 0, 0,
                                    f"unmet-needs, {where}"))
        for language in MESSAGE_LANGUAGES:
            cells = messages(span, channels, language)
            if language in SEARCH_LANGUAGES:
                cells |= searches(span, channels, language=language)
            shapes.append(Published(cells, 0, 0, f"language-mix, {where}"))
    return shapes


# ---- what an attacker would like to know ---------------------------------------------

def week_spans() -> dict[str, range]:
    """Single weeks, the periods, and the bands between them (one period minus another)."""
    cuts = sorted({min(weeks, WEEKS) for weeks in queries.PERIODS.values() if weeks} | {WEEKS})
    spans = {f"week -{w}": range(w, w + 1) for w in range(WEEKS)}
    start = 0
    for cut in cuts:
        spans[f"weeks -{start}..-{cut - 1}"] = range(start, cut)
        spans[f"weeks -0..-{cut - 1}"] = range(0, cut)
        start = cut
    return spans


def targets() -> dict[str, frozenset]:
    """Every count worth recovering: each cut of the searches and of the messages."""
    wanted = {}
    for (span_name, span), channel in itertools.product(week_spans().items(),
                                                        (*CHANNELS, ANY)):
        channels = (channel,) if channel else CHANNELS
        single_week = len(span) == 1
        for need, place, outcome in itertools.product((*NEEDS, ANY), (*PLACES, ANY),
                                                      (*OUTCOMES, ANY)):
            if single_week and (need, place) != (ANY, ANY) and outcome is not ANY:
                continue  # the finest cells of one week: kept to their totals, for time
            name = f"searches {span_name} {channel} {need} {place} {outcome}"
            wanted[name] = searches(span, channels, need=need, place=place, outcome=outcome)
        for language in MESSAGE_LANGUAGES:
            cells = messages(span, channels, language)
            if language in SEARCH_LANGUAGES:
                cells |= searches(span, channels, language=language)
            wanted[f"messages {span_name} {channel} {language!r}"] = cells
    return wanted


# ---- the attack ------------------------------------------------------------------------

def derivable_small_counts(truth, facts: list[Published], wanted: dict[str, frozenset],
                           limit: int | None = None) -> list[str]:
    """Return the wanted counts from 1 to 4 that only one value fits, given the facts."""
    variables = sorted(truth, key=repr)
    index = {cell: position for position, cell in enumerate(variables)}
    rows = [fact for fact in facts if fact.cells]
    matrix = np.zeros((len(rows), len(variables)))
    for row, fact in enumerate(rows):
        matrix[row, [index[cell] for cell in fact.cells]] = 1
    published = LinearConstraint(matrix, [fact.low for fact in rows],
                                 [fact.high for fact in rows])
    integers = np.ones(len(variables))
    bounds = Bounds(0, 10_000)
    found = []
    for name, cells in wanted.items():
        true = sum(truth[cell] for cell in cells)
        if not 1 <= true <= 4:
            continue
        objective = np.zeros(len(variables))
        objective[[index[cell] for cell in cells]] = 1
        pinned = True
        for sign in (-1, 1):  # the largest value that fits, then the smallest
            result = milp(sign * objective, constraints=published, integrality=integers,
                          bounds=bounds)
            assert result.success, f"the published facts contradict the truth: {result}"
            if round(sign * result.fun) != true:
                pinned = False
                break
        if pinned:
            found.append(f"{name} = {true}")
            if limit and len(found) >= limit:
                break
    return found


@pytest.mark.parametrize("seed", [1])
def test_no_combination_of_tables_filters_periods_and_csvs_gives_away_a_small_count(
        session_factory, seed):
    truth = make_usage(seed)
    store(session_factory, truth)
    facts = publication(session_factory)
    # The facts are true: the real counts agree with every published range.
    for fact in facts:
        assert fact.low <= sum(truth[cell] for cell in fact.cells) <= fact.high, fact.where
    wanted = targets()
    small = [name for name, cells in wanted.items()
             if 1 <= sum(truth[cell] for cell in cells) <= 4]
    assert len(small) > 100, "the data must hold many small counts worth protecting"
    assert derivable_small_counts(truth, facts, wanted) == []


def test_the_attack_finds_what_the_review_found_under_the_old_rule():
    truth = make_usage(1)
    disclosed = derivable_small_counts(truth, legacy_publication(truth), targets(), limit=5)
    assert disclosed, "the attack must be able to find a disclosure where one exists"
