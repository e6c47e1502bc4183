"""Beds shelter staff reported free, as survivors see them: only reports of the last
BEDS_FRESH_HOURS count (an old "3 beds free" is worse than none).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ListingBeds
from .search import SearchResults

BEDS_FRESH_HOURS = 24


def with_fresh_beds(session: Session, results: SearchResults, now: datetime) -> SearchResults:
    """Return `results` with each hit's fresh bed report (count and minutes ago) added."""
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
        if report is not None and report.updated_at <= now + timedelta(minutes=5):
            minutes = max(int((now - report.updated_at).total_seconds() // 60), 0)
            hit = replace(hit, beds_available=report.available, beds_minutes_ago=minutes)
        hits.append(hit)
    return replace(results, hits=tuple(hits))
