"""The partner network's queues: survivors' anonymous reports of wrong listings, and the
beds a shelter says it has free.

A `ListingReport` holds the listing, the kind of problem and the day only: never a
conversation key, a number, a token or a word of the conversation, so nothing in it can
lead back to the survivor who sent it (the day, not the minute, for the same reason).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..vocabulary import REPORT_REASONS
from .base import Base, UTCDateTime, utcnow

__all__ = ["REPORT_REASONS", "REPORT_STATUSES", "ListingBeds", "ListingReport"]

REPORT_STATUSES = ("open", "resolved")


class ListingReport(Base):
    """A survivor's anonymous report that a listing is wrong, in its organization's queue."""

    __tablename__ = "listing_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(100), index=True)
    # Copied at report time so the queue stays the organization's if the listing moves.
    organization_id: Mapped[str] = mapped_column(String(160), default="", index=True)
    reason: Mapped[str] = mapped_column(String(16))
    reported_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str] = mapped_column(String(254), default="")
    resolution: Mapped[str] = mapped_column(Text, default="")


class ListingBeds(Base):
    """The beds a shelter last said it has free (one row per listing, replaced on update).

    Kept apart from the listing's HSDS columns on purpose: an update is two taps by
    shelter staff, many times a day, and must not rewrite the listing or its audit trail.
    """

    __tablename__ = "listing_beds"

    # No foreign key: saving a listing rewrites its rows, and the beds must outlive that.
    listing_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    available: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
