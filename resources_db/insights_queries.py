"""The tables partners see on /admin/insights and in its CSV export, from UsageCount rows.

Four questions, each answered as rows of counts over a period of ISO weeks:
needs by week, needs by county, unmet needs (a search found nothing local) by need and
county, and the language mix. Disclosure control happens here, in `publish()`, and
nowhere else: a table leaves this module already rounded, so the page, its charts and
the CSV cannot show a number the others hide.

Disclosure control: consistent random rounding to base 5. Suppressing counts below 5
was not enough: the tables overlap (weeks, needs and counties are margins of the same
searches; the channel filters split them; the periods nest), so an advocate subtracting
one table from another recovered exact counts under 5. Complementary suppression across
every table, filter and period at once is a hard combinatorial problem and easy to get
subtly wrong; differential privacy would need a privacy budget across every view anyone
ever opens. Rounding every published count to a multiple of 5 bounds what any sum or
difference can say: each published number is off by up to 4 in an unknown direction, so
totals minus parts give ranges, never an exact small count.

- Unbiased: a count with remainder r (1-4) rounds up with probability r/5, else down.
- Consistent: the draw is HMAC-SHA256 of the cell's identity under a secret key that
  only the server holds, and the identity is the exact set of counter rows the cell
  adds up (the "cell key" idea): the same events are the same number in every table,
  filter, period and CSV, on every visit and every later week, so asking again, or
  under another filter, never averages the rounding away.
- A count that rounds to 0 shows as "<5" (its true value is 0 to 4). A need, county or
  language whose count rounds to 0 is not listed at all, since a listed "<5" row would
  say "at least one". Weeks are always listed: the period names them.
- Rows are ranked by their published numbers only.

What is counted. The conversation engine records a need only when it runs a search for
it (a need and a place: `category` and `search` set together), so the need tables count
searches: "shelter near 52402" is one, whether the need was typed, picked from the menu
by number, or named in the same message as the place; the next page of the same results
is not another. A need named by someone who never gives a place is not a search and is
not in these tables. The language mix counts handled messages. Either way these are
counts of events, not of people: one person who searches twice counts twice.

No table has a grand total: the sum of rounded rows is only an estimate, and one
published exact total would be one more equation for a differencing attack.
tests/test_insights_disclosure.py runs those attacks (every table, filter and period as
linear constraints, solved as an integer program) and fails if any count from 1 to 4
can be pinned down.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from .geography import STATE_NAMES
from .models import HandoffCount, UsageCount
from .vocabulary import CATEGORY_NAMES, LANGUAGE_NAMES

ROUNDING_BASE = 5
SMALL_COUNT_THRESHOLD = ROUNDING_BASE  # a published count is 0 ("<5"), 5, 10, ...
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


def round_count(count: int, key: bytes, identity: tuple[str, ...]) -> int:
    """Return `count` randomly rounded to a multiple of 5, the same way for the same cell.

    Up with probability remainder/5 (so the rounding is unbiased), the draw being the
    cell identity's HMAC under `key`: for one cell, a growing count never rounds down
    again within its block of five.
    """
    remainder = count % ROUNDING_BASE
    if remainder == 0:
        return count
    digest = hmac.new(key, "\x1f".join(identity).encode(), hashlib.sha256).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    down = count - remainder
    return down + ROUNDING_BASE if draw * ROUNDING_BASE < remainder else down


def publish(count: int, key: bytes, identity: tuple[str, ...]) -> Count:
    """Return `count` as partners may see it: rounded, and "<5" when it rounds to 0."""
    rounded = round_count(count, key, identity)
    if rounded == 0:
        return Count(None, SUPPRESSED_TEXT)
    return Count(rounded, str(rounded))


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


def first_week_on_record(session: Session) -> date | None:
    """Return the earliest week anything was counted in (any intent), or None."""
    return session.scalar(select(func.min(UsageCount.week)))


def _counted_rows(session: Session, period: InsightsPeriod, condition) -> list[UsageCount]:
    """Return the counter rows of the period (and channel) that meet `condition`."""
    return list(session.scalars(_in_period(select(UsageCount).where(condition), period)))


def cell_identity(rows: Sequence[UsageCount]) -> tuple[str, ...]:
    """Return what a published count adds up: exactly these counter rows, with their counts.

    Not the table, period or filter it is shown under: the same events are the same
    cell, so the 12-week and every-week views of a county with nothing new, the SMS
    filter of a need nobody asked for by chat, or last week's page and this week's, all
    show one rounding of it, never several that could be averaged.
    """
    return tuple(sorted(
        "|".join((row.week.isoformat(), row.channel, row.intent, row.category, row.language,
                  row.county, row.state, row.search, str(row.count)))
        for row in rows))


def _published(rows: Sequence[UsageCount], key: bytes) -> Count:
    return publish(sum(row.count for row in rows), key, cell_identity(rows))


def _grouped(rows: Sequence[UsageCount], by: Callable[[UsageCount], tuple]
             ) -> dict[tuple, list[UsageCount]]:
    groups: dict[tuple, list[UsageCount]] = {}
    for row in rows:
        groups.setdefault(by(row), []).append(row)
    return groups


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


def _ranked(rows: Sequence[tuple[tuple[str, ...], str, Count]]) -> tuple[InsightsRow, ...]:
    """Order published rows by their published count, largest first, then by name.

    A row whose count rounds to 0 is left out: listing it would say "at least one".
    """
    listed = [(cells, label, count) for cells, label, count in rows if not count.suppressed]
    return tuple(
        InsightsRow(cells=cells, count=count, label=label)
        for cells, label, count in sorted(listed, key=lambda row: (-row[2].value,
                                                                  row[1].casefold()))
    )


def needs_by_week(session: Session, period: InsightsPeriod, key: bytes) -> InsightsTable:
    """Searches for a need, per week; weeks with none are listed too (as "<5")."""
    by_week = _grouped(_counted_rows(session, period, _is_search()), lambda row: (row.week,))
    first = period.first_week or first_week_on_record(session) or period.last_week
    weeks = []
    week = first
    while week <= period.last_week:
        weeks.append(week)
        week += timedelta(weeks=1)
    rows = tuple(
        InsightsRow(cells=(week.isoformat(),), label=week.isoformat(),
                    count=_published(by_week.get((week,), []), key))
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


def needs_by_category(session: Session, period: InsightsPeriod, key: bytes) -> InsightsTable:
    """Searches for each kind of need over the period."""
    groups = _grouped(_counted_rows(session, period, _is_search()),
                      lambda row: (row.category,))
    rows = [((need_name(category),), need_name(category), _published(cell, key))
            for (category,), cell in groups.items()]
    return InsightsTable(
        slug="needs-by-category",
        title="Needs by kind",
        description="Searches for each kind of need over the period. Someone who asks to "
                    "talk to a person is searched for under Advocacy.",
        columns=("Need", "Searches"),
        rows=_ranked(rows),
    )


def needs_by_county(session: Session, period: InsightsPeriod, key: bytes) -> InsightsTable:
    """Searches for a need, per county of the place the person gave."""
    groups = _grouped(_counted_rows(session, period, _is_search()),
                      lambda row: (row.state, row.county))
    rows = [((county_cell(county, state), state), place_name(county, state),
             _published(cell, key))
            for (state, county), cell in groups.items()]
    return InsightsTable(
        slug="needs-by-county",
        title="Needs by county",
        description="Searches for help, by the county of the place the person gave (a "
                    "ZIP code or a city). A city that spans counties, or a state alone, "
                    "leaves the county unknown.",
        columns=("County", "State", "Searches"),
        rows=_ranked(rows),
    )


def unmet_needs(session: Session, period: InsightsPeriod, key: bytes) -> InsightsTable:
    """Searches that found nothing local, per need and county: where help falls short."""
    groups = _grouped(_counted_rows(session, period, UsageCount.search == "not_local"),
                      lambda row: (row.category, row.state, row.county))
    rows = [
        ((need_name(category), county_cell(county, state), state),
         f"{need_name(category)}: {place_name(county, state)}", _published(cell, key))
        for (category, state, county), cell in groups.items()
    ]
    return InsightsTable(
        slug="unmet-needs",
        title="Unmet needs",
        description="Searches that found no local listing (only state-wide or national "
                    "help), by need and county.",
        columns=("Need", "County", "State", "Searches with nothing local"),
        rows=_ranked(rows),
    )


def language_mix(session: Session, period: InsightsPeriod, key: bytes) -> InsightsTable:
    """Handled messages per conversation language (exit, which has none, left out)."""
    groups = _grouped(_counted_rows(session, period, UsageCount.intent != "exit"),
                      lambda row: (row.language,))
    rows = [((language_name(language),), language_name(language), _published(cell, key))
            for (language,), cell in groups.items()]
    return InsightsTable(
        slug="language-mix",
        title="Language mix",
        description="Handled messages, by the language of the conversation (English or "
                    "Spanish). Exit messages are left out: erasing a conversation records "
                    "no language.",
        columns=("Language", "Messages"),
        rows=_ranked(rows),
    )


def handoffs(session: Session, period: InsightsPeriod, key: bytes) -> InsightsTable:
    """Hand-offs to an advocate: started, claimed by wait band, ended by duration band."""
    statement = select(HandoffCount).where(HandoffCount.week <= period.last_week)
    if period.first_week is not None:
        statement = statement.where(HandoffCount.week >= period.first_week)
    if period.channel:
        statement = statement.where(HandoffCount.channel == period.channel)
    groups: dict[tuple[str, str], list[HandoffCount]] = {}
    for row in session.scalars(statement):
        groups.setdefault((row.event, row.bucket), []).append(row)
    names = {"started": "Started", "claimed": "Answered, waited", "ended": "Ended, lasted"}
    rows = []
    for (event, bucket), cell in groups.items():
        # The cell is exactly these counter rows, as for the other tables.
        identity = tuple(sorted("|".join(("handoff", r.week.isoformat(), r.channel, r.event,
                                          r.bucket, str(r.count))) for r in cell))
        count = publish(sum(r.count for r in cell), key, identity)
        label = f"{names.get(event, event)} {bucket}".strip()
        rows.append(((names.get(event, event), bucket or "—"), label, count))
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
TABLE_QUERIES: dict[str, Callable[[Session, InsightsPeriod, bytes], InsightsTable]] = {
    "needs-by-week": needs_by_week,
    "needs-by-category": needs_by_category,
    "needs-by-county": needs_by_county,
    "unmet-needs": unmet_needs,
    "language-mix": language_mix,
    "handoffs": handoffs,
}


def all_tables(session: Session, period: InsightsPeriod, key: bytes
               ) -> tuple[InsightsTable, ...]:
    """Return every insights table for the period, in page order, rounded under `key`."""
    return tuple(query(session, period, key) for query in TABLE_QUERIES.values())
