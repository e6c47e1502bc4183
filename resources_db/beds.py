"""Beds shelter staff reported free, as survivors see them: only reports of the last
BEDS_FRESH_HOURS count (an old "3 beds free" is worse than none), and a listing's HSDS 3.1
capacity (`listing.beds_available`, `capacity_updated_at`) gives way to a fresher one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ListingBeds
from .search import SearchResults

BEDS_FRESH_HOURS = 24


def with_fresh_beds(session: Session, results: SearchResults, now: datetime) -> SearchResults:
    """Return `results` with each shelter's fresh staff bed report put in place of the
    listing's HSDS 3.1 capacity, when the staff report is the more recent of the two.

    One place says one space line: the freshest report wins, whichever its source, and
    the renderer shows it only while it is under BEDS_FRESH_HOURS old."""
    # Beds are a shelter's: other searches skip the lookup.
    ids = [hit.listing_id for hit in results.hits if "shelter" in hit.categories]
    if not ids:
        return results
    oldest = now - timedelta(hours=BEDS_FRESH_HOURS)
    reports = {
        row.listing_id: row for row in session.scalars(
            select(ListingBeds).where(ListingBeds.listing_id.in_(ids),
                                      ListingBeds.updated_at >= oldest))
    }
    if not reports:
        return results
    hits = []
    for hit in results.hits:
        report = reports.get(hit.listing_id)
        if report is not None and report.updated_at <= now + timedelta(minutes=5) \
                and _newer(report.updated_at, hit.capacity_updated_at):
            hit = replace(hit, beds_available=report.available,
                          capacity_updated_at=report.updated_at)
        hits.append(hit)
    return replace(results, hits=tuple(hits))


def _newer(staff: datetime, hsds: datetime | None) -> bool:
    """Return True when the staff report is at least as recent as the HSDS capacity."""
    if hsds is None:
        return True
    return _aware(staff) >= _aware(hsds)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
