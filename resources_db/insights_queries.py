"""The tables partners see on /admin/insights and in its CSV export, from UsageCount rows.

Four questions, each answered as rows of counts over a period of ISO weeks:
needs by week, needs by county, unmet needs (a search found nothing local) by need and
county, and the language mix. Small counts are suppressed here, in `suppress()`, and
nowhere else: a table leaves this module with "<5" already in place of any count below
5, so the page, its charts and the CSV cannot show a number the others hide.

What is counted. The conversation engine records a need only when it runs a search for
it (a need and a place: `category` and `search` set together), so the need tables count
searches: "shelter near 52402" is one, whether the need was typed, picked from the menu
by number, or named in the same message as the place; the next page of the same results
is not another. A need named by someone who never gives a place is not a search and is
not in these tables. The language mix counts handled messages. Either way these are
counts of events, not of people: one person who searches twice counts twice.

No table has a grand total, because a total next to a single "<5" cell would give that
cell away by subtraction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from .geography import STATE_NAMES
from .models import HandoffCount, UsageCount
from .vocabulary import CATEGORY_NAMES, LANGUAGE_NAMES

SMALL_COUNT_THRESHOLD = 5
SUPPRESSED_TEXT = f"<{SMALL_COUNT_THRESHOLD}"

# The periods the page offers, in weeks (None: every week on record).
PERIODS: dict[str, int | None] = {"4": 4, "12": 12, "26": 26, "52": 52, "all": None}
DEFAULT_PERIOD = "12"
CHANNELS = ("sms", "chat")

NO_PLACE = "No place given"
NO_LANGUAGE = "Not detected"


@dataclass(frozen=True)
class Count:
    """A count as partners may see it: `value` is None and `text` "<5" when suppressed."""

    value: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


def suppress(count: int) -> Count:
    """Return `count` as shown to partners: any count below 5 (zero too) becomes "<5"."""
    if count < SMALL_COUNT_THRESHOLD:
        return Count(None, SUPPRESSED_TEXT)
    return Count(count, str(count))


@dataclass(frozen=True)
class InsightsRow:
    """One row: its label cells (as written in the CSV) and its count."""

    cells: tuple[str, ...]
    count: Count
    label: str  # the cells as one short name, for a chart bar

    def as_text(self) -> tuple[str, ...]:
        """Return the row as it is shown and exported: labels, then the (suppressed) count."""
        return (*self.cells, self.count.text)


@dataclass(frozen=True)
class InsightsTable:
    """One answer to a partner's question, already suppressed."""

    slug: str
    title: str
    description: str
    columns: tuple[str, ...]  # label columns, then the count column last
    rows: tuple[InsightsRow, ...]

    def text_rows(self) -> list[tuple[str, ...]]:
        """Return every row as text, exactly as the page and the CSV show it."""
        return [row.as_text() for row in self.rows]


@dataclass(frozen=True)
class InsightsPeriod:
    """Which weeks and channels a set of tables covers."""

    first_week: date | None  # a Monday; None means from the first week on record
    last_week: date  # a Monday, included
    channel: str | None = None  # "sms", "chat" or None for both

    @classmethod
    def last_weeks(cls, weeks: int | None, today: date, channel: str | None = None
                   ) -> InsightsPeriod:
        """Return the `weeks` ISO weeks up to and including today's (None: all of them)."""
        this_week = week_of(today)
        first = None if weeks is None else this_week - timedelta(weeks=weeks - 1)
        return cls(first_week=first, last_week=this_week, channel=channel)


def week_of(day: date) -> date:
    """Return the Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def _in_period(statement: Select, period: InsightsPeriod) -> Select:
    statement = statement.where(UsageCount.week <= period.last_week)
    if period.first_week is not None:
        statement = statement.where(UsageCount.week >= period.first_week)
    if period.channel:
        statement = statement.where(UsageCount.channel == period.channel)
    return statement


def _is_search() -> ColumnElement[bool]:
    """A turn that looked a need up for a place (the engine sets category only then)."""
    return UsageCount.category != ""


def _total() -> ColumnElement[int]:
    return func.sum(UsageCount.count)


def need_name(category: str) -> str:
    """Return a need's display name ("legal" -> "Legal help")."""
    return CATEGORY_NAMES.get(category, category.replace("_", " ").capitalize())


def language_name(code: str) -> str:
    """Return a language's display name ("es" -> "Spanish")."""
    if not code:
        return NO_LANGUAGE
    return LANGUAGE_NAMES.get(code, code)


def place_name(county: str, state: str) -> str:
    """Return "Linn County, IA", "Iowa (county unknown)" or "No place given"."""
    if county and state:
        return f"{county}, {state}"
    if state:
        return f"{STATE_NAMES.get(state, state)} (county unknown)"
    return county or NO_PLACE


def county_cell(county: str, state: str) -> str:
    """Return the County column's text: the county, "County unknown" or "No place given"."""
    if county:
        return county
    return "County unknown" if state else NO_PLACE


def _ranked(rows: Sequence[tuple[tuple[str, ...], str, int]]) -> tuple[InsightsRow, ...]:
    """Order rows by count, largest first; suppressed rows after, by name only.

    Ordering "<5" rows by their hidden counts would leak which is larger, so they
    are sorted by label alone.
    """

    def key(row: tuple[tuple[str, ...], str, int]):
        cells, label, count = row
        shown = count if count >= SMALL_COUNT_THRESHOLD else 0
        return (-shown, label.casefold())

    return tuple(
        InsightsRow(cells=cells, count=suppress(count), label=label)
        for cells, label, count in sorted(rows, key=key)
    )


