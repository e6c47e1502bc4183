"""Anonymous counters for community partners (privacy rule 4).

One row per combination of dimensions and a count: no key, no hash, no body, and no
time finer than the ISO week, so nothing can be joined back to a conversation.

Nor can the rows be put in the order they were first counted: there is no
autoincrement id (consecutive ids once spelled out one person's path: greeting, legal,
county, more, exit). The dimensions themselves are the primary key, and on SQLite the
table is WITHOUT ROWID, so even its storage order is the key's order, not time's.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class UsageCount(Base):
    """How many handled messages share these week, channel, intent and place values."""

    __tablename__ = "usage_count"

    week: Mapped[date] = mapped_column(Date, primary_key=True)  # the Monday of the ISO week
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)  # sms, chat
    intent: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    language: Mapped[str] = mapped_column(String(8), primary_key=True, default="")
    county: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    state: Mapped[str] = mapped_column(String(2), primary_key=True, default="")
    # "local" (a search found local listings), "not_local" (an unmet need), or "" when
    # no search ran. A string, not a nullable bool: a key column is never NULL.
    search: Mapped[str] = mapped_column(String(12), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class HandoffCount(Base):
    """How many hand-offs to an advocate started, were claimed or ended, per week.

    `event` is started, claimed or ended; `bucket` is how long the person waited (claimed)
    or the chat lasted (ended), in coarse bands, so no time finer than a band and a week
    is ever kept. Nothing of what was written, and nothing that points to a person. Like
    UsageCount, the dimensions are the key: no id that could order the rows in time.
    """

    __tablename__ = "handoff_count"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)  # sms, chat
    event: Mapped[str] = mapped_column(String(16), primary_key=True)  # started, claimed, ended
    bucket: Mapped[str] = mapped_column(String(24), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)
