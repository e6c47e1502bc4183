"""Anonymous counters for community partners (privacy rule 4).

One row per combination of dimensions and a count: no key, no hash, no body, and no
time finer than the ISO week, so nothing can be joined back to a conversation.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class UsageCount(Base):
    """How many handled messages share these week, channel, intent and place values."""

    __tablename__ = "usage_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday of the ISO week
    channel: Mapped[str] = mapped_column(String(16))  # sms, chat
    intent: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    county: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    # "local" (a search found local listings), "not_local" (an unmet need), or "" when
    # no search ran. A string, not a nullable bool: NULLs never collide in a unique key.
    search: Mapped[str] = mapped_column(String(12), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint(
            "week", "channel", "intent", "category", "language", "county", "state",
            "search", name="uq_usage_count_dimensions",
        ),
    )


class HandoffCount(Base):
    """How many hand-offs to an advocate started, were claimed or ended, per week.

    `event` is started, claimed or ended; `bucket` is how long the person waited (claimed)
    or the chat lasted (ended), in coarse bands, so no time finer than a band and a week
    is ever kept. Nothing of what was written, and nothing that points to a person.
    """

    __tablename__ = "handoff_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))  # sms, chat
    event: Mapped[str] = mapped_column(String(16))  # started, claimed, ended
    bucket: Mapped[str] = mapped_column(String(24), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("week", "channel", "event", "bucket",
                         name="uq_handoff_count_dimensions"),
    )