def needs_by_week(session: Session, period: InsightsPeriod) -> InsightsTable:
    """Searches for a need, per week; weeks with none are listed too (as "<5")."""
    statement = _in_period(
        select(UsageCount.week, _total()).where(_is_search()).group_by(UsageCount.week), period
    )
    counts = {week: int(total) for week, total in session.execute(statement)}
    first = period.first_week or (min(counts) if counts else period.last_week)
    weeks = []
    week = first
    while week <= period.last_week:
        weeks.append(week)
        week += timedelta(weeks=1)
    rows = tuple(
        InsightsRow(cells=(week.isoformat(),), count=suppress(counts.get(week, 0)),
                    label=week.isoformat())
        for week in weeks
    )
    return InsightsTable(
        slug="needs-by-week",
        title="Needs by week",
        description="Searches for help, per week starting Monday: each time Harbor looked "
                    "up a need (shelter, legal help, housing...) for the place someone gave. "
                    "The next page of the same results is not a new search.",
        columns=("Week starting", "Searches"),
        rows=rows,
    )


def needs_by_category(session: Session, period: InsightsPeriod) -> InsightsTable:
    """Searches for each kind of need over the period."""
    statement = _in_period(
        select(UsageCount.category, _total()).where(_is_search()).group_by(UsageCount.category),
        period,
    )
    rows = [((need_name(category),), need_name(category), int(total))
            for category, total in session.execute(statement)]
    return InsightsTable(
        slug="needs-by-category",
        title="Needs by kind",
        description="Searches for each kind of need over the period. Someone who asks to "
                    "talk to a person is searched for under Advocacy.",
        columns=("Need", "Searches"),
        rows=_ranked(rows),
    )


def needs_by_county(session: Session, period: InsightsPeriod) -> InsightsTable:
    """Searches for a need, per county of the place the person gave."""
    statement = _in_period(
        select(UsageCount.state, UsageCount.county, _total())
        .where(_is_search())
        .group_by(UsageCount.state, UsageCount.county),
        period,
    )
    rows = [((county_cell(county, state), state), place_name(county, state), int(total))
            for state, county, total in session.execute(statement)]
    return InsightsTable(
        slug="needs-by-county",
        title="Needs by county",
        description="Searches for help, by the county of the place the person gave (a "
                    "ZIP code or a city). A city that spans counties, or a state alone, "
                    "leaves the county unknown.",
        columns=("County", "State", "Searches"),
        rows=_ranked(rows),
    )


def unmet_needs(session: Session, period: InsightsPeriod) -> InsightsTable:
    """Searches that found nothing local, per need and county: where help falls short."""
    statement = _in_period(
        select(UsageCount.category, UsageCount.state, UsageCount.county, _total())
        .where(UsageCount.search == "not_local")
        .group_by(UsageCount.category, UsageCount.state, UsageCount.county),
        period,
    )
    rows = [
        ((need_name(category), county_cell(county, state), state),
         f"{need_name(category)}: {place_name(county, state)}", int(total))
        for category, state, county, total in session.execute(statement)
    ]
    return InsightsTable(
        slug="unmet-needs",
        title="Unmet needs",
        description="Searches that found no local listing (only state-wide or national "
                    "help), by need and county.",
        columns=("Need", "County", "State", "Searches with nothing local"),
        rows=_ranked(rows),
    )


def language_mix(session: Session, period: InsightsPeriod) -> InsightsTable:
    """Handled messages per conversation language (exit, which has none, left out)."""
    statement = _in_period(
        select(UsageCount.language, _total())
        .where(UsageCount.intent != "exit")
        .group_by(UsageCount.language),
        period,
    )
    rows = [((language_name(language),), language_name(language), int(total))
            for language, total in session.execute(statement)]
    return InsightsTable(
        slug="language-mix",
        title="Language mix",
        description="Handled messages, by the language of the conversation (English or "
                    "Spanish). Exit messages are left out: erasing a conversation records "
                    "no language.",
        columns=("Language", "Messages"),
        rows=_ranked(rows),
    )


def handoffs(session: Session, period: InsightsPeriod) -> InsightsTable:
    """Hand-offs to an advocate: started, claimed by wait band, ended by duration band."""
    statement = select(HandoffCount.event, HandoffCount.bucket,
                       func.sum(HandoffCount.count)).where(
        HandoffCount.week <= period.last_week)
    if period.first_week is not None:
        statement = statement.where(HandoffCount.week >= period.first_week)
    if period.channel:
        statement = statement.where(HandoffCount.channel == period.channel)
    statement = statement.group_by(HandoffCount.event, HandoffCount.bucket)
    names = {"started": "Started", "claimed": "Answered, waited", "ended": "Ended, lasted"}
    rows = []
    for event, bucket, total in session.execute(statement):
        label = f"{names.get(event, event)} {bucket}".strip()
        rows.append(((names.get(event, event), bucket or "—"), label, int(total)))
    return InsightsTable(
        slug="handoffs",
        title="Hand-offs to an advocate",
        description="People who asked for a person and said YES (started), how long they "
                    "waited until an advocate answered, and how long the chats lasted, in "
                    "bands. Nothing of what was written is kept.",
        columns=("Hand-off", "Wait or length", "Hand-offs"),
        rows=_ranked(rows),
    )


# slug -> query, in page order; the slug names the CSV file and the page section.
TABLE_QUERIES: dict[str, Callable[[Session, InsightsPeriod], InsightsTable]] = {
    "needs-by-week": needs_by_week,
    "needs-by-category": needs_by_category,
    "needs-by-county": needs_by_county,
    "unmet-needs": unmet_needs,
    "language-mix": language_mix,
    "handoffs": handoffs,
}


def all_tables(session: Session, period: InsightsPeriod) -> tuple[InsightsTable, ...]:
    """Return every insights table for the period, in page order."""
    return tuple(query(session, period) for query in TABLE_QUERIES.values())
