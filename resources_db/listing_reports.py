"""Survivors' reports of a wrong listing: filing one, and the organization's queue.

A report names the listing, the kind of problem and the day. Nothing else is taken from
the conversation that sent it (no key, number, token or text), so the queue can be
shown to the listing's organization without leading back to anyone.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .models import REPORT_REASONS, Listing, ListingReport, utcnow

REASON_LABELS = {
    "closed": "Closed",
    "wrong_number": "Wrong number",
    "not_safe": "Not safe",
    "other": "Something else",
}


def file_report(session: Session, listing_id: str, reason: str, today: date) -> bool:
    """Add an open report on `listing_id` to its organization's queue; no commit.

    Returns False (and files nothing) for an unknown listing or reason.
    """
    if reason not in REPORT_REASONS:
        return False
    owner = session.scalar(select(Listing.organization_id).where(Listing.id == listing_id))
    if owner is None:
        return False
    session.add(ListingReport(listing_id=listing_id, organization_id=owner, reason=reason,
                              reported_on=today, status="open", resolved_by="",
                              resolution=""))
    session.flush()
    return True


def reports_query(status: str = "open", organization_id: str | None = None) -> Select:
    """Return the select of reports with this status, for one organization or all."""
    query = select(ListingReport).where(ListingReport.status == status)
    if organization_id is not None:
        query = query.where(ListingReport.organization_id == organization_id)
    return query.order_by(ListingReport.reported_on.desc(), ListingReport.id.desc())


def resolve_report(session: Session, report: ListingReport, *, actor: str,
                   resolution: str) -> None:
    """Close a report, saying who did and what was done; no commit."""
    report.status = "resolved"
    report.resolved_at = utcnow()
    report.resolved_by = actor
    report.resolution = resolution
    session.flush()
