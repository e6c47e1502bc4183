"""Anonymous weekly counters of what people ask for (privacy rule 4).

`record_usage` adds one to the row of its dimensions (ISO week, channel, intent,
category, language, county, state, search outcome) in a single upsert, so concurrent
workers never lose a count and no row ever holds anything that points to a person.
The SMS and web-chat turns call it; the advocate console never does.

No row says when it was first counted: there is no id, and the dimensions are the key.
On SQLite the table is WITHOUT ROWID, so its storage order is the key's. PostgreSQL
keeps rows in the order they were written, and stamps each with the transaction that
last wrote it (`xmin`), which would still put one conversation's turns in order:
`reseal_recent_counts` (run by `harbor purge`) rewrites the weeks still being counted
in key order in one transaction, so every turn older than the last purge is mixed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from .database import upsert_insert
from .models import HandoffCount, UsageCount

SEARCH_OUTCOMES = ("", "local", "not_local")
CHANNELS = ("sms", "chat")
_DIMENSIONS = ("week", "channel", "intent", "category", "language", "county", "state", "search")


def week_of(when: datetime | date) -> date:
    """Return the Monday of the ISO week that contains `when`."""
    day = when.date() if isinstance(when, datetime) else when
    return day - timedelta(days=day.weekday())


def record_usage(session: Session, *, when: datetime, channel: str, intent: str,
                 category: str = "", language: str = "", county: str = "", state: str = "",
                 search: str = "") -> None:
    """Add one to the UsageCount row of these dimensions (created at 1 when new)."""
    if channel not in CHANNELS:
        raise ValueError(f"usage is counted for sms and chat only, not {channel!r}")
    if search not in SEARCH_OUTCOMES:
        raise ValueError(f"search must be one of {SEARCH_OUTCOMES}, not {search!r}")
    values = {
        "week": week_of(when),
        "channel": channel,
        "intent": intent[:40],
        "category": (category or "")[:40],
        "language": (language or "")[:8],
        "county": (county or "")[:80],
        "state": (state or "")[:2].upper(),
        "search": search,
        "count": 1,
    }
    session.execute(_count_upsert(upsert_insert(session)), values)


@lru_cache(maxsize=None)
def _count_upsert(insert):
    """The counting upsert, built once per dialect: every message runs it."""
    table = UsageCount.__table__
    return insert(table).on_conflict_do_update(
        index_elements=list(_DIMENSIONS), set_={"count": table.c["count"] + 1}
    )


def reseal_recent_counts(session: Session, today: date) -> int:
    """Rewrite this week's and last week's rows in key order in one transaction (PostgreSQL).

    Returns how many rows were rewritten (0 on SQLite, whose storage order is already the
    key's). The delete returns exactly the rows it removed, and those are written back,
    so a turn counted at the same moment is never lost: it waits for the row's lock and
    then adds to the row written back, or its new row is left alone.
    """
    if session.get_bind().dialect.name != "postgresql":
        return 0
    table = UsageCount.__table__
    since = week_of(today) - timedelta(weeks=1)
    removed = session.execute(
        delete(table).where(table.c.week >= since).returning(*table.c)).mappings().all()
    if not removed:
        return 0
    rows = sorted((dict(row) for row in removed),
                  key=lambda row: tuple(str(row[name]) for name in _DIMENSIONS))
    session.execute(insert(table), rows)
    return len(rows)


HANDOFF_EVENTS = ("started", "claimed", "ended")
# Coarse bands only: a wait (claimed) or a duration (ended) is never kept finer.
WAIT_BANDS = ((2, "under 2 min"), (10, "2-10 min"), (30, "10-30 min"), (None, "over 30 min"))
DURATION_BANDS = ((10, "under 10 min"), (30, "10-30 min"), (60, "30-60 min"),
                  (None, "over 60 min"))


def band(minutes: float, bands: tuple[tuple[int | None, str], ...]) -> str:
    """Return the name of the band `minutes` falls in."""
    for limit, name in bands:
        if limit is None or minutes < limit:
            return name
    return bands[-1][1]


def record_handoff(session: Session, *, when: datetime, channel: str, event: str,
                   bucket: str = "") -> None:
    """Add one to the HandoffCount row of this week, channel, event and band."""
    if channel not in CHANNELS:
        raise ValueError(f"hand-offs are counted for sms and chat only, not {channel!r}")
    if event not in HANDOFF_EVENTS:
        raise ValueError(f"event must be one of {HANDOFF_EVENTS}, not {event!r}")
    session.execute(_handoff_upsert(upsert_insert(session)), {
        "week": week_of(when), "channel": channel, "event": event,
        "bucket": bucket[:24], "count": 1,
    })


@lru_cache(maxsize=None)
def _handoff_upsert(insert):
    table = HandoffCount.__table__
    return insert(table).on_conflict_do_update(
        index_elements=["week", "channel", "event", "bucket"],
        set_={"count": table.c["count"] + 1},
    )
